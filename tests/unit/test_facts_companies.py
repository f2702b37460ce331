"""Company registry: aliases, tickers, groups, clashes and fallbacks."""

from __future__ import annotations

from tasks.facts._companies import actor, find_mentions, names_in, registry_size


def _names(text: str) -> tuple[str, ...]:
    return names_in(find_mentions(text))


def test_registry_is_large() -> None:
    """The registry holds at least 150 actors."""
    assert registry_size() >= 150


def test_aliases_and_tickers() -> None:
    """Aliases and tickers map to the canonical name."""
    assert _names("Google and Facebook") == ("Alphabet", "Meta")
    assert _names("AWS said") == ("Amazon",)
    assert _names("shares of NVDA") == ("Nvidia",)


def test_group_mention_keeps_every_company() -> None:
    """"Alibaba, Tencent and Baidu" names three companies in order."""
    assert _names("Alibaba, Tencent and Baidu invested") == ("Alibaba", "Tencent", "Baidu")


def test_name_clashes() -> None:
    """The Amazon rainforest and AWS Lambda are not companies of their own."""
    assert _names("fires in the Amazon rainforest") == ()
    assert _names("AWS Lambda functions") == ("Amazon",)


def test_countries_only_as_fallback() -> None:
    """A country is attached only when no company is named."""
    assert _names("Microsoft will build in India") == ("Microsoft",)
    assert _names("India aims to attract investment") == ("India",)
    assert _names("hyperscalers will spend") == ("hyperscalers",)


def test_fiscal_calendars() -> None:
    """Fiscal year-end months of companies with non-calendar years."""
    assert actor("Microsoft").fy_end == 6  # type: ignore[union-attr]
    assert actor("Oracle").fy_end == 5  # type: ignore[union-attr]
    assert actor("Nvidia").fy_end == 1  # type: ignore[union-attr]
    assert actor("Apple").fy_end == 9  # type: ignore[union-attr]
