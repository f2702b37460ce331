"""Story classification: AI-capex stories versus near misses and bad input."""

from __future__ import annotations

import pytest

from tasks.extract.classify import classify

CAPEX_STORY = (
    "Meta raised its capital expenditure forecast on Wednesday. The company now expects capital expenditures "
    "of $70 billion to $72 billion this year, driven by AI data centers and servers. Meta also plans to spend "
    "hundreds of billions of dollars on compute to build superintelligence, including several multi-gigawatt "
    "data center clusters. Zuckerberg said the buildout of AI infrastructure would continue next year."
)


def test_capex_story() -> None:
    """A story about a company's AI capex is positive with reasons."""
    result = classify("Meta lifts capex forecast as AI data center spending soars", CAPEX_STORY)
    assert result.is_capex
    assert 0.5 <= result.score <= 1.0
    assert result.reasons


@pytest.mark.parametrize(("title", "text"), [
    ("AI start-up raises $2 billion at $20 billion valuation",
     ("The AI start-up raised $2 billion in a funding round led by venture firms, valuing it at $20 billion. "
      "The company makes coding assistants and has 300 employees. Its revenue tripled last year.")),
    ("Nvidia revenue jumps 60%", ("Nvidia reported revenue of $39 billion, up 60 percent, as sales of its chips "
                                  "to gamers and carmakers rose. Its gross margin was 73 percent. "
                                  "Shares rose 3 percent.")),
    ("Saudi Aramco lifts capital spending", ("Aramco will spend $50 billion on oil and gas fields this year, "
                                             "mostly on drilling and pipelines, the company said. "
                                             "Crude output will rise.")),
    ("Fires spread in the Amazon", ("Fires in the Amazon rainforest burned large areas of forest this year. "
                                    "Brazil said it would spend more on firefighters.")),
])
def test_near_misses(title: str, text: str) -> None:
    """Funding rounds, chip revenue, non-AI capex and name clashes are negative."""
    assert not classify(title, text).is_capex


def test_passing_mention_is_negative() -> None:
    """A long article that mentions AI capex once is negative."""
    filler = "The game sold well in Europe and the studio hired more artists for the sequel. " * 40
    text = filler + "Big Tech is expected to spend $600 billion on AI data centers this year. " + filler
    assert not classify("Video game studio posts record sales", text).is_capex


@pytest.mark.parametrize("text", ["", "\x00\x01\x02" * 1000, "これは日本語の記事です。" * 50])
def test_bad_input(text: str) -> None:
    """Empty, binary and non-English text are negative, never an error."""
    result = classify(None, text)
    assert not result.is_capex
    assert 0.0 <= result.score <= 1.0


def _lines(*sentences: str) -> str:
    return "\n".join(sentences)


COMPUTE_DEAL = _lines(
    "OpenAI and AMD signed a multi-year agreement under which OpenAI will deploy 6 gigawatts of AMD GPUs.",
    "The first gigawatt of the chips is due in the second half of next year, the companies said.",
    "The deal makes AMD a core supplier of compute for OpenAI alongside Nvidia.",
    "AMD shares rose sharply in early trading after the announcement.",
)
POWER_DEAL = _lines(
    "Seven tech companies signed a pledge on Wednesday to pay for new generation for the data centers they build.",
    "Under the pledge, the companies will build power plants themselves or pay for new generating capacity.",
    "They will also pay for the transmission lines that connect their AI data centers to the grid.",
    "The White House said the agreement would keep household power bills from rising.",
)
ANALYSIS = _lines(
    "Three months after Meta said it would spend as much as $72 billion this year, investors are still debating it.",
    "The company's capital expenditures will mostly go to AI data centers and servers.",
    "Analysts say the spending on AI infrastructure could pay off if its models draw more advertisers.",
    "Others worry the build-out of data centers is running ahead of demand.",
)
LAYOFFS_FRAMED = _lines(
    "Oracle is cutting thousands of jobs as it continues to ramp up spending on AI data centers.",
    "The company expects capital expenditures of about $35 billion this fiscal year, up from $21 billion.",
    "Oracle is investing heavily in data centers for OpenAI under a compute contract.",
    "The cuts are meant to offset the cost of the AI infrastructure build-out, people familiar said.",
    "Oracle declined to comment on the number of jobs affected.",
)


@pytest.mark.parametrize(("title", "text"), [
    ("AMD and OpenAI announce partnership to deploy 6 gigawatts of AMD GPUs", COMPUTE_DEAL),
    ("Tech giants pledge to pay for power generation for their data centers", POWER_DEAL),
    ("Why Meta's $72 billion AI bet still matters", ANALYSIS),
    ("Oracle cuts thousands of jobs as it ramps up AI spending", LAYOFFS_FRAMED),
])
def test_policy_positives(title: str, text: str) -> None:
    """A compute deal without a figure, a power pledge, a plan's analysis, a layoff story framed by capex: stories."""
    result = classify(title, text)
    assert result.is_capex, result
    assert result.reasons


def test_headline_passing_mention_is_negative() -> None:
    """A layoffs story with one background sentence on capex guidance is no story, and its fact is still extracted."""
    from datetime import date

    from tasks.extract.extractor import get_extractor

    text = _lines(
        "Meta is laying off about 5 percent of its staff, the company told employees on Tuesday.",
        "The cuts fall mostly on its Reality Labs division, which makes headsets and smart glasses.",
        "Managers were told to rank staff by performance, and those affected will get severance.",
        "Meta said in January that it expects capital expenditures of $115 billion to $135 billion in 2026.",
        "The company had about 76,000 employees at the end of last year.",
        "Employees in Europe will be told later because of local consultation rules.",
        "The layoffs follow similar cuts at Microsoft and Amazon earlier in the year.",
        "Meta shares were little changed.",
    )
    analysis = get_extractor().analyse("Meta lays off 5% of staff in Reality Labs", text, date(2026, 2, 10))
    assert not analysis.classification.is_capex
    assert [(f.companies, f.amount_low, f.amount_high) for f in analysis.facts] == [(("Meta",), 115e9, 135e9)]


def test_non_ai_capital_spending_is_negative_with_a_reason() -> None:
    """A steelmaker's capital spending with no AI or data-centre context is negative and says why."""
    result = classify("Steelmaker approves $3 billion expansion", _lines(
        "The steelmaker will spend $3 billion on a new blast furnace, raising capital expenditures this year.",
        "The capital spending plan also covers a rolling mill and a port terminal for iron ore.",
        "Shares fell slightly as investors weighed the impact of the capital spending on debt levels."))
    assert not result.is_capex
    assert result.reasons == ("no AI or data-centre context",)


def test_the_lede_starts_after_a_photo_caption_and_its_credit() -> None:
    """A caption and its credit line are not the lede: the first prose sentences after them are."""
    from tasks.extract.classify import features

    text = ("Jane Doe, chief executive of Example Corp., speaks at a conference in New York City, Sept. 22, 2025.\n\n"
            "John Roe | Reuters\n\n"
            "Example Corp. said on Thursday it will spend $5 billion on AI data centers in Ohio this year.\n\n"
            "The company reported quarterly results that beat estimates. Its shares rose 4% in late trading.")
    assert features("Example Corp. shares rise after earnings", text, [])["lede"] == 1.0


def test_a_data_centre_being_built_is_a_spending_sentence() -> None:
    """A data-centre project being planned or built counts like spending, without a figure."""
    from tasks.extract.classify import features

    planned = features("Crusoe plans Wyoming campus", "Crusoe announced plans for an AI data center in Cheyenne.", [])
    mentioned = features("Crusoe in Wyoming", "Crusoe runs an AI data center in Cheyenne, officials said.", [])
    assert planned["strong"] > 0 and mentioned["strong"] == 0


@pytest.mark.parametrize("sentence", [
    "Arena co-led a $230 million round into AI chip startup Positron last month.",
    "Family offices are putting more of their portfolios into AI investments this year.",
])
def test_venture_money_is_not_a_spending_sentence(sentence: str) -> None:
    """Venture rounds and "AI investments" of investors do not count as spending on AI infrastructure."""
    from tasks.extract.classify import features

    assert features("Private wealth chases AI", sentence, [])["strong"] == 0


def test_a_compute_deal_sized_in_chips_counts_as_capacity() -> None:
    """A deal sized in GPUs counts like one sized in gigawatts (policy rule 12)."""
    from tasks.extract.classify import features

    text = "OpenAI and Nscale signed a partnership delivering up to 50,000 GPUs for a sovereign AI cluster."
    assert features("Stargate UK", text, [])["capacity"] == 1.0


def test_power_politics_under_a_near_miss_headline_is_negative() -> None:
    """A body mostly about residents, bills and opposition under a near-miss headline is not a spending story."""
    text = ("Residents in three states are organising opposition to new AI data centers. "
            "Meta plans to spend $10 billion on a data center campus in Louisiana, "
            "and Amazon will invest $12 billion in AI data centers. "
            "Microsoft is spending $80 billion on AI data centers this year. "
            "Community groups say electricity bills will rise as utilities build power plants for the data centers. "
            "Lawmakers in Virginia proposed a moratorium on new data center construction. "
            "Protests have delayed several AI infrastructure projects, activists said. "
            "Ratepayers could cover the cost of new transmission lines, a consumer group warned.")
    result = classify("The public opposition to AI data centers is heating up", text)
    assert not result.is_capex
    assert "body on power politics" in result.reasons
    assert classify("Big Tech keeps spending on AI data centers", text).is_capex


@pytest.mark.parametrize("title", ["Trump ignores why his AI data center buildout is failing",
                                   "Wall Street frets over the AI build-out",
                                   "Inside the data center construction boom"])
def test_a_headline_about_the_build_out_is_a_spending_headline(title: str) -> None:
    """A headline about the AI or data-centre build-out counts like a spending headline."""
    from tasks.extract.classify import features

    assert features(title, "The company said so.", [])["title_capex"] == 1.0


@pytest.mark.parametrize("title", ["Examplesoft stock spikes 9% as results answer AI build-out worries",
                                   "Top analysts pick these 3 stocks for the AI boom",
                                   "Chipco partners with VC firms in search of AI start-ups",
                                   "Our response to the copyright consultation",
                                   "AI data center boom tests insurers",
                                   "State lawmakers propose a pause on new data centers"])
def test_market_headlines_count_against(title: str) -> None:
    """Share moves, results, stock picks, venture money, policy and insurers are market headlines."""
    from tasks.extract.classify import features

    assert features(title, "The company said so.", [])["title_market"] == 1.0
    assert features("Examplesoft to spend $10 billion on AI data centers", "It said so.", [])["title_market"] == 0


def test_a_results_headline_needs_the_body_to_carry_the_spending() -> None:
    """One capital-intensity quote under a share-move headline is negative; a body about capex is still positive."""
    passing = ("Examplesoft shares rose 9% after its quarterly results beat estimates. Revenue grew 20% and the "
               "cloud unit signed new customers. \"Building AI infrastructure takes a lot of capital, but we "
               "model keeps it profitable,\" the chief executive said. Analysts raised their price targets.")
    assert not classify("Examplesoft stock spikes 9% as results ease AI build-out worries", passing).is_capex
    assert classify("Examplesoft stock climbs 3% as capex plan reassures", CAPEX_STORY).is_capex


@pytest.mark.parametrize("sentence", [
    "Chipco is investing $2 billion each into [Lumenco](https://example.com) and [Coherix](https://example.com) "
    "to secure optics for AI data centers.",
    "For the country to lead, its rules must help it compete for AI investment, infrastructure and talent.",
    "Analysts called for continued investment in data centres in the years ahead.",
    "Hyperscalers such as Google and Amazon are [investing heavily](https://example.com) in the technology.",
])
def test_stakes_and_investment_as_an_aim_are_not_spending_sentences(sentence: str) -> None:
    """Money put into a named company and "investment" as a policy aim are not spending on AI infrastructure."""
    from tasks.extract.classify import features

    assert features("Chipco and the AI race", sentence, [])["strong"] == 0


def test_a_data_centre_under_construction_in_a_politics_sentence_is_not_spending() -> None:
    """A sentence on how building data centres affects nearby residents is power politics, not a project."""
    from tasks.extract.classify import features

    text = "Critics worry about construction of new data centers near residents of the valley."
    assert features("Chipco rewires data centers", text, [])["strong"] == 0


def test_other_industry_capex_with_data_centre_demand_is_not_a_story() -> None:
    """A gas driller's own budget is no AI-capex story: data centres appear only as demand and as denied plans."""
    title = "Ridgeline Energy cuts 2026 drilling budget to $9bn"
    text = (
        "Ridgeline Energy cuts 2026 drilling budget to $9bn\n\n"
        "Ridgeline Energy expects capital expenditure of roughly $9bn next year, the gas driller said on Monday, "
        "as it idles rigs in the Permian shale. "
        "Managers pointed to growing demand for gas from power plants that supply data centers in Ohio. "
        "Ridgeline is negotiating supply contracts with utilities but has no plans to build data centers itself. "
        "Quarterly profit fell on lower prices. The dividend was held. Its shares were flat in New York trading."
    )
    result = classify(title, text)
    assert not result.is_capex
    assert "compute or power deal sentences" not in result.reasons


def test_denied_data_centre_plan_is_not_a_plan() -> None:
    """A sentence saying a company will not build data centres does not count as a data-centre project."""
    from tasks.extract.classify import _affirmed, _is_deal, _is_strong

    sentence = "The retailer said it had no plans to build or operate data centers of its own."
    assert not _is_strong(_affirmed(sentence))
    assert not _is_deal(_affirmed(sentence))
    assert _is_strong("The retailer announced plans to build two data centers in Texas.")


def test_power_demand_commentary_is_not_power_built() -> None:
    """Demand for gas from power plants that supply data centres is commentary, not power built for AI."""
    from tasks.extract.classify import _is_strong

    assert not _is_strong("Executives noted strong demand for gas from power plants that supply data centers.")
    assert _is_strong("The utility will build two gas plants to supply data centers in Georgia.")


@pytest.mark.parametrize("text", [
    "ModelLab partners with WaferCo to add 750MW of high-speed AI compute, reducing latency for real-time AI "
    "workloads and making its assistant faster for millions of users.",
    "ModelLab partnered with CloudCo to deploy 2 gigawatts of AI compute over the next three years, the two "
    "companies said on Tuesday in a joint statement to customers.",
])
def test_a_partnership_adding_compute_capacity_is_a_story(text: str) -> None:
    """A figure-less compute deal (policy clarification 12) told as "partners with X to add N MW of compute" is a
    story even as a one-sentence announcement."""
    assert classify("ModelLab partners with a chip company", text).is_capex


def test_a_partnership_without_capacity_is_not_a_story() -> None:
    """"partners with" alone is no compute deal: a product partnership stays negative."""
    text = ("ModelLab partners with ShopCo to bring AI shopping assistants to millions of users, with checkout "
            "inside the chat window and new features for merchants later this year.")
    assert not classify("ModelLab partners with ShopCo", text).is_capex


@pytest.mark.parametrize(("title", "text"), [
    ("CloudCo signs multi-year agreement to supply ModelLab with Nvidia GPUs",
     "CloudCo said on Monday it had signed a multi-year agreement to provide ModelLab with hundreds of thousands of "
     "Nvidia GB300 GPUs across its data centers in Texas, the company said in a statement. Financial terms were not "
     "disclosed."),
    ("ModelLab to build 1-gigawatt data center campus in Michigan",
     "ModelLab said on Thursday it will build a data center campus in Saline Township, Michigan, with more than a "
     "gigawatt of capacity, as part of its expansion. Construction is expected to begin next year."),
    ("Tech firms pledge to cover cost of new power plants for data centers",
     "Several of the largest technology companies on Wednesday pledged to pay the full cost of new power generation "
     "needed for their data centers, so that households do not see higher bills."),
])
def test_figure_less_commitments_in_short_announcements(title: str, text: str) -> None:
    """Policy clarification 12 in the words of short announcements: chips counted with two words before them
    ("hundreds of thousands of Nvidia GB300 GPUs"), capacity written with a hyphen ("1-gigawatt"), a pledge to "pay
    the full cost" of new power generation for data centres."""
    assert classify(title, text).is_capex


def test_a_chip_manufacturer_capex_headline_is_not_an_ai_capex_headline() -> None:
    """"TSMC's capex lift": a chip manufacturer's capital spending is for fabs (policy rule 5), so the headline does
    not count as one about AI-infrastructure spending; a data-centre word in it would."""
    from tasks.extract.classify import features

    assert features("Analysts' take: TSMC's capex lift is a bet that AI demand outlasts the cycle", "AI demand.",
                    [])["title_capex"] == 0.0
    assert features("Samsung raises capex for AI data centers", "AI demand.", [])["title_capex"] == 1.0


def test_a_contract_chipmakers_capex_is_no_spending_sentence() -> None:
    """"The world's largest contract chipmaker said capital expenditure this year will be ...": a foundry's plants
    (policy rule 5), so the sentence does not count towards a story; a data-centre operator's capex does."""
    from tasks.extract.classify import features

    foundry = ("The world's largest contract chipmaker said capital expenditure this year will be between $52 billion "
               "and $56 billion, as it races to add capacity for the advanced packaging that AI accelerators need.")
    assert features("Chip budgets", foundry, [])["strong"] == 0.0
    assert features("Cloud budgets", foundry.replace("contract chipmaker", "cloud provider"), [])["strong"] > 0.0


@pytest.mark.parametrize("title", ["Europe's gigafactory gamble", "India tops up sovereign AI mission as summit opens"])
def test_a_national_compute_programme_headline_is_a_spending_headline(title: str) -> None:
    """AI gigafactories and a sovereign AI mission are national programmes of AI infrastructure (policy: national
    programmes are stories): the headline counts like one about AI-infrastructure spending."""
    from tasks.extract.classify import features

    assert features(title, "AI demand.", [])["title_capex"] == 1.0
    assert features("Europe's AI gamble", "AI demand.", [])["title_capex"] == 0.0


def test_a_headline_wager_on_a_figure_is_a_spending_headline() -> None:
    """"The $650bn wager", "Meta's $10bn AI gamble": a figure called a bet in the headline."""
    from tasks.extract.classify import features

    assert features("The $650bn wager", "Text.", [])["title_money"] == 1.0
    assert features("Meta's $10bn AI gamble", "Text.", [])["title_money"] == 1.0


def test_a_promise_to_foot_the_bill_for_power_plants_is_a_story() -> None:
    """Policy clarification 12 in other words: "promise to foot the bill for power plants feeding their data
    centres"."""
    title = "Tech giants promise to foot the bill for power plants feeding their data centres"
    text = ("Seven of the largest US data-centre operators on Thursday signed a pledge to pay the full cost of new "
            "power generation and transmission needed for their AI facilities. The pledge carries no dollar figure. "
            "Officials said the companies had not been asked to put one on it. Utilities expect demand to grow.")
    assert classify(title, text).is_capex
