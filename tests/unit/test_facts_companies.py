"""Company registry: aliases, tickers, groups, clashes and fallbacks."""

from __future__ import annotations

from datetime import date

from tasks.extract.facts._companies import actor, find_mentions, names_in, registry_size

PUBLISHED = date(2026, 3, 2)


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


def _spender(sentence: str, figure: str) -> tuple[str, ...]:
    from tasks.extract.facts._companies import attribute

    start = sentence.index(figure)
    return attribute(sentence, find_mentions(sentence), 0, start, start + len(figure)).names


def test_spender_is_the_subject_of_its_own_clause() -> None:
    """A figure after ", while" belongs to the subject of that clause, not to the first company."""
    sentence = "Baidu guided to $9 billion for next year, while Tencent expects $12 billion."
    assert _spender(sentence, "$9 billion") == ("Baidu",)
    assert _spender(sentence, "$12 billion") == ("Tencent",)


def test_examples_and_comparisons_are_bystanders() -> None:
    """Companies after "including" or "than" do not become spenders when a subject is named."""
    sentence = "Oracle will spend $40 billion this year, more than rivals such as IBM and Dell."
    assert _spender(sentence, "$40 billion") == ("Oracle",)
    grouped = "Big Tech companies, including Apple and IBM, will spend $300 billion."
    assert _spender(grouped, "$300 billion") == ("hyperscalers",)


def test_suppliers_are_not_spenders_but_partners_are() -> None:
    """A supplier after "from" is dropped; a deal partner right after the figure is kept."""
    assert _spender("Apple agreed to buy capacity from CoreWeave worth $5 billion.", "$5 billion") == ("Apple",)
    assert _spender("Apple signed a venture worth $5 billion with Blue Owl.", "$5 billion") == ("Apple", "Blue Owl")


def test_group_members_stand_in_for_an_unnamed_group() -> None:
    """"Firms, including A, B and C, committed $X": the members are the spenders when no group actor is named."""
    sentence = "Foreign firms, including Apple, IBM and Dell, have committed about $40 billion."
    assert _spender(sentence, "$40 billion") == ("Apple", "IBM", "Dell")


def test_later_clause_shares_the_sentence_subject() -> None:
    """"X spent $A…, and it expects $B": the pronoun refers to the sentence's own subject."""
    sentence = "Cisco spent $3 billion last year, and it expects to spend another $4 billion this year."
    assert _spender(sentence, "$4 billion") == ("Cisco",)


def test_government_alias_names_the_country() -> None:
    """"the Japanese government" is Japan."""
    assert _names("the Japanese government expects") == ("Japan",)


def test_four_hyperscalers_sharing_a_figure_stay_named() -> None:
    """Four hyperscalers sharing one figure are listed by name, not replaced by "hyperscalers"."""
    sentence = "Amazon, Google, Meta and Microsoft will spend $650 billion."
    assert _spender(sentence, "$650 billion") == ("Amazon", "Alphabet", "Meta", "Microsoft")


def test_a_named_group_stays_named_despite_a_sum_word() -> None:
    """"together" or "combined" beside four named hyperscalers keeps the four; an unnamed sector is "hyperscalers"."""
    from tasks.extract.facts import extract_facts

    named = extract_facts("Microsoft, Alphabet, Amazon and Meta together plan to spend $650 billion on AI data "
                          "centers this year.", PUBLISHED)
    unnamed = extract_facts("Hyperscalers' combined capital expenditures could hit $700 billion this year.", PUBLISHED)
    assert [f.companies for f in named] == [("Microsoft", "Alphabet", "Amazon", "Meta")]
    assert [f.companies for f in unnamed] == [("hyperscalers",)]


def test_a_name_with_an_apostrophe_part_is_not_the_shorter_company() -> None:
    """"Dell'Oro Group" (a research firm) is not Dell; "Dell's" still is."""
    assert names_in(find_mentions("Dell'Oro Group expects data center spending to grow.")) == ()
    assert names_in(find_mentions("Dell's AI server orders grew.")) == ("Dell",)
