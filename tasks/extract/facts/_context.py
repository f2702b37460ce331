"""The article around a sentence, as fact extraction reads it: who "the company" refers back to, which sentences
name AI infrastructure or follow a capex statement, the list a line is an item of, the article's main company and
country, and the facts found so far."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from tasks.extract.facts._companies import (
    FALLBACK_TYPES,
    Actor,
    Mention,
    actor,
    attribute,
    descriptor_subject,
    find_mentions,
)
from tasks.extract.facts._deals import is_tiered_deal
from tasks.extract.facts._kinds import find_cues, has_capex_cue, names_ai_infrastructure, spends_on_ai
from tasks.extract.facts._periods import Period
from tasks.extract.facts._sentences import Sentence
from tasks.extract.facts._unregistered import unregistered_subject

# the spender of a whole-sector figure
SECTOR_ACTOR = "hyperscalers"
# how many sentences back "the company" / an unnamed subject is looked for
_LOOKBACK_SENTENCES = 3
# how many sentences back a descriptor ("the EV maker") looks for a company it fits, before the main subject
_DESCRIBED_SENTENCES = 5
# the first capitalised word of a sentence ("[Rivian Automotive](…) on Thursday", "Rivian's 2026 guidance"), a company
# the registry does not know when the article repeats it this often and it is no common sentence opener
_LEADING_NAME = re.compile(r"\[?([A-Z][a-z]+[A-Za-z]*)\b(?!\s[A-Z][a-z]+\s(?:said|told|says)\b)")
_LEADING_REPEATS = 3
_NOT_LEADING = frozenset({
    "The", "This", "That", "These", "Those", "It", "Its", "In", "On", "At", "By", "For", "From", "With", "But", "And",
    "Or", "So", "Yet", "However", "Meanwhile", "Also", "Still", "A", "An", "He", "She", "They", "We", "I", "You",
    "Analysts", "Investors", "Shares", "Officials", "Executives", "Sources", "After", "Before", "While", "When", "As",
    "If", "Since", "Although", "Though", "Despite", "Last", "Next", "Earlier", "Later", "Now", "Other", "Some", "Many",
    "Most", "One", "Two", "His", "Her", "Their", "Our", "There", "Here", "What", "How", "Why", "Under", "According",
})
# an unregistered name is the subject "the company" refers back to only when the article names it this often
_UNREGISTERED_REPEATS = 2
# a sentence citing a research report: what "the firm" says next is its estimate for a market, not a company's spending
_REPORT_CITED = re.compile(r"(?i:\baccording\sto\s(?:a|an|the)?\s?(?:[\w-]+\s){0,3}(?:report|study|analysis|estimates?|"
                           r"survey|forecast|research)\b)")
# an item of a bulleted or numbered list: "- Amazon: about $200 billion in 2026", "2. Meta: $115 billion"
_LIST_ITEM = re.compile(r"\s*(?:[-*•·]|\d{1,2}[.)])\s+\S")
# a list longer than this is not read as one statement's items
_MAX_LIST_ITEMS = 12
# companies whose spending "on AI" is spending on AI infrastructure (data centres, chips), not software or staff
_AI_BUILDERS = frozenset({"hyperscaler", "big_tech", "china_tech"})
# companies whose business is AI infrastructure: money in a sentence naming one is about infrastructure
_INFRA_OPERATORS = frozenset({"neocloud", "datacenter"})
# a money figure or a number with a scale word
_FIGURE = re.compile(r"[$€£¥₹]|\d\s?(?:bn|trn|billion|trillion|million|crore|lakh)\b", re.IGNORECASE)
# a spending figure counts only where its sentence or one this close names AI infrastructure
_NEIGHBOURS = 1


# a list of companies' guidance or budgets: "**The company guidance**, as the analysts tabulated it:"
_GUIDANCE_LEAD = re.compile(r"(?i:\b(?:guidance|budgets|spending\splans)\b)")
# a descriptor opens a sentence within this many characters ("The cloud group", "But the company"), read in its first
# _OPENING_CHARS
_OPENING_OFFSET = 6
_OPENING_CHARS = 40
# after a company that opens a sentence, what makes it the sentence's subject: an appositive or a verb, not a list
# ("Nscale, which …, raised", "Oracle said"; not "Oracle and OpenAI", "Oracle, OpenAI and SoftBank")
_OPENING_SUBJECT = re.compile(r"(?:,\s(?:which|a|an|the|whose|one)\b|\s(?:said|says|has|had|is|was|will|would|plans|"
                              r"expects|announced|raised|reported|agreed|signed)\b)")


class Context:
    """Article-wide lookups: mentions per sentence and the main subject."""

    def __init__(self, text: str, sentences: list[Sentence]) -> None:
        self.text = text
        self.sentences = sentences
        self._mentions: dict[int, list[Mention]] = {}
        self._named: Counter[Actor] | None = None
        # the spenders of the facts each sentence gave: "the company" / "the figure" refers to them first
        self.fact_actors: dict[int, tuple[str, ...]] = {}
        self.capex_facts: set[int] = set()  # sentences that stated a capital-spending fact
        self.fact_periods: dict[int, Period] = {}  # the period of each sentence's last dated fact

    def mentions(self, index: int) -> list[Mention]:
        """Actors named in sentence `index` (cached)."""
        if index not in self._mentions:
            sentence = self.sentences[index]
            self._mentions[index] = find_mentions(self.text, sentence.start, sentence.end)
        return self._mentions[index]

    def speaks_of_infrastructure(self, index: int) -> bool:
        """True when sentence `index` or the one before it in its paragraph names AI infrastructure."""
        for back in (index, index - 1):
            if back < 0 or self.sentences[back].paragraph != self.sentences[index].paragraph:
                break
            sentence = self.sentences[back]
            if any(c.role in ("infra", "capex") for c in find_cues(self.text[sentence.start:sentence.end])):
                return True
        return False

    def near_ai_infrastructure(self, index: int) -> bool:
        """True when sentence `index` or a sentence next to it names AI infrastructure (see _kinds._AI_INFRA), or
        sentence `index` is a deal between a supplier of infrastructure and its buyer or names a cloud or data-centre
        operator ("$9 billion in CoreWeave capacity")."""
        if is_tiered_deal(self.sentences[index].text, self.mentions(index)) or any(
                m.actor.type in _INFRA_OPERATORS for m in self.mentions(index)):
            return True
        if any(names_ai_infrastructure(self.sentences[i].text)
               for i in range(max(0, index - _NEIGHBOURS), min(len(self.sentences), index + _NEIGHBOURS + 1))):
            return True
        if any(names_ai_infrastructure(lead.text) for lead in self.list_lead(index)):
            return True  # "... to build data centers for AI. Here is what each company has guided:\n- Amazon: $200bn"
        # "Meta plans to spend as much as $65 billion on AI this year": a cloud or tech giant's spending on AI is its
        # build-out of AI infrastructure
        if spends_on_ai(self.sentences[index].text) and any(
                found is not None and found.type in _AI_BUILDERS
                for found in [m.actor for m in self.mentions(index)] + [actor(n) for n in self.main_subject()]):
            return True
        # a run of spending statements: "Next year the figure could reach $500bn, reckons Morgan Stanley. Microsoft
        # alone expects to spend $80bn in the fiscal year that ends in June." - a cloud or tech giant's figure right
        # after a sentence that stated a fact continues it
        # ("... to reach $540bn in 2026. Company guidance has moved the same way. Meta now says it will spend $70bn"): a
        # figure-less sentence between them does not end the run
        return self._in_run(index) and any(m.actor.type in _AI_BUILDERS for m in self.mentions(index))

    def _in_run(self, index: int) -> bool:
        """True when the sentence before stated a fact, or the one before that did and the sentence between has no
        figure."""
        if index - 1 in self.fact_actors:
            return True
        return index >= 2 and index - 2 in self.fact_actors and self._figure_less(index - 1)

    def previous_period(self, index: int) -> Period | None:
        """The period of the fact stated just before: in the sentence before, or the one before that when the sentence
        between has no figure ("... in the September quarter. The three months to September were the second quarter
        of its fiscal year. In the same period a year earlier ...")."""
        if index - 1 in self.fact_periods or index < 2 or not self._figure_less(index - 1):
            return self.fact_periods.get(index - 1)
        return self.fact_periods.get(index - 2)

    def _figure_less(self, index: int) -> bool:
        """True when sentence `index` states no money figure."""
        sentence = self.sentences[index]
        return not _FIGURE.search(self.text, sentence.start, sentence.end)

    def list_lead(self, index: int) -> list[Sentence]:
        """For an item of a list introduced by a sentence ending in ":" ("Here is what each company has guided:"), that
        sentence and the one before it; else nothing."""
        if not _LIST_ITEM.match(self.sentences[index].text):
            return []
        back = index - 1
        while back >= 0 and index - back <= _MAX_LIST_ITEMS and _LIST_ITEM.match(self.sentences[back].text):
            back -= 1
        if back < 0 or not self.sentences[back].text.rstrip().endswith(":"):
            return []
        return self.sentences[max(0, back - 1):back + 1]

    def follows_capex(self, index: int) -> bool:
        """True when the previous sentence of the same paragraph speaks of capital spending, or the list the sentence
        is an item of is introduced in words of capital spending."""
        if any(has_capex_cue(find_cues(lead.text)) or _GUIDANCE_LEAD.search(lead.text)
               for lead in self.list_lead(index)):
            return True
        if index == 0 or self.sentences[index - 1].paragraph != self.sentences[index].paragraph:
            return False
        before = self.sentences[index - 1]
        return index - 1 in self.capex_facts or has_capex_cue(find_cues(self.text[before.start:before.end]))

    def subject_before(self, index: int) -> tuple[str, ...]:
        """The spender of the nearest earlier sentence that has one (its fact's, else its subject), else the
        article's main subject; a heading starts afresh."""
        for back in range(index - 1, max(-1, index - 1 - _LOOKBACK_SENTENCES), -1):
            if back in self.fact_actors:
                return self.fact_actors[back]
            sentence = self.sentences[back]
            mentions = [m for m in self.mentions(back) if m.actor.type not in FALLBACK_TYPES]
            if not mentions and _REPORT_CITED.search(self.sentences[back].text):
                return (SECTOR_ACTOR,)  # "…, according to a report by KPMG. The firm projects…": a market estimate
            opener = descriptor_subject(sentence.text, 0, _OPENING_CHARS)
            if opener is not None and opener.start <= _OPENING_OFFSET and (
                    not mentions or mentions[0].start > sentence.start + opener.start):
                # "The cloud group ended the quarter with …, and it has since added contracts with OpenAI and Meta.
                # It has forecast capex of …": the company the opening descriptor stands for
                fitting = self.nearest_fitting(back, sentence.start + opener.start, opener.fits)
                if fitting:
                    return fitting
            if mentions:
                opening = mentions[0]
                if opening.start == sentence.start and _OPENING_SUBJECT.match(self.text, opening.end):
                    # "Nscale, which was spun out of Arkon, raised $1.1bn …, with Nvidia among the investors. It has
                    # said …": the company that opens the sentence as its subject, not one named in a later clause
                    return (opening.actor.name,)
                named = attribute(self.text[sentence.start:sentence.end], mentions, sentence.start,
                                  sentence.end - sentence.start, sentence.end - sentence.start).names
                return named or (opening.actor.name,)
            unknown = unregistered_subject(sentence.text, 0, len(sentence.text), self.text)
            if unknown is not None and self.text.count(unknown) >= _UNREGISTERED_REPEATS:
                return (unknown,)
            if self.is_heading(back):
                return ()
        return self.main_subject()

    def nearest_fitting(self, index: int, before: int, fits: Callable[[Actor], bool]) -> tuple[str, ...]:
        """The company named nearest before offset `before` (in sentence `index` or up to _DESCRIBED_SENTENCES
        earlier) that `fits`, else the article's main subject when it fits, else empty."""
        for back in range(index, max(-1, index - 1 - _DESCRIBED_SENTENCES), -1):
            for mention in reversed(self.mentions(back)):
                # (a country fits only a descriptor of countries: "the government")
                if mention.start < before and fits(mention.actor):
                    return (mention.actor.name,)
        main = self.main_subject()
        return main if main and (found := actor(main[0])) is not None and fits(found) else ()

    def leading_unregistered(self, index: int) -> str | None:
        """The unregistered name that opens one of the _DESCRIBED_SENTENCES before sentence `index` and that the
        article writes at least _LEADING_REPEATS times ("Rivian Automotive on Thursday beat …", "Rivian's guidance")."""
        for back in range(index - 1, max(-1, index - 1 - _DESCRIBED_SENTENCES), -1):
            match = _LEADING_NAME.match(self.sentences[back].text)
            if match is None or match.group(1) in _NOT_LEADING or find_mentions(match.group(1)):
                continue
            if self.text.count(match.group(1)) >= _LEADING_REPEATS:
                return match.group(1)
        return None

    def earlier_spender(self, index: int, exclude: tuple[str, ...]) -> tuple[str, ...]:
        """The spender of the nearest earlier fact that does not involve `exclude` (a supplier)."""
        for back in range(index - 1, -1, -1):
            others = tuple(a for a in self.fact_actors.get(back, ()) if a not in exclude and a != SECTOR_ACTOR)
            if others:
                return others
        return ()

    def is_heading(self, index: int) -> bool:
        """True for a Markdown heading line ("## AI spending to reach $135 billion")."""
        return self.text.startswith("#", self.sentences[index].start)

    def main_country(self) -> tuple[str, ...]:
        """The country named most often in the article (empty when none)."""
        return self._most_named(lambda found: found.type == "country")

    def main_subject(self) -> tuple[str, ...]:
        """The company named most often in the article (empty when none)."""
        return self._most_named(lambda found: found.type not in FALLBACK_TYPES)

    def _most_named(self, kept: Callable[[Actor], bool]) -> tuple[str, ...]:
        """The actor named most often in the article among those `kept` (empty when none)."""
        if self._named is None:  # every actor named, counted once per article
            self._named = Counter(m.actor for m in find_mentions(self.text, 0, min(len(self.text), 200_000)))
        counts = Counter({found.name: n for found, n in self._named.items() if kept(found)})
        return (counts.most_common(1)[0][0],) if counts else ()

