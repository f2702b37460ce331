"""The dev-set evaluation: the committed split, per-item scoring by error kind, the precision audit."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tasks.extract.facts._audit import audit
from tasks.extract.facts._devset import (
    HELD_OUT,
    N_FOLDS,
    SPLIT_FILE,
    TUNING,
    Item,
    fold_of,
    half_of,
    items_in_news,
    load_news_items,
    load_written_items,
    read_labels,
    read_split,
)
from tasks.extract.facts.evaluate import Scores, score_item
from tasks.models import Analysis, Classification, Fact


def _formula_half(item_id: str) -> str:
    digest = int(hashlib.sha256(("capex-split-2026-12:" + item_id).encode()).hexdigest(), 16)
    return HELD_OUT if digest % 2 == 1 else TUNING


def test_split_file_agrees_with_the_seeded_hash() -> None:
    """Every id in devset_split.tsv sits in the half the issue's seeded-hash formula gives it."""
    split = read_split()
    assert len(split) >= 300
    assert {item_id: _formula_half(item_id) for item_id in split} == split
    assert set(split.values()) == {TUNING, HELD_OUT}


def test_split_file_holds_ids_only() -> None:
    """The split file carries ids and halves, no corpus text (two tab-separated fields a line)."""
    rows = [line.split("\t") for line in SPLIT_FILE.read_text(encoding="utf-8").splitlines()
            if not line.startswith("#")]
    assert all(len(row) == 2 and len(row[0]) < 40 for row in rows)


def test_folds_cover_every_fold() -> None:
    """The k-fold assignment spreads the split's ids over all folds, each in range."""
    folds = {fold_of(item_id) for item_id in read_split()}
    assert folds == set(range(N_FOLDS))


@pytest.mark.corpus
def test_split_file_lists_every_labelled_id(corpus: Path) -> None:
    """Every id of labels.jsonl is listed in the committed split with its formula half."""
    split = read_split()
    labelled = [label["id"] for label in read_labels(corpus)]
    assert {i: split.get(i) for i in labelled} == {i: half_of(i) for i in labelled}


def _fact(companies: tuple[str, ...], amount: float, period: str | None, text: str, evidence: str) -> Fact:
    start = text.index(evidence)
    return Fact(companies=companies, amount=amount, amount_low=None, amount_high=None, currency="USD",
                amount_usd=amount, period=period, period_start=None, period_end=None, kind="capex",
                status="guidance", qualifier=None, evidence=evidence, evidence_start=start,
                evidence_end=start + len(evidence))


def _gold(companies: list[str], amount: float, period: str) -> dict[str, Any]:
    return {"companies": companies, "amount": amount, "amount_low": None, "amount_high": None,
            "currency": "USD", "amount_usd": amount, "period": period, "evidence_contains": "x"}


TEXT = "Meta will spend $70 billion in 2026. Nvidia will spend $5 billion. Oracle sees $35 billion in FY2026."


def test_score_item_counts_each_error_kind() -> None:
    """A missed story, a wrong period, a wrong company, a spurious and a missed fact are each counted once."""
    item = Item("x1", "t", TEXT, None, True, [_gold(["Meta"], 70e9, "2026"), _gold(["Oracle"], 35e9, "FY2026"),
                                               _gold(["Amazon"], 9e9, "2026")])
    facts = (_fact(("Meta",), 70e9, "2025", TEXT, "Meta will spend $70 billion in 2026."),
             _fact(("Nvidia",), 5e9, None, TEXT, "Nvidia will spend $5 billion."),
             _fact(("Microsoft",), 35e9, "FY2026", TEXT, "Oracle sees $35 billion in FY2026."))
    analysis = Analysis(Classification(is_capex=False, score=0.2), facts, "test")
    m = score_item(item, analysis).metrics()
    counts = {k: m[k] for k in ("missed_story", "false_story", "missed_fact", "spurious_fact",
                                "wrong_period", "wrong_company", "fact_tp")}
    assert counts == {"missed_story": 1, "false_story": 0, "missed_fact": 2, "spurious_fact": 2,
                      "wrong_period": 1, "wrong_company": 1, "fact_tp": 1}
    assert m["grounding"] == 1.0


def test_a_named_group_of_hyperscalers_is_scored_like_the_sector() -> None:
    """Four named hyperscalers match a ["hyperscalers"] label (rule 6); three named companies do not."""
    text = "Microsoft, Alphabet, Amazon and Meta plan $650 billion. Microsoft, Alphabet and Meta plan $500 billion."
    item = Item("x3", "t", text, None, True, [_gold(["hyperscalers"], 650e9, "2026"),
                                             _gold(["hyperscalers"], 500e9, "2026")])
    facts = (_fact(("Microsoft", "Alphabet", "Amazon", "Meta"), 650e9, "2026", text,
                   "Microsoft, Alphabet, Amazon and Meta plan $650 billion."),
             _fact(("Microsoft", "Alphabet", "Meta"), 500e9, "2026", text,
                   "Microsoft, Alphabet and Meta plan $500 billion."))
    m = score_item(item, Analysis(Classification(is_capex=True, score=0.9), facts, "test")).metrics()
    assert (m["fact_tp"], m["spurious_fact"], m["missed_fact"]) == (1, 1, 0)


def test_negative_item_facts_are_not_errors() -> None:
    """Facts predicted in a gold-negative story are not scored (labelling policy rule 1), the flag is."""
    item = Item("x2", "t", TEXT, None, False, [])
    facts = (_fact(("Nvidia",), 5e9, None, TEXT, "Nvidia will spend $5 billion."),)
    scores = Scores()
    scores.add(score_item(item, Analysis(Classification(is_capex=True, score=0.9), facts, "test")))
    m = scores.metrics("heldout_")
    assert (m["heldout_false_story"], m["heldout_spurious_fact"], m["heldout_fact_precision"]) == (1, 0, 1.0)
    assert scores.misses == ["x2: false positive story (0.9) 't'"]


def test_audit_counts_flags_and_samples_titles(tmp_path: Path) -> None:
    """The audit reads the news file, counts the flagged articles and samples only flagged titles."""
    story = ("Meta raised its capital expenditure forecast. The company now expects capital expenditures of "
             "$70 billion to $72 billion this year for AI data centers and servers. Meta plans to spend more on "
             "compute and on multi-gigawatt data center clusters. The buildout of AI infrastructure goes on.")
    rows = [{"id": "a", "title": "Meta lifts capex forecast as AI data center spending soars", "markdown": story,
             "published": "2026-01-29T10:00:00Z"},
            {"id": "b", "title": "A new phone", "markdown": "The phone has a bigger screen.", "published": None},
            {"id": "c", "title": None, "markdown": None, "published": "bad"}]
    news = tmp_path / "news-2025-2026"
    news.mkdir()
    with gzip.open(news / "articles.jsonl.gz", "wt", encoding="utf-8") as out:
        out.write("".join(json.dumps(row) + "\n" for row in rows))
    result = audit(tmp_path, sample_size=30)
    assert result is not None
    assert (result.n_articles, result.n_flagged, result.sample) == (
        3, 1, ("2026-01-29 Meta lifts capex forecast as AI data center spending soars",))
    assert audit(tmp_path / "missing") is None


def _news_corpus(root: Path, rows: list[dict[str, Any]]) -> Path:
    news = root / "news-2025-2026"
    news.mkdir(parents=True)
    with gzip.open(news / "articles.jsonl.gz", "wt", encoding="utf-8") as out:
        out.write("".join(json.dumps(row) + "\n" for row in rows))
    return root


def test_news_items_join_the_team_labels_with_the_article_text(tmp_path: Path) -> None:
    """Labelled ids take title, body and date from the news file; unlabelled articles are left out."""
    corpus = _news_corpus(tmp_path / "corpus", [
        {"id": "n1", "title": "T1", "markdown": "Body one.", "published": "2026-02-01T09:00:00Z"},
        {"id": "n2", "title": "T2", "markdown": "Body two.", "published": "2026-02-02T09:00:00Z"},
        {"id": "n3", "title": "T3", "markdown": None, "published": None}])
    labels = tmp_path / "labels.jsonl"
    fact = {"companies": ["Meta"], "amount": 1e9, "currency": "USD", "period": "2026"}
    labels.write_text(json.dumps({"id": "n3", "is_capex": False, "facts": []}) + "\n\n"
                      + json.dumps({"id": "n1", "published": "2026-01-31", "is_capex": True, "facts": [fact]}) + "\n",
                      encoding="utf-8")
    items = load_news_items(corpus, labels)
    assert [(i.id, i.title, i.text, i.published, i.is_capex, i.facts) for i in items] == [
        ("n1", "T1", "Body one.", date(2026, 1, 31), True, [fact]), ("n3", "T3", "", None, False, [])]
    assert load_news_items(tmp_path / "no-corpus", labels) == []


def test_a_labelled_news_id_missing_from_the_news_file_is_an_error(tmp_path: Path) -> None:
    """A label whose article is not in the news file fails loudly instead of shrinking the set."""
    corpus = _news_corpus(tmp_path / "corpus", [{"id": "n1", "title": "T", "markdown": "B", "published": None}])
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"id": "gone", "is_capex": False, "facts": []}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="1 labelled news ids not in .*: gone"):
        load_news_items(corpus, labels)


def test_news_labels_name_feed_items_by_position_and_title(tmp_path: Path) -> None:
    """A label with `file`, `item` and `item_title` takes the text of that feed item; a title that differs fails."""
    corpus = _news_corpus(tmp_path / "corpus", [])
    (corpus / "feeds").mkdir()
    (corpus / "feeds" / "wire.xml").write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
        "<item><title>First</title><description>&lt;p&gt;Nothing here.&lt;/p&gt;</description>"
        "<pubDate>Tue, 10 Mar 2026 09:00:00 GMT</pubDate></item>"
        "<item><title>Second</title><description>&lt;p&gt;Meta will spend more on data centers.&lt;/p&gt;"
        "</description><pubDate>Tue, 10 Mar 2026 10:00:00 GMT</pubDate></item></channel></rss>", encoding="utf-8")
    labels = tmp_path / "labels.jsonl"
    label = {"id": "wire#1", "file": "feeds/wire.xml", "item": 1, "item_title": "Second", "is_capex": True,
             "facts": []}
    labels.write_text(json.dumps(label) + "\n", encoding="utf-8")
    [item] = load_news_items(corpus, labels)
    assert (item.id, item.title, item.published, item.is_capex) == ("wire#1", "Second", date(2026, 3, 10), True)
    assert "Meta will spend more on data centers." in item.text
    labels.write_text(json.dumps({**label, "item_title": "Renamed"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="item 1 is 'Second', labelled as 'Renamed'"):
        load_news_items(corpus, labels)


def test_written_pages_are_read_from_beside_their_labels(tmp_path: Path) -> None:
    """A written page is a Markdown file with front matter beside the labels file; a missing page fails loudly."""
    (tmp_path / "01.md").write_text('---\ntitle: "Meta lifts capex"\npublished: "2026-01-29"\n---\n'
                                    "Meta will spend $135 billion on data centers.\n", encoding="utf-8")
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"id": "w-01", "path": "01.md", "is_capex": True, "facts": []}) + "\n",
                      encoding="utf-8")
    [item] = load_written_items(labels)
    assert (item.id, item.title, item.published, item.text) == (
        "w-01", "Meta lifts capex", date(2026, 1, 29), "Meta will spend $135 billion on data centers.\n")
    assert load_written_items(tmp_path / "none.jsonl") == []
    labels.write_text(json.dumps({"id": "w-02", "path": "02.md", "is_capex": False, "facts": []}) + "\n",
                      encoding="utf-8")
    with pytest.raises(ValueError, match="labelled page 02.md not in"):
        load_written_items(labels)


def test_dev_items_whose_article_is_in_the_news_file_are_found(tmp_path: Path) -> None:
    """A dev item whose article file is named like an article of the unlabelled news ("<category>_<news id>.md") is
    one whose text the audit's readers see; feed items and other files are not."""
    corpus = _news_corpus(tmp_path / "corpus", [
        {"id": "202603161359-nebius-jumps", "title": "T", "markdown": "B", "published": None},
        {"id": "202603170000-other-story", "title": "T", "markdown": "B", "published": None}])
    labels = [{"id": "d1", "file": "datasets/news-aggregator-md-2/finance_202603161359-nebius-jumps.md"},
              {"id": "d2", "file": "datasets/news-aggregator-md-2/finance_202603161400-not-in-the-news.md"},
              {"id": "d3", "file": "feeds/arstechnica_2026-03-14.xml", "item_title": "An item"},
              {"id": "d4", "file": "pages/202603170000-other-story.md"}]
    (corpus / "labels.jsonl").write_text("".join(json.dumps(label) + "\n" for label in labels), encoding="utf-8")
    assert items_in_news(corpus) == {"d1", "d4"}
    assert items_in_news(tmp_path / "no-corpus") == frozenset()
