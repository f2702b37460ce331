"""The one RSS 2.0 builder of the tests and benchmarks (the fault server, the generated site, the bench feeds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime


@dataclass(frozen=True, slots=True)
class Item:
    """One feed item: its title and link; the GUID defaults to the link."""

    title: str
    link: str
    guid: str | None = None
    published: datetime | None = None


def rss_feed(items: Sequence[Item], title: str = "Feed", link: str = "http://example.invalid/",
             extra: str = "") -> bytes:
    """An RSS 2.0 document (Atom namespace declared, for rel=next/prev-archive links given in `extra`)."""
    entries = "".join(
        f"<item><title>{i.title}</title><link>{i.link}</link><guid isPermaLink='false'>{i.guid or i.link}</guid>"
        + (f"<pubDate>{format_datetime(i.published)}</pubDate>" if i.published else "")
        + "</item>"
        for i in items
    )
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0' xmlns:atom='http://www.w3.org/2005/Atom'>"
            f"<channel><title>{title}</title><link>{link}</link><description>d</description>{extra}{entries}"
            "</channel></rss>").encode()
