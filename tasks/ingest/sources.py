"""`capex extract`: analyse one source (HTML file, text file, URL or stdin) without Prefect."""

from __future__ import annotations

import dataclasses
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

from tasks.errors import CapexError
from tasks.models import Analysis, Fact
from tasks.settings import file_problem

# A source larger than this is not an article; reading stops there.
MAX_SOURCE_BYTES = 20 * 1024 * 1024
# The extractor's reasons when it read only the start of a long text: shown as notes, so a cut
# never passes silently.
# "facts read from the first 300,000 of 412,000 characters", "story judged on the first 60,000 of ..."
_CUT = re.compile(r"\bthe first [\d,]+ of [\d,]+ characters$")


def fact_dict(fact: Fact) -> dict[str, Any]:
    """A fact as the JSON object of INTERFACE.md (plus period_start/period_end)."""
    out = dataclasses.asdict(fact)
    out["companies"] = list(fact.companies)
    for key in ("period_start", "period_end"):
        out[key] = out[key].isoformat() if out[key] else None
    return out


def _read_source(source: str, as_text: bool) -> tuple[bytes, str | None]:
    if source == "-":
        return sys.stdin.buffer.read(MAX_SOURCE_BYTES + 1), None
    if source.startswith(("http://", "https://")):
        from tasks.ingest.http import FetchPolicy, fetch, make_client

        policy = FetchPolicy(trust_all=True)  # a URL the user typed is trusted like a feed URL
        with make_client(policy) as client:
            result = fetch(client, source, policy)
        if result.http_status != 200:
            raise CapexError(f"HTTP {result.http_status} from {result.final_url or source}")
        return result.body, result.final_url
    path = Path(source)
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_SOURCE_BYTES + 1), None
    except OSError as exc:
        raise CapexError(file_problem(exc)) from None


def analyse_source(source: str, as_text: bool = False, published: date | None = None) -> dict[str, Any]:
    """Classify and extract one source; errors become {"source", "error"} instead of raising."""
    try:
        return _analyse(source, as_text, published)
    except CapexError as exc:
        return {"source": source, "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 -- one bad source never stops the others
        return {"source": source, "error": f"{type(exc).__name__}: {exc}"}


def _analyse(source: str, as_text: bool, published: date | None) -> dict[str, Any]:
    from tasks.extract.extractor import get_extractor

    raw, url = _read_source(source, as_text)
    if len(raw) > MAX_SOURCE_BYTES:
        raise CapexError(f"larger than the {MAX_SOURCE_BYTES // (1024 * 1024)} MiB limit of a source")
    if as_text:
        title, text = None, raw.decode("utf-8", errors="replace")
    else:
        from tasks.ingest.pages import extract_page

        page = extract_page(raw, url)
        title, text = page.title, page.text
        published = published or page.published
    analysis: Analysis = get_extractor().analyse(title, text, published)
    c = analysis.classification
    return {
        "source": source, "url": url, "title": title, "published": published.isoformat() if published else None,
        "is_capex": c.is_capex, "score": c.score, "reasons": list(c.reasons),
        "facts": [fact_dict(f) for f in analysis.facts], "extractor_version": analysis.extractor_version,
        "text_chars": len(text), "notes": [r for r in c.reasons if _CUT.search(r)],
    }
