"""Unit tests of tasks/store/identity.py: outlets by registered domain, content fingerprints across copies."""

from __future__ import annotations

import pytest

from tasks.store.identity import content_fingerprint, outlet_of

STORY = " ".join(
    f"The {word} paragraph of the report says the group will spend more on data centres and chips this year."
    for word in ("first", "second", "third", "fourth", "fifth", "sixth", "seventh")
)


@pytest.mark.parametrize(("url", "outlet"), [
    ("https://www.techwire.com/a", "techwire.com"),
    ("https://news.techwire.com/b?utm_source=x", "techwire.com"),
    ("https://news.bbc.co.uk/x", "bbc.co.uk"),
    ("https://amp.cnn.com/2025/story", "cnn.com"),
    ("https://user.github.io/post", "user.github.io"),
    ("http://127.0.0.1:8080/a.html", "127.0.0.1"),
    ("https://www.techwire.example/a", "techwire.example"),
])
def test_outlet_is_the_registered_domain_else_the_host(url: str, outlet: str) -> None:
    """Subdomains of one site are one outlet (public suffix list, offline); hosts without one keep their name."""
    assert outlet_of(url) == outlet


def test_copies_with_other_edges_share_a_fingerprint() -> None:
    """A dateline, a byline and a footer do not change the fingerprint; another text does."""
    copy = "SAN FRANCISCO (Wire) - By A. Writer.\n" + STORY + "\nThis story first appeared on Example News."
    other = STORY.replace("data centres", "oil rigs")
    assert content_fingerprint(STORY) == content_fingerprint(copy)
    assert content_fingerprint(other) not in (None, content_fingerprint(STORY))


def test_short_texts_get_no_fingerprint() -> None:
    """A text with fewer than five long sentences cannot be told apart safely: no fingerprint."""
    assert content_fingerprint("Acme will spend $5 billion on data centers.") is None
    assert content_fingerprint("") is None
