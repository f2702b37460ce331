"""Story classification: is AI-infrastructure spending central to this article?

The story decision is separate from fact extraction (tasks/extract/extractor.py extracts facts from every
article and passes them in). It scores how central AI-infrastructure spending is: the headline (a
spending headline, a figure beside AI infrastructure, a compute or power deal), the lede, how many and
what share of the sentences pair spending with AI infrastructure, the spending figures, deal sentences
and capacity in gigawatts; a near-miss or market headline (share moves, results, venture money, policy) counts
against. Each signal adds a fixed weight; the article is a story at 0.5. One background paragraph cannot reach
that: it needs the headline, the lede or a real share of the body.
Unreadable input (no text, no prose, not English) is negative with the reason, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tasks.extract.facts._kinds import is_other_industry
from tasks.extract.facts._sentences import Sentence
from tasks.models import Classification, Fact

# Only the start of a huge page is read: a story states its subject early, and a 5 MB page must not hang.
_MAX_CHARS = 60_000
_THRESHOLD = 0.5
# Weights per signal (hand-set on the tuning half of the dev set, judged on the held-out half; the
# first five are the 2026-11 rules' weights rescaled to the [0, 1] signals): five spending sentences
# (0.75) or a spending headline with two sentences and a lede (0.2 + 0.3 + 0.1) make a story; a headline
# naming a figure for AI infrastructure or a compute/power deal counts like a spending headline, so that
# deals sized in gigawatts and analysis pieces about an announced plan are found.
_WEIGHTS = {
    "title_capex": 0.2, "title_money": 0.2, "title_deal": 0.2, "lede": 0.1, "strong": 0.75, "density": 1.0,
    "facts": 0.15, "deals": 0.15, "capacity": 0.05, "lede_project": 0.2, "title_against": -0.3,
    "politics": -1.0, "title_market": -0.2,
}
# the opening sentences state a story's subject like its title does
_LEDE_SENTENCES = 3
# a photo caption and its credit line come first in a wire story ("Jeenah Moon | Reuters", "Getty Images"); they
# are looked for among this many opening sentences, and a lede sentence has at least this many words (a byline does not)
_CAPTION_SENTENCES = 5
_LEDE_MIN_WORDS = 8
_CREDIT = re.compile(r"(?:^[^|\n]{0,60}\s\|\s[^|\n]{0,60}$|(?i:\bgetty\simages\b|\bvia\s(?:reuters|ap|afp)\b))")
# short feed excerpts: shares are taken over at least this many sentences
_MIN_SENTENCES = 8
# counts saturate: the fifth spending sentence or the fourth figure says little more than the previous ones
_MAX_STRONG = 5
_MAX_FACTS = 3
_MAX_DEALS = 3
# an English article has this share of its words among the commonest English function words (measured:
# news articles 0.25-0.45; German, French, Japanese text under 0.05)
_MIN_ENGLISH_SHARE = 0.08
# fewer words than this is not an article (a caption, a stub); a table-only page has under this share of
# its characters in lines of running text
_MIN_WORDS = 20
_MIN_PROSE_SHARE = 0.2
_MIN_PROSE_WORDS = 6
# (words that are also German, Dutch or French, "in", "an", "was", "will", "die", are left out)
_ENGLISH = frozenset(("the", "of", "and", "to", "a", "is", "that", "for", "on", "with", "as", "by", "at", "from",
                      "it", "its", "are", "be", "has", "have", "this", "or", "which", "said", "their"))

# "capex", "capital expenditures", "AI spending", "spend $200 billion", "invest", "commit", "build out"
_SPENDING = re.compile(
    r"(?i:\bcap(?:ital)?[\s-]?ex(?:penditures?)?\b|\bcapital\s(?:spending|expenditures?|investments?)\b|"
    r"\b(?:spend(?:s|ing)?|spent|invest(?:s|ed|ing|ment|ments)?|commit(?:s|ted|ment|ments)?|"
    r"build(?:s|ing)?\sout|buildout|build-out|outlays?|budget)\b)")
# "data centers", "AI infrastructure", "compute", "GPUs", "gigawatts", "AI chips", "servers"
_INFRA = re.compile(
    r"(?i:\bdata[\s-]?cent(?:er|re)s?\b|\bdatacent(?:er|re)s?\b|\binfrastructure\b|\bcompute\b|\bprocessors\b|"
    r"\bcomputing\s(?:power|capacity)\b|\bGPUs?\b|\bgigawatts?\b|\bAI\s(?:chips?|servers?|capacity|spending|"
    r"investments?|build-?out)\b|\bsupercomputers?\b|\bhyperscalers?\b|\bStargate\b)")
# "capex", "capital expenditures", "capital spending": the subject itself
_CAPEX = re.compile(r"(?i:\bcap(?:ital)?[\s-]?ex(?:penditures?)?\b|\bcapital\s(?:spending|expenditures?)\b)")
# compute and power deals, which are stories without a figure: "a deal for 6 gigawatts of GPUs",
# "agreed to buy power for its data centers", "signed a contract for compute capacity"
# ("partners with Cerebras to add 750MW of AI compute": a partnership named by its verb)
_DEAL = re.compile(r"(?i:\b(?:deals?|agreements?|contracts?|partnership|pact|pledges?|signs?|signed|agreed|"
                   r"purchases?|buy(?:s|ing)?|lease[sd]?|orders?)\b|\bpartner(?:s|ed|ing)?\swith\b)")
# power built or bought for AI data centres is AI infrastructure (policy rule 5): "natural gas plants to
# power data centers", "a nuclear deal to supply its AI campus", "pay for new generation"
_POWER = re.compile(r"(?i:\bpower\s(?:plants?|stations?|generation|purchase)\b|\bgas\s(?:plants?|turbines?)\b|"
                    r"\bnuclear\b|\breactors?\b|\bnew\sgeneration\b|\bgenerating\scapacity\b|\bPPAs?\b)")
_DATA_CENTER = re.compile(r"(?i:\bdata[\s-]?cent(?:er|re)s?\b|\bdatacent(?:er|re)s?\b|\bAI\s(?:campus|campuses)\b)")
# ("pay the full cost of new power generation", "cover the costs of new plants": a pledge to pay for power)
_BUILD = re.compile(r"(?i:\b(?:build\w*|built|construct\w*|pay(?:s|ing)?\sfor|buy\w*|bought|suppl\w*|sign\w*|"
                    r"deals?|agreements?|contracts?|invest\w*|spend\w*|develop\w*)\b|"
                    r"\b(?:pay|pays|paying|paid|cover|covers|covering|covered)\s(?:the\s)?(?:full\s|entire\s)?costs?\b|"
                    r"\bfoot(?:s|ing)?\sthe\s(?:whole\s|full\s)?bill\b)")
# venture and equity money: "co-led a $230 million round into AI chip startup Positron", "venture capital firms",
# "AI investments" of private wealth; spending words here are not about buying infrastructure
_EQUITY = re.compile(r"(?i:\b(?:funding|investment|financing|series\s[A-F])\srounds?\b|\bround\sinto\b|"
                     r"\bventure\scapital\b|"
                     r"\bVCs?\b|\bstart-?ups?\b|\bportfolios?\b|\bvaluations?\b|\bstakes?\b|"
                     # money put into a named company is a stake: "investing $2 billion each into [Lumenco",
                     # "will invest up to $20 billion in [ModelLab" (a linked name; places are not linked)
                     r"\binvest\w*\s(?:(?:up\sto|about|roughly|another|an\sadditional)\s)?(?:[$€£]\s?[\d.,]+\s?"
                     r"(?:billion|million|bn|m)?\s)?(?:each\s)?(?:into\s\[?[A-Z]|in\s\[[A-Z]))")
# money as an abstract aim, not money spent: "competing for AI investment and talent", "to spur innovation and
# investment", "calls for continued investment in data centres"; money for a field, not for infrastructure: "more
# investment in the sector", "investing heavily in the field"
_VAGUE = re.compile(r"(?i:\b(?:attract\w*|vying\sfor|compet\w*\sfor|drive|driving|promote|promoting|encourag\w*|"
                    r"spur\w*|unlock\w*|need\sfor|continued|innovation\sand|incentiv\w*)\s(?:[\w-]+\s){0,2}?"
                    r"investments?\b|\binvest(?:s|ed|ing|ments?)?[\])(\s]+(?:heavily[\])(\s]+)?in\sthe\s"
                    r"(?:sector|technology|space|field|industry|area)\b)")
# power politics, which the policy names as near misses however much the article says "data center": "residents",
# "opposition", "electricity bills", "ratepayers", "moratorium", "zoning", "lawmakers", "pollution"
_POLITICS = re.compile(
    r"(?i:\bresidents?\b|\bopposition\b|\boppos(?:e|es|ed|ing)\b|\bprotest\w*|\b(?:electricity|utility|power|energy)\s"
    r"(?:bills?|prices?|rates?|costs?)\b|\bratepayers?\b|\bmoratori(?:um|a)\b|\bzoning\b|\bbacklash\b|"
    r"\bcommunit(?:y|ies)\b|\blawmakers?\b|\bactivists?\b|\bpollution\b|\brate\shikes?\b)")
# a data-centre project being planned or built is AI-infrastructure spending without a figure: "announced plans for an
# AI data center", "is building a 1-gigawatt campus", "broke ground on its data center", "a joint venture ... would
# start at 1.8 gigawatts"
_BUILD_PLAN = re.compile(r"(?i:\bplans?\s(?:for|to\s(?:build|construct|develop|open))\b|"
                         r"\bwill\s(?:build|construct|develop)\b|"
                         r"\b(?:is|are)\s(?:building|constructing|developing)\b|\bbr(?:oke|eaks?)\sground\b|"
                         r"\bconstruction\s(?:of|on|began|starts?)\b|\bjoint\sventure\b)")
# capacity in power or in chips (policy rule 12: "a compute deal sized in gigawatts or chips"): "4.5 GW", "six
# gigawatts", "up to 50,000 GPUs", "1 million TPUs", "hundreds of thousands of Nvidia chips"
# ("a 1-gigawatt campus", "more than a gigawatt of capacity", "hundreds of thousands of Nvidia GB300 GPUs")
_CAPACITY = re.compile(r"(?i:\b\d[\d.,]*[\s-]?(?:gigawatts?|megawatts?|GW|MW)\b|\b(?:one|two|three|four|five|six|"
                       r"seven|eight|nine|ten|several|multiple|a)[\s-]gigawatts?\b|\bmulti-gigawatt\b|"
                       r"\b\d[\d,]*(?:\.\d+)?\s(?:million\s|thousand\s)?(?:[\w-]+\s){0,2}(?:GPUs|TPUs|chips|accelerators)\b|"
                       r"\b(?:hundreds\sof\s)?thousands\sof\s(?:[\w-]+\s){0,2}(?:GPUs|TPUs|chips|accelerators)\b)")
_TITLE_CAPEX = re.compile(
    r"(?i:\bcap(?:ital)?[\s-]?ex(?:penditures?)?\b|\bcapital\sspending\b|\bAI\s(?:spending|spend|infrastructure|"
    r"investments?)\b|"
    # national compute programmes: "Europe's gigafactory gamble", "India tops up sovereign AI mission"
    r"\b(?:AI\s)?gigafactor(?:y|ies)\b|\bsovereign\sAI\s(?:mission|programme|program|plan|push|compute|cloud)\b|"
    r"\bspending\s(?:plan|spree)\b|\b(?:AI|data[\s-]?cent(?:er|re)s?|infrastructure)\s(?:build-?outs?|"
    r"building\sboom|construction\sboom|expansion)\b|\bdata[\s-]?cent(?:er|re)s?\b.*\b(?:billion|trillion|invest|"
    r"spend)|\b(?:invest|spend|pledge|commit)\w*\b.*\b(?:data[\s-]?cent(?:er|re)s?|AI|infrastructure|compute)\b|"
    r"\$\d[\d.,]*\s?(?:billion|trillion|[BT]n?)\b.*\b(?:data[\s-]?cent(?:er|re)s?|AI\sinfrastructure|compute|capex)\b)")
# a figure beside AI infrastructure in a headline: "€20bn programme for sovereign AI data centres",
# "$6.3 billion GPU capacity deal", "why Meta's $10 billion AI bet matters", "30 billion dollars for AI data centers"
_TITLE_MONEY = re.compile(r"(?i:[$€£¥₹₩]\s?\d[\d.,]*\s?(?:billion|trillion|bn|tn|[BT])?\b|"
                          r"\b\d[\d.,]*\s?(?:billion|trillion|bn|tn)\b|\b(?:billions|trillions)\b)")
_TITLE_MONEY_OBJECT = re.compile(
    r"(?i:\bdata[\s-]?cent(?:er|re)s?\b|\bAI\s(?:infrastructure|chips?|bet|push|spending|investments?)\b|"
    r"\bcompute\b|\bGPUs?\b|\bcomputing\b|\bcapacity\b|\bsupercomputer|\bStargate\b|\bcap(?:ital)?[\s-]?ex\b|"
    r"\bAI\s(?:campus|cluster|factory|factories)\b|\bbet\b|\bwager\b|\bgamble\b)")
# a compute or power deal in a headline: "4.5 GW partnership with Oracle", "deploy 6 gigawatts of AMD GPUs",
# "signs GPU capacity deal with CoreWeave", "pledge to pay for power generation for data centers"
_TITLE_DEAL = re.compile(
    r"(?i:\b\d[\d.,]*[\s-]?(?:GW|gigawatts?|MW|megawatts?)\b|\b(?:deals?|partnership|agreements?|contracts?|pact|"
    r"pledges?|promise[sd]?|joins?)\b.*\b(?:GPUs?|compute|computing|chips?|data[\s-]?cent(?:er|re)s?|Stargate|capacity|"
    r"power\s(?:generation|plants?)|AI\sinfrastructure)\b|\b(?:GPUs?|compute|computing|chips?|data[\s-]?cent(?:er|re)s?|"
    r"Stargate|capacity|AI\sinfrastructure)\b.*\b(?:deals?|partnership|agreements?|contracts?|pact)\b)")
# a chip manufacturer's own capital spending is for fabs (policy rule 5): "TSMC's capex lift", "Samsung raises capital
# spending", "Micron capex" (a data-centre or AI-infrastructure word in the same headline still counts)
_FAB_CAPEX_TITLE = re.compile(r"(?i:^(?!.*\b(?:data[\s-]?cent(?:er|re)s?|AI\sinfrastructure|compute)\b).*"
                              r"\b(?:TSMC|Taiwan\sSemiconductor|Samsung|SK\sHynix|Hynix|Micron|Intel|GlobalFoundries|"
                              r"SMIC|Rapidus|UMC)\b.*\b(?:cap(?:ital)?[\s-]?ex|capital\s(?:spending|expenditures?))\b)")
# headlines the policy names as near misses however much they say "data center": orbital data centres,
# power politics (bills, bans, protests), lawsuits; a pledge or deal in the same headline still counts
_TITLE_AGAINST = re.compile(
    r"(?i:\bin\sspace\b|\borbital\b|\bspace\sdata\b|\bsatellites?\b|\bmegaconstellation\b|\bmoon\b|"
    r"\belectricity\s(?:prices?|bills?|costs?|use|usage)\b|\bpower\sbills?\b|\bopposition\b|\bprotests?\b|"
    r"\bmoratorium\b|\bban\b|\blawsuit\b|\bpollution\b|\bwater\b|\bbacklash\b|"
    # equity, not spending: "gets $5B investment from Amazon", "raises $170 million Series A", "takes a stake"
    r"\binvestment\sfrom\b|\bseries\s[A-F]\b|\bfunding\sround\b|\bvaluation\b|\bstake\b)")
# headlines about markets rather than spending (policy rule 13): share moves ("Oracle stock spikes 9%", "shares slip"),
# earnings and results, stock picks ("these 3 stocks"), venture money ("teams up with VC firms", "start-ups"),
# policy and regulation ("response to the UK's copyright consultation"), insurers and bankers; the body must then
# carry the spending on its own
_TITLE_MARKET = re.compile(
    r"(?i:\b(?:stocks?|shares)\s(?:\w+\s)?(?:spikes?|jumps?|climbs?|gains?|rises?|rall(?:y|ies)|soars?|surges?|"
    r"falls?|drops?|slips?|slides?|sinks?|tumbles?|plunges?|wraps?)\b|\b\d[\d.]*%|\bearnings\b|\bresults\b|"
    r"\bstocks\b|\bETFs?\b|\bVCs?\b|\bventure\scapital|\bstart-?ups\b|\bcopyright\b|\bconsultation\b|"
    r"\binsur(?:ers?|ance)\b|\bbankers?\b|"
    # policy and regulation: "lawmakers propose", "export controls", "tariffs", "antitrust", "regulators plan"
    r"\blawmakers\b|\bsenators?\b|\blegislation\b|\bantitrust\b|\bexport\scontrols?\b|\btariffs?\b|"
    r"\bexecutive\sorder\b|\bregulators?\b)")
# a data-centre project in the lede, sized in power: "an AI data center that would start at 1.8 gigawatts"
# (or capacity being added: "to add 750MW of AI compute", "will deploy 6 gigawatts of GPUs")
_PROJECT = re.compile(r"(?i:\b(?:plans?|planned|build(?:s|ing)?|construct\w*|develop\w*|announc\w*|campus|"
                      r"project|facility|cluster|add(?:s|ed|ing)?|deploy(?:s|ed|ing)?)\b)")
# a denial plans nothing: "had no plans to build or operate data centers", "does not intend to build", "ruled out"
_DENIAL = re.compile(r"(?i:\bno\s(?:immediate\s|current\s)?(?:plans?|intention|interest)\s(?:to|of|in|for)\b|"
                     r"\b(?:not|never)\s(?:planning|plan|intend\w*)\sto\b|\bruled?\sout\b|"
                     r"\b(?:does|do|did|will|would)\s?(?:not|n['’]t)\s(?:build|operate|invest|spend)\b)")
# demand commentary, not a deal: "rising demand for natural gas from power plants that supply data centers"
_DEMAND = re.compile(r"(?i:\bdemand\s(?:for|from)\b)")
_MONEY = re.compile(r"(?:[$€£¥₹₩]\s?\d|\b\d[\d.,]*\s?(?:billion|trillion|bn|tn|crore)\b|\byuan\b)", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]+")
# an AI-capex story names AI or its infrastructure somewhere; a steelmaker's or an oil producer's
# "capital spending" does not
_AI_CONTEXT = re.compile(r"(?:\bAI\b|\bA\.I\.|(?i:\bartificial\sintelligence\b|\bdata[\s-]?cent(?:er|re)s?\b|"
                         r"\bdatacent(?:er|re)s?\b|\bGPUs?\b|\bcompute\b|\bcomputing\s(?:power|capacity)\b|"
                         r"\bhyperscalers?\b|\bsupercomputers?\b|\bStargate\b|\bcloud\b))")

FEATURES = ("title_capex", "title_money", "title_deal", "title_against", "lede", "lede_project", "strong",
            "density", "facts", "deals", "capacity", "politics", "title_market")
# how each signal reads in `reasons`
_REASON = {"title_capex": "headline about AI-infrastructure spending",
           "title_money": "headline figure for AI infrastructure",
           "title_deal": "headline compute or power deal", "lede": "a spending sentence in the lede",
           "facts": "spending figures", "deals": "compute or power deal sentences", "capacity": "capacity in GW/MW",
           "politics": "body on power politics",
           "title_market": "headline about markets, results, venture money or policy (counts against)"}


def features(title: str | None, text: str, facts: Sequence[Fact]) -> dict[str, float]:
    """The story signals of an article, each scaled to [0, 1] (see _signals)."""
    return _signals(title, text, facts)[0]


def _signals(title: str | None, text: str, facts: Sequence[Fact]) -> tuple[dict[str, float], list[str]]:
    """The story signals of an article, each scaled to [0, 1], and its spending sentences.

    Args:
        title: the headline ("" when unknown).
        text: the article text (only the first _MAX_CHARS characters are read).
        facts: the facts extracted from the same text.
    Returns:
        One value per name in FEATURES, and the sentences pairing spending with AI infrastructure.
    """
    from tasks.extract.facts._sentences import mask_urls, split_sentences

    title = title or ""
    # link targets are not prose: "[pushing back](https://.../ai-data-center-rejection)" says no "data center"
    sentences = split_sentences(mask_urls(text[:_MAX_CHARS]))
    per = max(len(sentences), _MIN_SENTENCES)
    # spending sentences: capex, spending on AI infrastructure, power built for data centres, and deals
    # sized in capacity ("will deploy 6 gigawatts of AMD GPUs"), commitments the policy counts without a figure
    strong = [s for s in sentences if _is_strong(_affirmed(s.text))]
    deals = [s for s in sentences if _is_deal(_affirmed(s.text))]
    lede = _lede(sentences)
    lede_end = lede[-1].end if lede else 0
    amounts = {(f.amount, f.amount_low) for f in facts}
    against = float(bool(_TITLE_AGAINST.search(title)) and not _TITLE_DEAL.search(title))
    return {
        "title_capex": float(bool(_TITLE_CAPEX.search(title)) and not _FAB_CAPEX_TITLE.search(title)),
        "title_money": float(bool(_TITLE_MONEY.search(title) and _TITLE_MONEY_OBJECT.search(title))),
        "title_deal": float(bool(_TITLE_DEAL.search(title))),
        "title_against": against,
        "title_market": float(bool(_TITLE_MARKET.search(title))),
        "lede": float(any(s.end <= lede_end for s in (*strong, *deals))),
        "lede_project": float(any(_CAPACITY.search(s.text) and _INFRA.search(s.text) and _PROJECT.search(s.text)
                                  for s in lede)),
        "strong": min(len(strong), _MAX_STRONG) / _MAX_STRONG,
        "density": len(strong) / per,
        "facts": min(len(amounts), _MAX_FACTS) / _MAX_FACTS,
        "deals": min(len(deals), _MAX_DEALS) / _MAX_DEALS,
        "capacity": float(bool(_CAPACITY.search(title) or _CAPACITY.search(text[:_MAX_CHARS]))),
        # under a near-miss headline, the share of the body on power politics (residents, bills, protests)
        "politics": against * sum(bool(_POLITICS.search(s.text)) for s in sentences) / per,
    }, [s.text for s in strong]


def _affirmed(sentence: str) -> str:
    """The sentence up to a denial: "it had no plans to build data centers" plans nothing."""
    denial = _DENIAL.search(sentence)
    return sentence[:denial.start()] if denial else sentence


def _is_strong(text: str) -> bool:
    """Capex, spending on AI infrastructure, power built for data centres (not demand for it), a deal sized in
    capacity ("will deploy 6 gigawatts of AMD GPUs") or a data-centre project: not another industry's own plant."""
    if is_other_industry(text):
        return False
    power = _POWER.search(text) and _DATA_CENTER.search(text) and any(
        not (_DEMAND.search(text) and m.group().lower().startswith("suppl")) for m in _BUILD.finditer(text))
    return bool(_CAPEX.search(text) or _spends_on_infrastructure(text) or power
                or (_DEAL.search(text) and _CAPACITY.search(text) and _INFRA.search(text))
                or (_BUILD_PLAN.search(text) and _DATA_CENTER.search(text) and not _POLITICS.search(text)))


def _is_deal(text: str) -> bool:
    """A compute or power deal sentence, not another industry's own plant."""
    return bool(_DEAL.search(text) and (_INFRA.search(text) or _CAPACITY.search(text))) and not is_other_industry(text)


def _spends_on_infrastructure(sentence: str) -> bool:
    """A spending word and a separate AI-infrastructure word, outside a sentence about equity or venture money."""
    vague = [m.span() for m in _VAGUE.finditer(sentence)]
    spending = [m.span() for m in _SPENDING.finditer(sentence) if not any(v[0] <= m.start() < v[1] for v in vague)]
    infra = [m.span() for m in _INFRA.finditer(sentence)]
    # "AI investments" is both words at once, and says nothing about what is bought
    apart = any(not (a[0] < b[1] and b[0] < a[1]) for a in spending for b in infra)
    return apart and not _EQUITY.search(sentence)


def _lede(sentences: list[Sentence]) -> list[Sentence]:
    """The first _LEDE_SENTENCES sentences of prose: a photo caption and its credit ("Jeenah Moon | Reuters"), a
    byline and "Skip to main content" before the story are not its lede (policy rule 8)."""
    head = sentences[:_CAPTION_SENTENCES]
    credits = [i for i, s in enumerate(head) if _CREDIT.search(s.text)]
    start = credits[-1] + 1 if credits else 0
    prose = [s for s in sentences[start:] if len(_WORD.findall(s.text)) >= _LEDE_MIN_WORDS]
    return prose[:_LEDE_SENTENCES]


def classify(title: str | None, text: str, facts: Sequence[Fact] | None = None) -> Classification:
    """Judge whether AI-infrastructure spending is central to an article.

    Args:
        title: the headline (may be None).
        text: the article text.
        facts: the facts extracted from the text (extracted here when None).
    Returns:
        is_capex, a score in [0, 1] and the reasons: the signals that scored, the evidence sentences,
        and why unreadable input was rejected or long input was cut.
    """
    title = title if isinstance(title, str) else ""
    text = text if isinstance(text, str) else ""
    cut = (f"story judged on the first {_MAX_CHARS:,} of {len(text):,} characters",) if len(text) > _MAX_CHARS else ()
    problem = unreadable(title, text)
    if problem:
        return Classification(is_capex=False, score=0.0, reasons=(problem, *cut))
    if facts is None:
        from tasks.extract.facts import extract_facts

        facts = extract_facts(text, None) if _MONEY.search(text) else []
    if not (_AI_CONTEXT.search(title) or _AI_CONTEXT.search(text, 0, _MAX_CHARS)):
        return Classification(is_capex=False, score=0.0, reasons=("no AI or data-centre context", *cut))
    values, strong = _signals(title, text, facts)
    score = round(max(0.0, min(1.0, sum(w * values[name] for name, w in _WEIGHTS.items()))), 3)
    return Classification(is_capex=score >= _THRESHOLD, score=score, reasons=(*_reasons(title, values, strong), *cut))


def _reasons(title: str, values: dict[str, float], strong: list[str]) -> tuple[str, ...]:
    """The signals that scored, the share of spending sentences and the first evidence sentences."""
    reasons = [_REASON[name] for name in _REASON if values[name] > 0]
    if values["strong"]:
        reasons.append(f"{values['density']:.0%} of sentences on AI-infrastructure spending")
    evidence = [f"title: {title}"] if values["title_capex"] or values["title_money"] or values["title_deal"] else []
    return tuple(reasons + evidence + [sentence[:300] for sentence in dict.fromkeys(strong)][:3])


def unreadable(title: str, text: str) -> str | None:
    """Why an article cannot be judged (no text, no prose, not English), or None when it can."""
    if not text.strip():
        return "no text" if not title.strip() else "no article text (headline only)"
    sample = text[:_MAX_CHARS]
    words = _WORD.findall(sample)
    if len(words) < _MIN_WORDS:
        return f"no prose ({len(words)} words)"
    prose = sum(len(line) for line in sample.splitlines() if _is_prose(line))
    if prose < _MIN_PROSE_SHARE * len(sample.strip()):
        return "no prose (tables or figures only)"
    english = sum(1 for w in words if w.lower() in _ENGLISH) / len(words)
    if english < _MIN_ENGLISH_SHARE:
        return f"not English text ({english:.0%} common English words)"
    return None


def _is_prose(line: str) -> bool:
    """A line of running text, not a table row or a list of figures."""
    stripped = line.strip()
    return not stripped.startswith("|") and len(_WORD.findall(stripped)) >= _MIN_PROSE_WORDS
