"""The labelled development set: loading its items and its fixed tuning/held-out split.

Items are the labelled articles of ../shared/corpus/labels.jsonl plus every Ars Technica feed
item (labelled ones by their id, the unlabelled ones as negatives named `<feed stem>#<n>`).
The split is a seeded hash of the id, so it never depends on the order or size of the set:
an id is HELD-OUT when sha256("capex-split-2026-12:" + id) is odd. devset_split.tsv lists it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

SPLIT_FILE = Path(__file__).with_name("devset_split.tsv")
# the team's own labels on articles of news-2025-2026/articles.jsonl.gz (ids, judgements and figures, no article
# text), labelled blind to the extractor under the corpus README's policy; see docs/EXTRACTION.md
NEWS_LABELS_FILE = Path(__file__).with_name("news_labels.jsonl")
NEWS_ARTICLES = Path("news-2025-2026") / "articles.jsonl.gz"
# pages the team wrote to test the extractor on language the corpus has little of, with their labels
WRITTEN_LABELS_FILE = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "written" / "labels.jsonl"
SPLIT_SEED = "capex-split-2026-12:"
HELD_OUT = "held-out"
TUNING = "tuning"
# k of the k-fold figures: five folds of ~60 items keep each fold's F1 meaningful on 307 items
N_FOLDS = 5
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


def _id_hash(item_id: str) -> int:
    return int(hashlib.sha256((SPLIT_SEED + item_id).encode()).hexdigest(), 16)


def half_of(item_id: str) -> str:
    """The half an id belongs to: HELD_OUT when its seeded hash is odd, else TUNING."""
    return HELD_OUT if _id_hash(item_id) % 2 == 1 else TUNING


def fold_of(item_id: str) -> int:
    """The fold (0..N_FOLDS-1) of an id, from the same seeded hash (bits independent of the half)."""
    return (_id_hash(item_id) // 2) % N_FOLDS


def read_split(path: Path = SPLIT_FILE) -> dict[str, str]:
    """The committed split: id -> half (lines `id<TAB>half`, `#` comments)."""
    rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#"))
    return {item_id: half for item_id, half in rows}


def write_split(ids: list[str], path: Path = SPLIT_FILE) -> None:
    """Write the split file for these ids (sorted), with a header stating the rule."""
    header = (f"# dev-set split: HELD-OUT when int(sha256('{SPLIT_SEED}' + id).hexdigest(), 16) % 2 == 1\n"
              "# regenerate: python -m tasks.extract.facts.evaluate --write-split (ids only, no corpus text)\n")
    path.write_text(header + "".join(f"{i}\t{half_of(i)}\n" for i in sorted(ids)), encoding="utf-8")


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
    published = parse_date(meta.get("published") or meta.get("date"))
    return meta.get("title"), raw, published


def parse_date(value: str | None) -> date | None:
    """The date at the start of an ISO string, or None."""
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


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSON Lines file (blank lines skipped)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_labels(corpus: Path) -> list[dict[str, Any]]:
    """The gold labels of labels.jsonl."""
    return read_jsonl(corpus / "labels.jsonl")


# a dev item's article file named like an article of the unlabelled news: "datasets/.../finance_<news id>.md"
_NEWS_STEM = re.compile(r"/(?:[a-z]+_)?(\d{12}-[^/]*)\.md$")


def items_in_news(corpus: Path) -> frozenset[str]:
    """Ids of the dev items whose article is also in the unlabelled news file, the audit's reading material:
    whoever reads that file's articles or the facts taken from them reads these items' text too."""
    path = corpus / NEWS_ARTICLES
    if not path.exists():
        return frozenset()
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        news = {json.loads(line)["id"] for line in lines}
    stems = {label["id"]: _NEWS_STEM.search(label.get("file") or "") for label in read_labels(corpus)}
    return frozenset(item_id for item_id, stem in stems.items() if stem is not None and stem.group(1) in news)


def load_items(corpus: Path) -> list[Item]:
    """The labelled items, plus the unlabelled Ars Technica feed items as negatives."""
    items: list[Item] = []
    feeds: dict[str, list[dict[str, Any]]] = {}
    for label in read_labels(corpus):
        if "item_title" in label:
            feeds.setdefault(label["file"], []).append(label)
            continue
        title, text, published = markdown_item(corpus / label["file"])
        items.append(Item(label["id"], title, text, parse_date(label.get("published")) or published,
                          bool(label["is_capex"]), label["facts"]))
    for feed_file in sorted({*feeds, *(f"feeds/{p.name}" for p in (corpus / "feeds").glob("arstechnica_*.xml"))}):
        by_title = {label["item_title"]: label for label in feeds.get(feed_file, [])}
        for n, (title, text, published) in enumerate(feed_items(corpus / feed_file)):
            gold = by_title.get(title)
            item_id = gold["id"] if gold else f"{Path(feed_file).stem}#{n}"
            items.append(Item(item_id, title, text, parse_date(gold.get("published")) if gold else published,
                              bool(gold["is_capex"]) if gold else False, gold["facts"] if gold else []))
    return items


def load_news_items(corpus: Path, labels_file: Path = NEWS_LABELS_FILE) -> list[Item]:
    """The team-labelled news: labels from `labels_file`, title, body and date from the corpus.

    A label names an article of the news file by its `id`, or a feed item by `file` (a feed of the corpus), `item`
    (its position) and `item_title`. Returns an empty list when the corpus has no news file; a label whose article
    or item is missing or whose item title differs is an error.
    """
    path = corpus / NEWS_ARTICLES
    if not path.exists() or not labels_file.exists():
        return []
    rows = read_jsonl(labels_file)
    labels = {row["id"]: row for row in rows if "file" not in row}
    items: dict[str, Item] = {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            gold = labels.get(row["id"])
            if gold is not None:
                items[row["id"]] = Item(row["id"], row.get("title"), row.get("markdown") or "",
                                        parse_date(gold.get("published") or row.get("published")),
                                        bool(gold["is_capex"]), gold["facts"])
    missing = sorted(set(labels) - set(items))
    if missing:
        raise ValueError(f"{len(missing)} labelled news ids not in {path}: {', '.join(missing[:5])}")
    for feed_file in sorted({row["file"] for row in rows if "file" in row}):
        entries = feed_items(corpus / feed_file)
        for gold in (row for row in rows if row.get("file") == feed_file):
            title, text, published = entries[gold["item"]] if gold["item"] < len(entries) else (None, "", None)
            if title != gold["item_title"]:
                raise ValueError(f"{feed_file} item {gold['item']} is {title!r}, labelled as {gold['item_title']!r}")
            items[gold["id"]] = Item(gold["id"], title, text, parse_date(gold.get("published")) or published,
                                     bool(gold["is_capex"]), gold["facts"])
    return [items[item_id] for item_id in sorted(items)]


def load_written_items(labels_file: Path = WRITTEN_LABELS_FILE) -> list[Item]:
    """The team-written pages: Markdown files with front matter beside `labels_file`, one label per `path`.

    Returns an empty list when there is no labels file; a label whose page is missing is an error.
    """
    if not labels_file.exists():
        return []
    items = []
    for gold in read_jsonl(labels_file):
        page = labels_file.parent / gold["path"]
        if not page.exists():
            raise ValueError(f"labelled page {gold['path']} not in {labels_file.parent}")
        title, text, published = markdown_item(page)
        items.append(Item(gold["id"], title, text, parse_date(gold.get("published")) or published,
                          bool(gold["is_capex"]), gold["facts"]))
    return sorted(items, key=lambda item: item.id)
