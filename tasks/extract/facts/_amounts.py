"""Money amounts: symbols, codes and names of currencies, scale words, ranges, hedges, stated USD."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Smallest figure taken as an AI-infrastructure amount: "$50-100 price rise" is not one.
MIN_AMOUNT = 1e6

_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a": 1,
}
_SCALES = {
    "lakh crore": 1e12, "trillion": 1e12, "trn": 1e12, "tn": 1e12, "tr": 1e12, "billion": 1e9, "bn": 1e9,
    "bln": 1e9, "b": 1e9,
    "million": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3, "crore": 1e7, "lakh": 1e5,
}
# prefix symbols and codes; "¥" is resolved from context (yen or yuan)
_PREFIX_CURRENCY = {
    "us$": "USD", "u.s.$": "USD", "usd": "USD", "$": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP",
    "¥": "¥", "jpy": "JPY", "cny": "CNY", "rmb": "CNY", "₩": "KRW", "krw": "KRW", "₹": "INR", "rs": "INR",
    "rs.": "INR", "inr": "INR", "c$": "CAD", "ca$": "CAD", "cad": "CAD", "a$": "AUD", "au$": "AUD",
    "aud": "AUD", "s$": "SGD", "sgd": "SGD", "hk$": "HKD", "hkd": "HKD", "nt$": "TWD", "twd": "TWD",
    "chf": "CHF", "sar": "SAR", "aed": "AED",
}
# currency names after the figure: "50 billion yuan", "1.2-billion-euro plan", "10 trillion won"
_SUFFIX_CURRENCY = {
    "us dollars": "USD", "dollars": "USD", "dollar": "USD", "yuan": "CNY", "renminbi": "CNY", "euros": "EUR",
    "euro": "EUR", "pounds sterling": "GBP", "pounds": "GBP", "sterling": "GBP", "yen": "JPY", "won": "KRW",
    "rupees": "INR", "rupee": "INR", "riyals": "SAR", "dirhams": "AED", "swiss francs": "CHF",
    "australian dollars": "AUD", "canadian dollars": "CAD", "singapore dollars": "SGD",
    "hong kong dollars": "HKD", "taiwan dollars": "TWD", "new taiwan dollars": "TWD",
}


def _alternation(words: list[str]) -> str:
    """Regex alternation, longest first so "bn" is not read as "b"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_WORD = _alternation([w for w in _WORD_NUMBERS if w != "a"])
# one money token: "$7 billion", "US$3.22bn", "50 billion yuan", "₹10 trillion", "Rs 5,000 crore",
# "three billion dollars", "$66" (start of "$66-72 billion"), "72 billion" (its end)
_TOKEN = re.compile(
    r"(?<![\w.,$€£¥₩₹])"
    r"(?:(?P<pre>(?i:" + _alternation(list(_PREFIX_CURRENCY)) + r"))\s?)?"
    # ("half a trillion dollars" is 0.5 trillion)
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|(?i:half\sa)"
    r"|(?i:(?:" + _WORD + r"|a)(?:[ -](?:" + _WORD + r"))?))"
    r"(?:[ -]?(?P<scale>(?i:" + _alternation(list(_SCALES)) + r"))\b)?"
    r"(?:[ -](?P<post>(?i:" + _alternation(list(_SUFFIX_CURRENCY)) + r"))\b)?"
)
# "$64 billion to $72 billion", "$66-72 billion", "between $91bn and $93bn"
_RANGE_GAP = re.compile(r"\s?(?:-|–|—|to)\s?|\s(?:and)\s", re.IGNORECASE)
# "between $91bn and $93bn", "in the range of $115 billion and $135 billion"
_BETWEEN = re.compile(r"\b(?:between|range\sof)\s+(?:about\s+|roughly\s+)?$", re.IGNORECASE)
_BY = re.compile(r"\bby\s+(?:about\s+|roughly\s+|around\s+|up\sto\s+|another\s+|an\sadditional\s+)?$", re.IGNORECASE)
_FROM = re.compile(r"\bfrom\s+(?:about\s+|roughly\s+|around\s+)?$", re.IGNORECASE)
# "cut its forecast to $12 billion to $14 billion from $20 billion to $23 billion": after the new level, "from $A to $B"
# is the earlier range, not a change
_NEW_LEVEL_BEFORE = re.compile(r"(?i:\bto\s\[?[$€£¥₹]?\d[\d.,]*\s?(?:billion|trillion|bn|million)?\]?"
                               r"(?:\s?(?:to|-|–)\s?\[?[$€£¥₹]?\d[\d.,]*\s?(?:billion|trillion|bn|million)?\]?)?"
                               r",?\s+from\s+\[?$)")
# "…, from $66 billion to $72 billion previously": the earlier guidance range, one figure
_EARLIER_AFTER = re.compile(r"\]?\s+(?:previously|earlier|before)\b", re.IGNORECASE)
# stated USD beside another currency: "50 billion yuan ($7 billion)", "£22 billion (around $30 billion)",
# "₹10 trillion, or about $110 billion"
_USD_GAP = re.compile(
    r"\s?(?:\(|\[|,\s?or\s|,\s?equivalent to\s|\s?or\s)\s?(?:about|around|roughly|approximately|approx\.|nearly|"
    r"some|almost|just over|over|more than|~)?\s?$", re.IGNORECASE)
_PAREN_GAP = re.compile(r"\s?[(\[]\s?(?:about|around|roughly|approximately|nearly|some)?\s?$", re.IGNORECASE)
# hedges before a figure: "about $7 billion", "as much as $185 billion", "more than $200 billion", and before a
# linked or emphasised one: "roughly [$35 billion](https://…)", "up to **$135 billion**"
_QUALIFIER = re.compile(
    r"(?P<q>about|around|roughly|approximately|approx\.|nearly|near-|near|almost|close to|some|an estimated|"
    r"estimated|~|at least|a minimum of|no less than|minimum of|no more than|not more than|at most|less than|"
    r"more than|over|in excess of|above|just under|just shy of|"
    r"upwards of|north of|exceeding|up to|as much as|as high as|a maximum of|as many as)\s?(?:an?\s)?[\[*_]{0,3}$",
    re.IGNORECASE)
# hedges after a figure: "$100 billion or more", "$100 billion-plus", "$100 billion or so", "$100 billion at most"
# (a blanked link target may stand between: "[$100 billion](…) or more"; "$100 billion plus $20 billion" is a sum)
_QUALIFIER_AFTER = re.compile(r"[\]*_]{0,3}(?:\s+(?P<q>or\smore|or\sso|at\smost)|(?P<p>-plus))\b", re.IGNORECASE)
_QUALIFIER_KIND = {
    "about": "approx", "around": "approx", "roughly": "approx", "approximately": "approx", "approx.": "approx",
    "nearly": "approx", "near-": "approx", "near": "approx", "almost": "approx", "close to": "approx",
    "some": "approx", "an estimated": "approx",
    "estimated": "approx", "~": "approx", "at least": "at_least", "a minimum of": "at_least",
    "minimum of": "at_least", "no less than": "at_least", "more than": "more_than", "over": "more_than",
    "in excess of": "more_than", "above": "more_than", "upwards of": "more_than", "north of": "more_than",
    "exceeding": "more_than", "up to": "up_to", "as much as": "up_to", "as high as": "up_to",
    "a maximum of": "up_to", "as many as": "up_to",
    # "no more than $50 billion", "less than $50 billion": a ceiling; "just under $50 billion": about that much
    "no more than": "up_to", "not more than": "up_to", "at most": "up_to", "less than": "up_to",
    "just under": "approx", "just shy of": "approx",
    "or more": "at_least", "or so": "approx", "-plus": "more_than",
}
# context words that tell yuan from yen when the text writes "¥"
_YUAN_CONTEXT = re.compile(r"\b(?:yuan|renminbi|RMB|China|Chinese|Beijing|Shanghai|Shenzhen|Hong Kong)\b")
_YEN_CONTEXT = re.compile(r"\b(?:yen|Japan|Japanese|Tokyo|Osaka|SoftBank|NTT|KDDI)\b")


@dataclass(frozen=True, slots=True)
class Money:
    """A figure in the text: a point or a range, its currency, hedge and any stated USD figure."""

    start: int
    end: int
    amount: float | None
    low: float | None
    high: float | None
    currency: str
    usd_stated: float | None
    qualifier: str | None

    @property
    def value(self) -> float:
        """The point amount, or the midpoint of a range."""
        if self.amount is not None:
            return self.amount
        return ((self.low or 0.0) + (self.high or 0.0)) / 2


@dataclass(slots=True)
class _Token:
    start: int
    end: int
    number: float
    scale: float | None
    currency: str | None


def find_money(text: str, start: int = 0, end: int | None = None, context: str = "") -> list[Money]:
    """Return the money figures in text[start:end], ranges merged and stated USD attached."""
    end = len(text) if end is None else end
    tokens = [t for t in (_token(m) for m in _TOKEN.finditer(text, start, end)) if t is not None]
    found: list[Money] = []
    i = 0
    while i < len(tokens):
        money, used = _money_at(text, tokens, i, context or text)
        i += used
        if money is not None and money.value >= MIN_AMOUNT:
            found.append(money)
    return found


def _token(match: re.Match[str]) -> _Token | None:
    """Parse one regex match; bare numbers without currency or scale are dropped."""
    pre, num, scale, post = match.group("pre", "num", "scale", "post")
    if not (pre or scale or post):
        return None
    number = _number(num)
    if number is None or (scale is None and not num[0].isdigit()):
        return None
    currency = _SUFFIX_CURRENCY[post.lower()] if post else None
    if currency is None and pre or (currency == "USD" and pre
                                    and _PREFIX_CURRENCY[pre.strip().lower()] not in ("USD", "¥")):
        currency = _PREFIX_CURRENCY[pre.strip().lower()]
    if pre and pre.strip() == "¥" and post:
        currency = _SUFFIX_CURRENCY[post.lower()]
    multiplier = _SCALES[scale.lower()] if scale else None
    if multiplier is not None and scale in ("m", "b", "k") and not pre:
        return None  # "5 m" or "100 b" without a currency sign: a unit, not money
    return _Token(match.start(), match.end(), number, multiplier, currency)


def _number(num: str) -> float | None:
    """Digits ("1,250.5") or words ("three", "twenty five") to a float."""
    if num[0].isdigit():
        return float(num.replace(",", ""))
    if num.lower().startswith("half"):
        return 0.5
    total = 0
    for word in re.split(r"[ -]", num.lower()):
        value = _WORD_NUMBERS.get(word)
        if value is None:
            return None
        total = total * value if value == 100 and total else total + value
    return float(total)


def _money_at(text: str, tokens: list[_Token], i: int, context: str) -> tuple[Money | None, int]:
    """Build the figure starting at token i; returns it and how many tokens it used."""
    first = tokens[i]
    used = 1
    second = tokens[i + 1] if i + 1 < len(tokens) else None
    low_high: tuple[float, float] | None = None
    last = first
    if second is not None and _is_range(text, first, second):
        scale = first.scale or second.scale or 1.0
        # whole currency units: 2.05 * 1e9 is 2049999999.9999998 in floating point
        low_high = (float(round(first.number * scale)), float(round(second.number * (second.scale or scale))))
        last = second
        used = 2
    currency = first.currency or (second.currency if low_high and second else None)
    if currency is None or (first.scale is None and low_high is None):
        return None, 1
    if currency == "¥":
        currency = _yen_or_yuan(context)
    usd_stated, extra = _stated_usd(text, tokens, i + used, last.end, currency)
    qualifier = _qualifier(text, first.start)
    end = tokens[i + used + extra - 1].end
    if extra and text[end:end + 1] in (")", "]"):
        end += 1  # "50 billion yuan ($7 billion)": the figure runs to the closing bracket
    after = _QUALIFIER_AFTER.match(text, end)
    if after is not None and qualifier is None:
        # "$100 billion or more": the hedge is part of the figure (so "more" is not read as a change)
        qualifier, end = _QUALIFIER_KIND[(after.group("q") or after.group("p")).lower()], after.end()
    if low_high is not None:
        return Money(first.start, end, None, low_high[0], low_high[1], currency, usd_stated, qualifier), used + extra
    amount = float(round(first.number * (first.scale or 1.0)))
    return Money(first.start, end, amount, None, None, currency, usd_stated, qualifier), used + extra


def _is_range(text: str, first: _Token, second: _Token) -> bool:
    """True for "$64 billion to $72 billion", "$66-72 billion" and "between $91bn and $93bn"."""
    gap = _RANGE_GAP.fullmatch(text, first.end, second.start)
    if gap is None or (second.currency and first.currency and second.currency != first.currency):
        return False
    if second.scale is None:
        return False
    before = text[max(0, first.start - 20):first.start]
    if "and" in gap.group().lower() and not _BETWEEN.search(before):
        return False
    if _FROM.search(before) and not _EARLIER_AFTER.match(text, second.end) and not _NEW_LEVEL_BEFORE.search(
            text, max(0, first.start - 60), first.start):
        return False  # "from $1.5 billion to $10 billion" is a change between two levels
    if _BY.search(before) and "to" in gap.group().lower():
        return False  # "raised it by $5 billion to $70 billion": a change, then the new level
    scale = first.scale or second.scale
    return first.number * scale < second.number * second.scale


def _stated_usd(text: str, tokens: list[_Token], j: int, after: int, currency: str) -> tuple[float | None, int]:
    """The USD figure stated right after a figure ("($7 billion)"), and the tokens it used."""
    if j >= len(tokens):
        return None, 0
    nxt = tokens[j]
    if nxt.scale is None:
        return None, 0
    if currency != "USD" and nxt.currency == "USD" and _USD_GAP.fullmatch(text, after, nxt.start):
        return nxt.number * nxt.scale, 1
    if nxt.currency not in (None, "USD", currency) and _PAREN_GAP.fullmatch(text, after, nxt.start):
        return None, 1  # "$7 billion (50 billion yuan)", "€15bn (£13bn)": the other currency restates the same figure
    return None, 0


def _qualifier(text: str, start: int) -> str | None:
    """The hedge written just before a figure, as a qualifier code."""
    match = _QUALIFIER.search(text, max(0, start - 24), start)
    if match is None:
        return None
    return _QUALIFIER_KIND.get(match.group("q").lower())


def _yen_or_yuan(context: str) -> str:
    """Tell yuan from yen for "¥" by counting context words."""
    yuan = len(_YUAN_CONTEXT.findall(context))
    yen = len(_YEN_CONTEXT.findall(context))
    return "CNY" if yuan > yen else "JPY"
