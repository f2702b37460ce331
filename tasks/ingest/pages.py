"""One HTML page to article text and metadata with trafilatura (no network imports: `capex extract` stays fast)."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, cast

from tasks.errors import ExtractionError
from tasks.models import ExtractedPage

if TYPE_CHECKING:
    from trafilatura.settings import Document

_LANG = re.compile(rb"<html[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
# "the", "and", "of"...: a cheap English test for pages that declare no language
_EN_WORDS = re.compile(r"\b(the|and|of|to|in|is|that|for|with|on)\b", re.IGNORECASE)


def guess_language(html: bytes, text: str) -> str | None:
    """The page's declared language (html lang), else 'en' when the text reads as English."""
    match = _LANG.search(html[:20000])
    if match:
        return match.group(1).decode("ascii").lower()
    words = text[:5000].split()
    if len(words) >= 20 and len(_EN_WORDS.findall(text[:5000])) / len(words) > 0.08:
        return "en"
    return None


def extract_page(html: bytes, url: str | None = None) -> ExtractedPage:
    """Title, text, date, author, site name and language of one HTML page (trafilatura)."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False)
    if doc is None:
        raise ExtractionError("no article text found")
    doc = cast("Document", doc)  # a Document, not a dict: as_dict is False
    text = doc.text or ""
    published = None
    if doc.date:
        try:
            published = date.fromisoformat(doc.date[:10])
        except ValueError:
            published = None
    return ExtractedPage(title=doc.title, text=text, published=published, author=doc.author,
                         site_name=doc.sitename, language=guess_language(html, text))


__all__ = ["extract_page", "guess_language"]
