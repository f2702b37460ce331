"""Record factories: articles and facts as the pipeline would hand them to the store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tasks.models import Analysis, Article, Classification, Fact, article_id_for


def make_article(url: str, facts: tuple[Fact, ...] = (), version: str = "v1", capex: bool = True) -> Article:
    """One processed article at `url` (a placeholder zstd header as its raw HTML)."""
    return Article(
        article_id=article_id_for(url), url=url, guid=None, feed_id=None, title="t", author=None,
        site_name="s", published_at=datetime(2025, 1, 2), fetched_at=datetime(2025, 1, 3), language="en",
        text="Acme will spend $5 billion on data centers.", raw_html_zstd=b"\x28\xb5\x2f\xfd",
        analysis=Analysis(Classification(capex, 0.9, ("data centers",)), facts, version),
    )


def make_fact(amount: float = 5e9) -> Fact:
    """One fact of Acme's (grounded in make_article's text)."""
    return Fact(companies=("Acme",), amount=amount, amount_low=None, amount_high=None, currency="USD",
                amount_usd=amount, period="2025", period_start=None, period_end=None, kind="capex",
                status="plan", qualifier=None, evidence="Acme will spend $5 billion on data centers.",
                evidence_start=0, evidence_end=43)


def write_feeds(path: Path, *urls: str, allow_private: bool = False) -> Path:
    """Write a feeds file listing `urls` (named "feed 0", "feed 1" ...)."""
    lines = [f"[settings]\nallow_private_networks = {'true' if allow_private else 'false'}\n"]
    for i, url in enumerate(urls):
        lines.append(f'[[feeds]]\nname = "feed {i}"\nurl = "{url}"\n')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
