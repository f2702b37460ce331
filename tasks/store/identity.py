"""Who published an article and which text it is: the outlet and the content fingerprint.

The outlet is the registered domain of the article's URL (`www.techwire.com/a` and
`news.techwire.com/b` are both `techwire.com`), so an article counts for the same outlet whether a
feed (named "Techwire") or a backfill of the site (whose pages say "TechWire") brought it; feed
and site names stay labels. The registered domain comes from the public suffix list bundled with
the `tld` package (never downloaded at run time), so `news.bbc.co.uk` is `bbc.co.uk`.

The fingerprint recognises one article reached at a second URL (syndication, AMP or mobile pages,
tracking variants the URL normaliser misses). Copies differ at the edges (a dateline, a byline, a
"this story first appeared" footer, a related-links block), so it hashes the article's longest
sentences, in sorted order, as lowercase words: those survive the edges. A text with too few long
sentences gets no fingerprint (a short item cannot be told apart from another reliably).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from tld import get_fld

# Sentences hashed, and the words a sentence needs to count: five sentences of twelve words or
# more make a collision between two different articles implausible while a wire copy still matches.
FINGERPRINT_SENTENCES = 5
MIN_SENTENCE_WORDS = 12

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"\w+")


def outlet_of(url: str) -> str | None:
    """The registered domain of `url` (`news.bbc.co.uk` -> `bbc.co.uk`), else its host without `www.`."""
    fld = get_fld(url, fail_silently=True)
    if isinstance(fld, str) and fld:
        return fld.lower()
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


def content_fingerprint(text: str) -> str | None:
    """20 hex digits identifying an article's text across copies, or None for a text too short to tell."""
    sentences = []
    for sentence in _SENTENCE_END.split(text):
        words = _WORD.findall(sentence.lower())
        if len(words) >= MIN_SENTENCE_WORDS:
            sentences.append(" ".join(words))
    if len(sentences) < FINGERPRINT_SENTENCES:
        return None
    longest = sorted(sorted(set(sentences), key=lambda s: (-len(s), s))[:FINGERPRINT_SENTENCES])
    if len(longest) < FINGERPRINT_SENTENCES:
        return None
    return hashlib.sha256("\n".join(longest).encode("utf-8")).hexdigest()[:20]


__all__ = ["content_fingerprint", "outlet_of"]
