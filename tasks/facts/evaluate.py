"""Score the rule extractor on the labelled development set: `python -m tasks.facts.evaluate [--verbose]`.

Reads ../shared/corpus/labels.jsonl (relative to the repository root) and ../shared/seeds/; prints story
precision/recall/F1, fact precision/recall/F1, period accuracy, grounding rate and the seed result.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tasks.models import Analysis, Fact

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
SEEDS = REPO.parent / "shared" / "seeds"
# matching tolerances of the labelling policy (corpus README, rule 9)
AMOUNT_TOLERANCE = 0.02
USD_TOLERANCE = 0.03
# aliases the labels may use for a canonical registry name
_ALIASES = {"google": "alphabet", "facebook": "meta", "aws": "amazon", "meta platforms": "meta"}
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n?", re.DOTALL)


@dataclass(slots=True)
class Item:
    """One labelled article: its text, date, title and gold labels."""

    id: str
    title: str | None
    text: str
    published: date | None
    is_capex: bool
    facts: list[dict[str, Any]]


@dataclass(slots=True)
class Scores:
    """Counts accumulated over the development set."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    fact_tp: int = 0
    gold_tp: int = 0
    fact_fp: int = 0
    fact_fn: int = 0
    period_ok: int = 0
    period_n: int = 0
    grounded: int = 0
    facts_total: int = 0
    misses: list[str] = field(default_factory=list)


def _norm(name: str) -> str:
    lowered = name.lower()
    return _ALIASES.get(lowered, lowered)


def is_sector(companies: list[str] | tuple[str, ...]) -> bool:
    """Whole-sector figures ("hyperscalers", "AI industry") are scored leniently."""
    return any(c.lower() == "hyperscalers" or "industry" in c.lower() for c in companies)


def _close(a: float | None, b: float | None, tolerance: float) -> bool:
    return a is not None and b is not None and b != 0 and abs(a - b) <= tolerance * abs(b)


def fact_matches(pred: Fact, gold: dict[str, Any]) -> bool:
    """Companies intersect (after aliases) and the amount agrees (README rule 9)."""
    shared = {_norm(c) for c in pred.companies} & {_norm(c) for c in gold["companies"]}
    if not shared and not (is_sector(pred.companies) and is_sector(gold["companies"])):
        return False
    if gold.get("amount") is None and gold.get("amount_low") is not None:
        low, high = gold["amount_low"], gold["amount_high"]
        if pred.amount is None and pred.amount_low is not None:
            return _close(pred.amount_low, low, AMOUNT_TOLERANCE) and _close(pred.amount_high, high, AMOUNT_TOLERANCE)
        value = pred.amount
        return value is not None and low * (1 - AMOUNT_TOLERANCE) <= value <= high * (1 + AMOUNT_TOLERANCE)
    pred_value = pred.amount if pred.amount is not None else None
    if pred_value is None and pred.amount_low is not None and pred.amount_high is not None:
        return bool(pred.amount_low <= gold["amount"] <= pred.amount_high and pred.currency == gold["currency"])
    if pred.currency == gold.get("currency") and _close(pred_value, gold["amount"], AMOUNT_TOLERANCE):
        return True
    return _close(pred.amount_usd, gold.get("amount_usd"), USD_TOLERANCE)


def markdown_item(path: Path) -> tuple[str | None, str, date | None]:
    """Title, body and date of a dataset Markdown file (body after the YAML front matter)."""
    raw = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(raw)
    meta: dict[str, str] = {}
    if match:
        key = ""
        for line in match.group(1).splitlines():
            name, sep, value = line.partition(":")
            if sep and not line.startswith(" "):
                key = name.strip()
                meta[key] = value.strip().strip("'\"")
            elif key and meta.get(key, "") in (">-", ">", "|", "|-") or (key and line.startswith("  ")):
                folded = meta[key] if meta[key] not in (">-", ">", "|", "|-") else ""
                meta[key] = f"{folded} {line.strip()}".strip()  # YAML folded block ("title: >-")
        raw = raw[match.end():]
    published = _date(meta.get("published") or meta.get("date"))
    return meta.get("title"), raw, published


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def html_to_text(html: str) -> str:
    """Article text of a feed item's HTML, as the pipeline's trafilatura sees it (lxml as fallback)."""
    with warnings.catch_warnings():
        # trafilatura imports urllib3's SOCKS module, which warns when the optional PySocks is absent
        warnings.simplefilter("ignore")
        import trafilatura
    from lxml import html as lxml_html

    text = trafilatura.extract(f"<html><body>{html}</body></html>", include_comments=False,
                               include_tables=False, favor_recall=True)
    if text:
        return text
    return "\n".join(p.text_content().strip() for p in lxml_html.fromstring(html).iter("p"))


def feed_items(path: Path) -> list[tuple[str, str, date | None]]:
    """(title, text, date) of every item of a feed file, from content:encoded (else the summary)."""
    import feedparser

    parsed = feedparser.parse(path.read_bytes())
    items = []
    for entry in parsed.entries:
        html = entry.get("content", [{}])[0].get("value") or entry.get("summary", "")
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday) if stamp else None
        items.append((entry.get("title", ""), html_to_text(html) if html else "", published))
    return items


def load_items(corpus: Path = CORPUS) -> list[Item]:
    """The labelled items, plus the unlabelled Ars Technica feed items as negatives."""
    labels = [json.loads(line) for line in (corpus / "labels.jsonl").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    items: list[Item] = []
    feeds: dict[str, list[dict[str, Any]]] = {}
    for label in labels:
        if "item_title" in label:
            feeds.setdefault(label["file"], []).append(label)
            continue
        title, text, published = markdown_item(corpus / label["file"])
        items.append(Item(label["id"], title, text, _date(label.get("published")) or published,
                          bool(label["is_capex"]), label["facts"]))
    for feed_file in sorted({*feeds, *(f"feeds/{p.name}" for p in (corpus / "feeds").glob("arstechnica_*.xml"))}):
        by_title = {label["item_title"]: label for label in feeds.get(feed_file, [])}
        for n, (title, text, published) in enumerate(feed_items(corpus / feed_file)):
            label = by_title.get(title)
            item_id = label["id"] if label else f"{Path(feed_file).stem}#{n}"
            items.append(Item(item_id, title, text, _date(label.get("published")) if label else published,
                              bool(label["is_capex"]) if label else False, label["facts"] if label else []))
    return items


def _score_item(item: Item, analysis: Analysis, scores: Scores) -> None:
    """Add one article's story and fact outcome to the counts."""
    predicted = analysis.classification.is_capex
    if predicted and item.is_capex:
        scores.tp += 1
    elif predicted:
        scores.fp += 1
        scores.misses.append(f"{item.id}: false positive story ({analysis.classification.score})")
    elif item.is_capex:
        scores.fn += 1
        scores.misses.append(f"{item.id}: missed story ({analysis.classification.score})")
    for fact in analysis.facts:
        scores.facts_total += 1
        scores.grounded += int(_grounded(item.text, fact))
    if not item.is_capex:
        return
    matched_gold: set[int] = set()
    for fact in analysis.facts:
        hits = [i for i, gold in enumerate(item.facts) if fact_matches(fact, gold)]
        if hits:
            matched_gold.update(hits)
            gold = item.facts[hits[0]]
            scores.period_n += 1
            scores.period_ok += int(fact.period == gold.get("period"))
            scores.fact_tp += 1
        elif not is_sector(fact.companies):
            scores.fact_fp += 1
            scores.misses.append(f"{item.id}: extra fact {_show(fact)} :: {fact.evidence[:160]!r}")
    for i, gold in enumerate(item.facts):
        if i in matched_gold and not is_sector(gold["companies"]):
            scores.gold_tp += 1
        if i not in matched_gold and not is_sector(gold["companies"]):
            scores.fact_fn += 1
            scores.misses.append(f"{item.id}: missed fact {gold['companies']} {gold.get('amount') or (gold.get('amount_low'), gold.get('amount_high'))} "
                                 f"{gold['currency']} {gold.get('period')} :: {gold['evidence_contains']!r}")


def _show(fact: Fact) -> str:
    amount = fact.amount if fact.amount is not None else (fact.amount_low, fact.amount_high)
    return f"{list(fact.companies)} {amount} {fact.currency} {fact.period} {fact.kind}/{fact.status}"


def _grounded(text: str, fact: Fact) -> bool:
    """The evidence sits at its offsets and contains a written figure."""
    return text[fact.evidence_start:fact.evidence_end] == fact.evidence and bool(re.search(r"\d", fact.evidence))


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def seed_result() -> dict[str, Any]:
    """Run the seed article and compare with its expected facts (all fields)."""
    from tasks.extractor import get_extractor

    expected = json.loads((SEEDS / "ai-capex-china-2024-08-27.expected.json").read_text(encoding="utf-8"))
    text = (SEEDS / expected["source_file"]).read_text(encoding="utf-8")
    analysis = get_extractor().analyse(None, text, date.fromisoformat(expected["published"]))
    fields = ("amount", "amount_low", "amount_high", "currency", "period", "kind", "status", "qualifier")
    unmatched = list(expected["facts"])
    for fact in analysis.facts:
        for gold in unmatched:
            if (set(fact.companies) == set(gold["companies"]) and all(getattr(fact, f) == gold[f] for f in fields)
                    and _close(fact.amount_usd, gold["amount_usd"], 0.001)
                    and gold["evidence_contains"] in fact.evidence):
                unmatched.remove(gold)
                break
    exact = analysis.classification.is_capex and not unmatched and len(analysis.facts) == len(expected["facts"])
    return {"exact": exact, "n_facts": len(analysis.facts), "n_expected": len(expected["facts"])}


def evaluate(corpus: Path = CORPUS) -> dict[str, Any]:
    """Run the extractor over the development set and return the metrics.

    Args:
        corpus: the shared corpus folder holding labels.jsonl.
    Returns:
        A dict of story/fact precision, recall and F1, period accuracy, grounding, seed result, timing and misses.
    """
    from tasks.extractor import get_extractor

    extractor = get_extractor()
    scores = Scores()
    timings: list[float] = []
    for item in load_items(corpus):
        started = time.perf_counter()
        analysis = extractor.analyse(item.title, item.text, item.published)
        timings.append(time.perf_counter() - started)
        _score_item(item, analysis, scores)
    story = _f1(scores.tp, scores.fp, scores.fn)
    precision = scores.fact_tp / (scores.fact_tp + scores.fact_fp) if scores.fact_tp + scores.fact_fp else 1.0
    gold_total = scores.gold_tp + scores.fact_fn
    recall = scores.gold_tp / gold_total if gold_total else 1.0
    facts = (precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    timings.sort()
    return {
        "n_items": len(timings), "story_precision": story[0], "story_recall": story[1], "story_f1": story[2],
        "fact_precision": facts[0], "fact_recall": facts[1], "fact_f1": facts[2],
        "fact_tp": scores.fact_tp, "fact_fp": scores.fact_fp, "fact_fn": scores.fact_fn,
        "period_accuracy": scores.period_ok / scores.period_n if scores.period_n else 1.0,
        "grounding": scores.grounded / scores.facts_total if scores.facts_total else 1.0,
        "seed": seed_result(), "median_ms": 1000 * timings[len(timings) // 2] if timings else 0.0,
        "misses": scores.misses, "extractor_version": extractor.version,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the evaluation summary (and the misses with --verbose)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", "-v", action="store_true", help="list every missed or extra story and fact")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder holding labels.jsonl")
    args = parser.parse_args(argv)
    if not (args.corpus / "labels.jsonl").exists():
        print(f"skipped: no labelled corpus at {args.corpus} (labels.jsonl not found)", file=sys.stderr)
        return 0
    m = evaluate(args.corpus)
    if args.verbose:
        for line in m["misses"]:
            print(line)
    print(f"extractor {m['extractor_version']} on {m['n_items']} items (median {m['median_ms']:.2f} ms/article)")
    print(f"stories: precision {m['story_precision']:.3f}  recall {m['story_recall']:.3f}  F1 {m['story_f1']:.3f}")
    print(f"facts:   precision {m['fact_precision']:.3f}  recall {m['fact_recall']:.3f}  F1 {m['fact_f1']:.3f}"
          f"  (tp {m['fact_tp']}, fp {m['fact_fp']}, fn {m['fact_fn']})")
    print(f"period accuracy (matched facts) {m['period_accuracy']:.3f}   grounding {m['grounding']:.3f}")
    seed = m["seed"]
    print(f"seed: {'exact' if seed['exact'] else 'MISMATCH'} ({seed['n_facts']} facts, {seed['n_expected']} expected)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
