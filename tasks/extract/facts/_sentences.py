"""Sentence splitting with exact offsets into the article text."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

# a sentence ends at ". ", "? ", "! " (optionally after a closing quote or bracket) before a capital,
# digit, quote or currency sign: "spending. Meta", "year.” The", "2025. $5 billion"
_BOUNDARY = re.compile(r"[.!?][\"”’')\]]*[ \t]+(?=[\"“‘(\[]?[A-Z0-9$€£¥₹])")
# glued sentences from scraped pages: "its share of momentum.Altman told"
_GLUED = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])|(?<=[a-z]{2}[.!?][\"”])(?=[A-Z])")
# paragraph and line breaks always end a sentence
_LINE = re.compile(r"\n+")
# "U.S. Treasury", "Inc. said", "Jan. 5", "Mr. Nadella": periods that do not end a sentence
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]\.){1,3}|\b(?:Inc|Corp|Co|Ltd|Mr|Mrs|Ms|Dr|St|Jr|Sr|No|vs|etc|approx|est|Jan|Feb|Mar|Apr|"
    r"Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Gov|Sen|Rep|Gen|Prof|U\.S|U\.K|E\.U)\.)$"
)
# caption and video-link lines are not article text: "WATCH: ...", "watch now", "Photo by ..."
_SKIP_LINE = re.compile(r"\s*(?:[-*]\s+\[|\**WATCH:|watch now|VIDEO\b|Photo by\b|Image:|!\[|\(Image|Getty Images)",
                        re.IGNORECASE)

# a line that is one link: "[Google spinout valued at $1.3 billion](https://...)" (related-story lists)
_LINK_LINE = re.compile(r"\s*[-*]?\s*!?\[[^\]\n]*\]\([^)\n]*\)\s*")
# a related-stories list glued onto a paragraph: "…trial commenced.Read more CNBC tech newsMeta starts big week…";
# the rest of the line is headlines of other stories
_READ_MORE = re.compile(r"Read more [A-Z][\w ]{0,40}?(?:news|coverage)")
# captions are short; a long line starting with "watch now" is a paragraph with a glued link label
_CAPTION_MAX_CHARS = 300


# link targets and bare URLs: "[data centers](https://www.cnbc.com/2026/02/05/amazon-capex.html)"
_URL = re.compile(r"\]\([^)\s]{1,2000}\)|https?://[^\s)\]]{1,2000}")


def blank(pattern: re.Pattern[str], text: str) -> str:
    """The text with every match of `pattern` replaced by as many spaces (same length, so offsets still hold)."""
    return pattern.sub(lambda m: " " * len(m.group()), text)


def mask_urls(text: str) -> str:
    """The text with URLs blanked out (same length, so offsets still hold): their words are not prose."""
    if "http" not in text and "](" not in text:
        return text
    return blank(_URL, text)


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its text and where it sits in the article."""

    text: str
    start: int
    end: int
    paragraph: int


def split_sentences(text: str) -> list[Sentence]:
    """Split text into sentences whose offsets give back their text exactly."""
    sentences: list[Sentence] = []
    paragraph = 0
    pos = 0
    for line_match in _LINE.finditer(text + "\n"):
        line_start, line_end = pos, line_match.start()
        pos = line_match.end()
        digest = _READ_MORE.search(text, line_start, line_end)
        if digest is not None:
            line_end = digest.start()
        if line_end <= line_start or _is_caption(text, line_start, line_end):
            continue
        paragraph += 1
        for start, end in _split_line(text, line_start, line_end):
            sentences.append(Sentence(text[start:end], start, end, paragraph))
    return sentences


def _is_caption(text: str, start: int, end: int) -> bool:
    """A short line that is a caption or video link (a long one is text glued after a "watch now")."""
    if end - start >= _CAPTION_MAX_CHARS:
        return False
    return _SKIP_LINE.match(text, start, end) is not None or _LINK_LINE.fullmatch(text, start, end) is not None


def _split_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences of one line, trimmed of spaces."""
    cuts = [start]
    line = text[start:end]
    for match in _BOUNDARY.finditer(line):
        if _ABBREVIATION.search(line, max(0, match.start() - 6), match.start() + 1):
            continue
        cuts.append(start + match.start() + len(match.group().rstrip(" \t")))
    cuts.extend(start + m.start() for m in _GLUED.finditer(line))
    cuts = sorted(set(cuts)) + [end]
    spans: list[tuple[int, int]] = []
    for a, b in itertools.pairwise(cuts):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b - a > 1:
            spans.append((a, b))
    return spans
