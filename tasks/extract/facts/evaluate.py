"""Score the rule extractor on the labelled development set: `python -m tasks.extract.facts.evaluate [--verbose]`.

Reads ../shared/corpus/labels.jsonl (relative to the repository root) and ../shared/seeds/; prints story
precision/recall/F1, fact precision/recall/F1, period accuracy, grounding rate and the seed result.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

from tasks.extract.facts._audit import AUDIT_SEED, NEWS_FILE, audit
from tasks.extract.facts._companies import find_mentions, is_hyperscaler_group
from tasks.extract.facts._devset import (
    HELD_OUT,
    N_FOLDS,
    NEWS_LABELS_FILE,
    TUNING,
    WRITTEN_LABELS_FILE,
    Item,
    fold_of,
    half_of,
    items_in_news,
    load_items,
    load_news_items,
    load_written_items,
    write_split,
)
from tasks.models import Analysis, Fact

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO.parent / "shared" / "corpus"
SEEDS = REPO.parent / "shared" / "seeds"
# matching tolerances of the labelling policy (corpus README, rule 9)
AMOUNT_TOLERANCE = 0.02
USD_TOLERANCE = 0.03
# aliases the labels may use for a canonical registry name
_ALIASES = {"google": "alphabet", "facebook": "meta", "aws": "amazon", "meta platforms": "meta"}


@dataclass(slots=True)
class Scores:
    """Counts of one item or summed over a part of the development set."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    fact_tp: int = 0
    gold_tp: int = 0
    fact_fp: int = 0
    fact_fn: int = 0
    period_ok: int = 0
    period_n: int = 0
    wrong_company: int = 0
    grounded: int = 0
    facts_total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Scores) -> None:
        """Add another item's or part's counts to these."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses.extend(other.misses)

    def metrics(self, prefix: str = "") -> dict[str, float | int]:
        """Story and fact precision/recall/F1, error counts per kind, period accuracy and grounding."""
        story = _f1(self.tp, self.fp, self.fn)
        precision = self.fact_tp / (self.fact_tp + self.fact_fp) if self.fact_tp + self.fact_fp else 1.0
        gold_total = self.gold_tp + self.fact_fn
        recall = self.gold_tp / gold_total if gold_total else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        values: dict[str, float | int] = {
            "story_precision": story[0], "story_recall": story[1], "story_f1": story[2],
            "fact_precision": precision, "fact_recall": recall, "fact_f1": f1,
            "fact_tp": self.fact_tp, "fact_fp": self.fact_fp, "fact_fn": self.fact_fn,
            "missed_story": self.fn, "false_story": self.fp, "missed_fact": self.fact_fn,
            "spurious_fact": self.fact_fp, "wrong_period": self.period_n - self.period_ok,
            "wrong_company": self.wrong_company,
            "period_accuracy": self.period_ok / self.period_n if self.period_n else 1.0,
            "grounding": self.grounded / self.facts_total if self.facts_total else 1.0,
        }
        return {f"{prefix}{key}": value for key, value in values.items()}


_COUNTS = tuple(f.name for f in fields(Scores) if f.name != "misses")


def _norm(name: str) -> str:
    """A company name compared after aliases (README rule 9): the registry's canonical name when the name holds
    exactly one registry actor ("SoftBank Corp", "Tata Consultancy Services", "Google", "Government of South Korea"),
    else the name itself."""
    lowered = name.lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    found = {m.actor.name for m in find_mentions(name)}
    return found.pop().lower() if len(found) == 1 else lowered


def is_sector(companies: list[str] | tuple[str, ...]) -> bool:
    """Whole-sector figures ("hyperscalers", "AI industry", four or more hyperscalers named together) are scored
    leniently (policy rule 6)."""
    return is_hyperscaler_group(companies) or any(c.lower() == "hyperscalers" or "industry" in c.lower()
                                                  for c in companies)


def _close(a: float | None, b: float | None, tolerance: float) -> bool:
    return a is not None and b is not None and b != 0 and abs(a - b) <= tolerance * abs(b)


def fact_matches(pred: Fact, gold: dict[str, Any]) -> bool:
    """Companies intersect (after aliases) and the amount agrees (README rule 9)."""
    shared = {_norm(c) for c in pred.companies} & {_norm(c) for c in gold["companies"]}
    if not shared and not (is_sector(pred.companies) and is_sector(gold["companies"])):
        return False
    return amount_matches(pred, gold)


def amount_matches(pred: Fact, gold: dict[str, Any]) -> bool:
    """The amount agrees within the policy's tolerance, whoever the companies are."""
    if gold.get("amount") is None and gold.get("amount_low") is not None:
        low, high = gold["amount_low"], gold["amount_high"]
        if pred.amount is None and pred.amount_low is not None:
            return _close(pred.amount_low, low, AMOUNT_TOLERANCE) and _close(pred.amount_high, high, AMOUNT_TOLERANCE)
        value = pred.amount
        return value is not None and low * (1 - AMOUNT_TOLERANCE) <= value <= high * (1 + AMOUNT_TOLERANCE)
    if pred.amount is None and pred.amount_low is not None and pred.amount_high is not None:
        return bool(pred.amount_low <= gold["amount"] <= pred.amount_high and pred.currency == gold["currency"])
    if pred.currency == gold.get("currency") and _close(pred.amount, gold["amount"], AMOUNT_TOLERANCE):
        return True
    return _close(pred.amount_usd, gold.get("amount_usd"), USD_TOLERANCE)


def score_item(item: Item, analysis: Analysis) -> Scores:
    """One article's story and fact outcome as counts (facts are scored in gold-positive items only)."""
    scores = Scores()
    predicted = analysis.classification.is_capex
    scores.tp, scores.fp, scores.fn = predicted and item.is_capex, predicted and not item.is_capex, \
        item.is_capex and not predicted
    if scores.fp or scores.fn:
        what = "false positive story" if scores.fp else "missed story"
        scores.misses.append(f"{item.id}: {what} ({analysis.classification.score}) {item.title!r}")
    scores.facts_total = len(analysis.facts)
    scores.grounded = sum(_grounded(item.text, fact) for fact in analysis.facts)
    if item.is_capex:
        _score_facts(item, analysis.facts, scores)
    return scores


def _score_facts(item: Item, facts: tuple[Fact, ...], scores: Scores) -> None:
    """Match predicted facts against the gold facts of a positive item."""
    matched_gold: set[int] = set()
    for fact in facts:
        hits = [i for i, gold in enumerate(item.facts) if fact_matches(fact, gold)]
        if hits:
            matched_gold.update(hits)
            scores.period_n += 1
            scores.period_ok += int(fact.period == item.facts[hits[0]].get("period"))
            scores.fact_tp += 1
            if fact.period != item.facts[hits[0]].get("period"):
                gold_period = item.facts[hits[0]].get("period")
                scores.misses.append(f"{item.id}: wrong period {_show(fact)} (gold {gold_period})")
        elif not is_sector(fact.companies):
            scores.fact_fp += 1
            if any(amount_matches(fact, gold) for gold in item.facts):
                scores.wrong_company += 1
            scores.misses.append(f"{item.id}: extra fact {_show(fact)} :: {fact.evidence[:160]!r}")
    for i, gold in enumerate(item.facts):
        if is_sector(gold["companies"]):
            continue
        if i in matched_gold:
            scores.gold_tp += 1
        else:
            scores.fact_fn += 1
            amount = gold.get("amount") or (gold.get("amount_low"), gold.get("amount_high"))
            scores.misses.append(f"{item.id}: missed fact {gold['companies']} {amount} {gold['currency']} "
                                 f"{gold.get('period')} :: {gold.get('evidence_contains', '')!r}")


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
    from tasks.extract.extractor import get_extractor

    expected = json.loads((SEEDS / "ai-capex-china-2024-08-27.expected.json").read_text(encoding="utf-8"))
    text = (SEEDS / expected["source_file"]).read_text(encoding="utf-8")
    analysis = get_extractor().analyse(None, text, date.fromisoformat(expected["published"]))
    names = ("amount", "amount_low", "amount_high", "currency", "period", "kind", "status", "qualifier")
    unmatched = list(expected["facts"])
    for fact in analysis.facts:
        for gold in unmatched:
            if (set(fact.companies) == set(gold["companies"]) and all(getattr(fact, f) == gold[f] for f in names)
                    and _close(fact.amount_usd, gold["amount_usd"], 0.001)
                    and gold["evidence_contains"] in fact.evidence):
                unmatched.remove(gold)
                break
    exact = analysis.classification.is_capex and not unmatched and len(analysis.facts) == len(expected["facts"])
    return {"exact": exact, "n_facts": len(analysis.facts), "n_expected": len(expected["facts"])}


def evaluate(corpus: Path = CORPUS, news_labels: Path = NEWS_LABELS_FILE,
             written: Path = WRITTEN_LABELS_FILE) -> dict[str, Any]:
    """Run the extractor over the development set and the team's labelled sets and return the metrics.

    Args:
        corpus: the shared corpus folder holding labels.jsonl.
        news_labels: the team's labels on articles of the corpus's unlabelled news file.
        written: the labels of the team-written pages (the pages sit beside it).
    Returns:
        Whole-set story/fact precision, recall and F1, error counts per kind, period accuracy and
        grounding (unprefixed keys), the same for the halves (`tuning_*`, `heldout_*`), per-fold
        story and fact F1 (`folds`), the same per team set (`news_*`, `news_tuning_*`, `news_heldout_*`;
        `written_*` ...; split by the same hash), the seed result, the median time and the misses per half.
    """
    from tasks.extract.extractor import get_extractor

    extractor = get_extractor()
    items = load_items(corpus)
    in_news = items_in_news(corpus)
    parts, folds, timings = _score_set(items, in_news)
    metrics: dict[str, Any] = {
        "n_items": len(items), **parts[""].metrics(),
        "n_tuning": sum(half_of(i.id) == TUNING for i in items), **parts[TUNING].metrics("tuning_"),
        "n_heldout": sum(half_of(i.id) == HELD_OUT for i in items), **parts[HELD_OUT].metrics("heldout_"),
        "n_heldout_unread": sum(half_of(i.id) == HELD_OUT and i.id not in in_news for i in items),
        **parts[_UNREAD].metrics("heldout_unread_"),
        "folds": [fold.metrics() for fold in folds],
        "seed": seed_result(), "median_ms": 1000 * timings[len(timings) // 2] if timings else 0.0,
        "misses": {TUNING: parts[TUNING].misses, HELD_OUT: parts[HELD_OUT].misses},
        "extractor_version": extractor.version,
    }
    for name, team_items in (("news", load_news_items(corpus, news_labels)), ("written", load_written_items(written))):
        scores, _, _ = _score_set(team_items)
        metrics[f"n_{name}"] = len(team_items)
        metrics[f"n_{name}_tuning"] = sum(half_of(i.id) == TUNING for i in team_items)
        metrics[f"n_{name}_heldout"] = sum(half_of(i.id) == HELD_OUT for i in team_items)
        metrics.update({**scores[""].metrics(f"{name}_"), **scores[TUNING].metrics(f"{name}_tuning_"),
                        **scores[HELD_OUT].metrics(f"{name}_heldout_")})
        metrics["misses"].update({f"{name}-{TUNING}": scores[TUNING].misses,
                                  f"{name}-{HELD_OUT}": scores[HELD_OUT].misses})
    return metrics


def _score_set(items: list[Item], in_news: frozenset[str] = frozenset()) -> tuple[dict[str, Scores], list[Scores],
                                                                                    list[float]]:
    """Scores of a labelled set: whole, per half and for the held-out items outside the unlabelled news (`in_news`
    holds the others), per fold, and the sorted per-article times."""
    from tasks.extract.extractor import get_extractor

    extractor = get_extractor()
    parts = {name: Scores() for name in ("", TUNING, HELD_OUT, _UNREAD)}
    folds = [Scores() for _ in range(N_FOLDS)]
    timings: list[float] = []
    for item in items:
        started = time.perf_counter()
        analysis = extractor.analyse(item.title, item.text, item.published)
        timings.append(time.perf_counter() - started)
        scores = score_item(item, analysis)
        half = half_of(item.id)
        for part in ("", half, *((_UNREAD,) if half == HELD_OUT and item.id not in in_news else ())):
            parts[part].add(scores)
        folds[fold_of(item.id)].add(scores)
    timings.sort()
    return parts, folds, timings


# the held-out items whose text is not in the unlabelled news (the audit's material, read while writing rules)
_UNREAD = "held-out, outside the unlabelled news"
_ROWS = (("stories  P / R / F1", ("story_precision", "story_recall", "story_f1")),
         ("facts    P / R / F1", ("fact_precision", "fact_recall", "fact_f1")),
         ("period accuracy", ("period_accuracy",)), ("grounding", ("grounding",)))
_KINDS = ("missed_story", "false_story", "missed_fact", "spurious_fact", "wrong_period", "wrong_company")


def report(m: dict[str, Any]) -> list[str]:
    """The printed summary: whole set, tuning and held-out halves side by side, folds, errors per kind."""
    lines = [(f"extractor {m['extractor_version']} on {m['n_items']} items "
              f"(tuning {m['n_tuning']}, held-out {m['n_heldout']}; median {m['median_ms']:.2f} ms/article)"),
             *_table(m, "")]
    story = [f["story_f1"] for f in m["folds"]]
    fact = [f["fact_f1"] for f in m["folds"]]
    for label, values in (("story F1", story), ("fact F1 ", fact)):
        spread = " ".join(f"{v:.3f}" for v in values)
        lines.append(f"{N_FOLDS}-fold {label} {spread} (mean {sum(values) / len(values):.3f})")
    stories, facts = (" / ".join(f"{m[f'heldout_unread_{what}_{k}']:.3f}" for k in ("precision", "recall", "f1"))
                      for what in ("story", "fact"))
    lines.append(f"held-out items outside the unlabelled news ({m['n_heldout_unread']}; the other "
                 f"{m['n_heldout'] - m['n_heldout_unread']} are also articles of the audit's file): "
                 f"stories P / R / F1 {stories}, facts P / R / F1 {facts}")
    lines.extend(_team_reports(m))
    seed = m["seed"]
    verdict = "exact" if seed["exact"] else "MISMATCH"
    lines.append(f"seed: {verdict} ({seed['n_facts']} facts, {seed['n_expected']} expected)")
    return lines


# the team's labelled sets beside the dev set: key prefix, heading, what is missing when a set is skipped
_TEAM_SETS = (("news", f"team-labelled news ({NEWS_LABELS_FILE.name})", "no news labels or no news file in the corpus"),
              ("written", f"team-written pages ({WRITTEN_LABELS_FILE.parent.name}/)", "no written pages"))


def _team_reports(m: dict[str, Any]) -> list[str]:
    """One block per team set: whole, tuning and held-out halves, like the dev set's."""
    lines: list[str] = []
    for name, heading, missing in _TEAM_SETS:
        if not m[f"n_{name}"]:
            lines.append(f"{heading}: skipped ({missing})")
            continue
        lines += [(f"{heading}: {m[f'n_{name}']} items "
                   f"(tuning {m[f'n_{name}_tuning']}, held-out {m[f'n_{name}_heldout']})"), *_table(m, f"{name}_")]
    return lines


def _table(m: dict[str, Any], prefix: str) -> list[str]:
    """A set's whole, tuning and held-out figures side by side (keys `prefix`, `prefix` + "tuning_" and "heldout_")."""
    prefixes = (prefix, f"{prefix}tuning_", f"{prefix}heldout_")
    lines = [f"{'':22}{'whole':>24}{'tuning':>24}{'held-out':>24}"]
    for label, keys in _ROWS:
        cells = [" / ".join(f"{m[p + key]:.3f}" for key in keys) for p in prefixes]
        lines.append(f"{label:22}" + "".join(f"{cell:>24}" for cell in cells))
    for kind in _KINDS:
        cells = [str(m[p + kind]) for p in prefixes]
        lines.append(f"{kind.replace('_', ' '):22}" + "".join(f"{cell:>24}" for cell in cells))
    return lines


def audit_report(corpus: Path) -> list[str]:
    """The precision audit's lines: flag rate over the unlabelled news and a sample of flagged titles."""
    result = audit(corpus)
    if result is None:
        return [f"audit skipped: no {NEWS_FILE} in {corpus}"]
    lines = [(f"audit: {result.n_flagged} of {result.n_articles} unlabelled articles flagged "
              f"(flag rate {result.flag_rate:.3%}); {result.n_with_facts} with facts; "
              f"sample of {len(result.sample)} flagged titles (seed {AUDIT_SEED}):")]
    return lines + [f"  {title}" for title in result.sample]


def main(argv: list[str] | None = None) -> int:
    """Print the evaluation summary, the precision audit (unless --no-audit) and, with --verbose, the misses."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="list every missed or extra story and fact of --misses-from")
    parser.add_argument("--misses-from", choices=(TUNING, HELD_OUT, *(f"{name}-{half}" for name, _, _ in _TEAM_SETS
                                                                     for half in (TUNING, HELD_OUT)), "all"),
                        default=TUNING,
                        help="which half's misses --verbose lists (rules are written from the tuning half only)")
    parser.add_argument("--no-audit", action="store_true", help="skip the precision audit on the unlabelled news")
    parser.add_argument("--write-split", action="store_true", help="rewrite devset_split.tsv from the corpus ids")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder holding labels.jsonl")
    parser.add_argument("--news-labels", type=Path, default=NEWS_LABELS_FILE,
                        help="the team's labels on the corpus's unlabelled news articles (JSON Lines)")
    parser.add_argument("--written", type=Path, default=WRITTEN_LABELS_FILE,
                        help="the labels of the team-written pages, which sit beside it (JSON Lines)")
    args = parser.parse_args(argv)
    if not (args.corpus / "labels.jsonl").exists():
        print(f"skipped: no labelled corpus at {args.corpus} (labels.jsonl not found)", file=sys.stderr)
        return 0
    if args.write_split:
        write_split([item.id for item in load_items(args.corpus)])
    m = evaluate(args.corpus, args.news_labels, args.written)
    if args.verbose:
        halves = tuple(m["misses"]) if args.misses_from == "all" else (args.misses_from,)
        for half in halves:
            print("\n".join(f"[{half}] {line}" for line in m["misses"][half]))
    print("\n".join(report(m)))
    if not args.no_audit:
        print("\n".join(audit_report(args.corpus)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
