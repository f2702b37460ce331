"""End-to-end: the bundled demo pages of four regression families, read and analysed like `capex extract`."""

from __future__ import annotations

import pytest

from tasks.ingest.sources import analyse_source
from tests.support.paths import REPO

ARTICLES = REPO / "demo" / "articles"


@pytest.mark.parametrize(("slug", "is_capex", "companies"), [
    # an oil producer's own budget, with data centres only as customers' demand and as denied plans
    ("meridian-petroleum-2026-capital-budget", False, []),
    # a chip fab is not AI infrastructure (policy rule 5)
    ("samsung-pyeongtaek-chip-fab-groundbreaking", False, []),
    # the seller after "from" is not a spender (policy rule 14); the headline repeats the body's figure
    ("anthropic-coreweave-6-3-billion-compute-deal", True, [["Anthropic"]]),
    # the headline's "China's tech giants" gives way to the body's named spenders
    ("china-tech-giants-h1-capex-62-billion-yuan", True, [["Alibaba", "Tencent", "Baidu"]]),
    ("analysts-big-tech-capex-2026-estimate", True, [["Microsoft", "Alphabet", "Amazon", "Meta"]]),
])
def test_demo_page_story_and_spenders(slug: str, is_capex: bool, companies: list[list[str]]) -> None:
    """Each demo page gets the expected story flag and exactly the expected spenders per fact."""
    result = analyse_source(str(ARTICLES / f"{slug}.html"))
    assert "error" not in result, result.get("error")
    assert result["is_capex"] is is_capex
    assert [fact["companies"] for fact in result["facts"]] == companies
