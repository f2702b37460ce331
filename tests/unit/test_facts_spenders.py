"""Who spends: spenders the registry does not know, named groups, buyers and sellers of compute."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.extract.facts import extract_facts
from tasks.extract.facts._unregistered import unregistered_subject

PUBLISHED = date(2026, 4, 14)


@pytest.mark.parametrize(("text", "name"), [
    ("Iliad will invest 3 billion euros in AI data centres in France over the next three years.", "Iliad"),
    ("Italian utility group Enel said it would spend €2bn on power lines for AI data centres.", "Enel"),
    ("The state of Ohio will spend $900 million on grid upgrades for AI data centers.", "Ohio"),
    ("Kenya's Safaricom plans to build a $1 billion AI data center near Nairobi.", "Safaricom"),
])
def test_unregistered_spender_is_kept_and_flagged(text: str, name: str) -> None:
    """A spender missing from the registry is the subject of its clause and is flagged as unregistered."""
    (fact,) = extract_facts(text, PUBLISHED)
    assert fact.companies == (name,)
    assert fact.unregistered == (name,)


def test_registered_spender_is_not_flagged() -> None:
    """A registry company carries no unregistered flag."""
    (fact,) = extract_facts("Nebius plans to spend $2 billion on new data centers this year.", PUBLISHED)
    assert (fact.companies, fact.unregistered) == (("Nebius",), ())


def test_unknown_subject_outside_ai_infrastructure_is_not_a_fact() -> None:
    """An unknown company's spending is kept only where the text speaks of AI infrastructure."""
    assert extract_facts("Lupin will invest $250 million in a drug plant in Florida.", PUBLISHED) == []


@pytest.mark.parametrize("text", [
    "Jane Doe said it will keep its plans.",
    "Although Paramount will cover the fee, talks go on.",
    "The company will invest more.",
])
def test_clause_openers_and_people_are_not_unregistered_spenders(text: str) -> None:
    """Conjunctions, pronoun subjects and a spokesperson's name are not spenders."""
    assert unregistered_subject(text, 0, len(text)) is None


@pytest.mark.parametrize("text", [
    "Nscale won a $14bn, six-year contract to supply computing power to Microsoft.",
    "Under the deal Lambda will provide $9 billion of GPU capacity to Microsoft over four years.",
])
def test_buyer_of_compute_is_the_spender(text: str) -> None:
    """In a compute deal the buyer spends, not the supplier that wins the contract."""
    (fact,) = extract_facts(text, PUBLISHED)
    assert (fact.companies, fact.kind, fact.status) == (("Microsoft",), "investment", "plan")


def test_buyer_named_in_an_earlier_sentence() -> None:
    """A supplier's figure without its buyer goes to the spender of the deal reported before it."""
    text = ("Meta agreed to spend up to $20 billion on a five-year cloud contract.\n"
            "Nebius will provide $11 billion of dedicated capacity across several sites.")
    facts = extract_facts(text, PUBLISHED)
    assert [(f.companies, f.amount) for f in facts] == [(("Meta",), 20e9), (("Meta",), 11e9)]


def test_supplier_figure_without_any_buyer_is_dropped() -> None:
    """A supplier's sales figure with no buyer anywhere is not spending of the supplier."""
    assert extract_facts("CoreWeave will provide $6 billion of GPU capacity next year.", PUBLISHED) == []


def test_deal_figure_in_a_backlog_sentence_is_kept() -> None:
    """In a sentence about a backlog, the deal's own amount is still a fact; the backlog is not."""
    text = ("Oracle's contracted backlog jumped to $480 billion after an agreement with OpenAI worth more than "
            "$250 billion.")
    facts = extract_facts(text, PUBLISHED)
    assert [f.amount for f in facts] == [250e9]
    assert "OpenAI" in facts[0].companies


def test_company_worth_in_a_market_value_sentence_is_not_a_deal() -> None:
    """"Which is now worth $N" is a market value, not a deal."""
    assert extract_facts("Micron's market cap overtook Oracle, which is now worth $430 billion.", PUBLISHED) == []


@pytest.mark.parametrize(("text", "buyer"), [
    ("Nebius announced a $17 billion five-year AI infrastructure agreement with social media giant Meta.", "Meta"),
    ("CoreWeave signed an $11 billion agreement with Microsoft for GPU capacity.", "Microsoft"),
    ("Amazon Web Services widened its partnership with OpenAI to a $40 billion deal.", "OpenAI"),
    ("Crusoe will be providing Anthropic with $3 billion of data center capacity next year.", "Anthropic"),
])
def test_downstream_party_of_a_deal_is_the_buyer(text: str, buyer: str) -> None:
    """Between a supplier of chips or capacity and its customer, the customer is the spender."""
    (fact,) = extract_facts(text, PUBLISHED)
    assert fact.companies == (buyer,)


@pytest.mark.parametrize(("text", "buyer"), [
    ("The analyst noted that Nebius' backlog now includes a Microsoft contract worth up to $19.4 billion.",
     "Microsoft"),
    ("CoreWeave added a $14 billion Meta contract for compute.", "Meta"),
])
def test_a_company_naming_the_deal_is_its_buyer_when_downstream(text: str, buyer: str) -> None:
    """"a Microsoft contract" in a supplier's sentence: the downstream party named by the deal noun is the spender."""
    assert [f.companies for f in extract_facts(text, PUBLISHED)] == [(buyer,)]


def test_a_chief_executive_stands_for_the_company() -> None:
    """"Jassy said the company plans" is Amazon's figure, not the article's earlier subject's."""
    text = "Nvidia shares rose. Jassy said the company plans to spend about $200 billion in capex in 2026."
    assert [f.companies for f in extract_facts(text, PUBLISHED)] == [("Amazon",)]


def test_a_colon_starts_a_new_clause() -> None:
    """"Nvidia's customers are spending heavily: Meta guided to ..." is Meta's figure alone."""
    text = ("Nvidia beat estimates. Nvidia's customers are spending heavily: Meta guided to capex of $115 billion "
            "to $135 billion for 2026.")
    assert [f.companies for f in extract_facts(text, PUBLISHED)] == [("Meta",)]


@pytest.mark.parametrize("text", [
    "Morgan Stanley expects $3 trillion of global data center spending through 2028.",
    "Nvidia CEO Jensen Huang expects $3 trillion to $4 trillion in AI infrastructure spending by 2030.",
    "Its chief executive estimated that between $3 trillion and $4 trillion will be spent on AI infrastructure by "
    "the end of the decade.",
    "Global spending on data centers could reach $7 trillion by 2030, consultants at a firm estimate.",
    "Worldwide AI infrastructure investment is on course for $2 trillion next year.",
])
def test_a_market_forecast_is_a_sector_figure(text: str) -> None:
    """A forecaster's figure for a market's spending belongs to the sector, not to the forecaster."""
    assert [f.companies for f in extract_facts(text, PUBLISHED)] == [("hyperscalers",)]


def test_money_spent_by_a_named_company_stays_the_companys() -> None:
    """"$10 billion will be spent by Microsoft": the passive names its spender, so the figure is no market's."""
    facts = extract_facts("Analysts estimated that $10 billion will be spent by Microsoft on AI data centers in Texas.",
                          PUBLISHED)
    assert [f.companies for f in facts] == [("Microsoft",)]


@pytest.mark.parametrize("text", [
    "Analysts expect the big four to spend $600bn next year on AI data centers.",
    "The Big Four are expected to spend $600 billion on capex next year, analysts at a bank said.",
])
def test_a_sector_figure_attributed_to_analysts_is_the_sectors(text: str) -> None:
    """"Analysts expect the big four to spend $600bn" is a sector figure, not the analysts' and not lost."""
    facts = extract_facts(text, PUBLISHED)
    assert [(f.companies, f.amount, f.period) for f in facts] == [(("hyperscalers",), 600e9, "2027")]


def test_a_company_forecasting_its_own_capex_keeps_it() -> None:
    """"Meta expects $70 billion in capital expenditures" stays Meta's."""
    facts = extract_facts("Meta expects $70 billion in capital expenditures this year.", PUBLISHED)
    assert [f.companies for f in facts] == [("Meta",)]


def test_surname_of_a_chief_executive_is_not_an_unregistered_spender() -> None:
    """"Roe said it would spend" after "CEO Dana Roe" is the company speaking, not a spender called Roe."""
    text = ("Vantor Cloud CEO Dana Roe spoke on Monday. Crusoe is building AI data centers in Texas. Roe said it "
            "would spend $4 billion on the campus in 2026.")
    facts = extract_facts(text, date(2026, 2, 5))
    assert [(f.companies, f.amount) for f in facts] == [(("Crusoe",), 4e9)]


def test_single_word_company_is_still_an_unregistered_spender() -> None:
    """A one-word company that the text never writes after a first name stays the spender."""
    text = "Iliad is building AI data centers. Iliad said it would invest 3 billion euros in AI data centers in 2026."
    facts = extract_facts(text, date(2026, 2, 5))
    assert [(f.companies, f.unregistered) for f in facts] == [(("Iliad",), ("Iliad",))]


def test_unregistered_subject_with_an_adverb_and_a_projection_verb() -> None:
    """"Lumo also projects capital expenditures of …" names Lumo, not a company mentioned before it."""
    text = ("Amazon is a Lumo customer. Lumo also projects capital expenditures on AI data centers will be between "
            "$1.9 billion and $2 billion this year.")
    facts = extract_facts(text, date(2026, 2, 12))
    assert [(f.companies, f.amount_low, f.period) for f in facts] == [(("Lumo",), 1.9e9, "2026")]


def test_research_firm_forecast_is_a_sector_estimate() -> None:
    """"Gartner estimates data center spending will reach $N" is a sector estimate, not a company named before."""
    text = "Intel makes chips. Gartner estimates data center spending on AI will reach $5 trillion by 2030."
    facts = extract_facts(text, date(2026, 3, 2))
    assert [(f.companies, f.status) for f in facts] == [(("hyperscalers",), "estimate")]


def test_research_firm_forecast_for_a_named_company_keeps_the_company() -> None:
    """A company named between the firm's verb and the figure stays the spender."""
    text = "Gartner expects Microsoft to spend $150 billion on AI data centers next year."
    assert [f.companies for f in extract_facts(text, date(2026, 3, 2))] == [("Microsoft",)]


@pytest.mark.parametrize(("text", "spenders"), [
    ("Lumen Labs is in a race with Google, which has announced plans to spend up to $180 billion this year on "
     "capital expenditures.", ("Alphabet",)),
    ("Traders are watching Meta, which expects capital expenditures of $120 billion in 2026 for AI data centers.",
     ("Meta",)),
    ("Nvidia invested in OpenAI, which said it would buy $90 billion of chips for its data centers.", ("OpenAI",)),
])
def test_antecedent_of_a_spending_relative_clause_is_the_spender(text: str, spenders: tuple[str, ...]) -> None:
    """"Google, which plans to spend $N": the name the relative clause hangs on spends, whatever stands before it."""
    (fact,) = extract_facts(text, PUBLISHED)
    assert fact.companies == spenders


def test_relative_clause_describing_a_deal_keeps_its_parties() -> None:
    """"a deal with Nebius, which is worth $N" describes the deal: the buyer of the deal still spends."""
    (fact,) = extract_facts("Meta signed a deal with Nebius, which is worth $25 billion, for AI compute capacity.",
                            PUBLISHED)
    assert fact.companies == ("Meta",)


@pytest.mark.parametrize(("text", "spenders"), [
    ("In March Huang said Anthropic had placed an $8 billion order for AI chips.", ("Anthropic",)),
    ("Nvidia's chief executive said OpenAI will spend $90 billion on chips for its data centers.", ("OpenAI",)),
    ("Microsoft said Tuesday it will spend $70 billion on AI data centers this year.", ("Microsoft",)),
    ("Jensen Huang told analysts that Meta would spend $25 billion on AI data centers next year.", ("Meta",)),
])
def test_speaker_is_not_the_spender_when_a_name_opens_what_is_said(text: str, spenders: tuple[str, ...]) -> None:
    """"X said Y will spend $N": Y spends; "X said Tuesday it will spend" still gives X."""
    (fact,) = extract_facts(text, PUBLISHED)
    assert fact.companies == spenders


@pytest.mark.parametrize(("text", "spenders"), [
    ("Meta agreed a $12 billion compute deal with Nebius. Nebius shares jumped 9%. The social media company also "
     "expects capex of $110 billion to $130 billion in 2026.", ("Meta",)),
    ("Microsoft reported results, beating Alphabet on cloud growth. The Windows maker said capital expenditures were "
     "$35 billion this year, driven by AI data centers.", ("Microsoft",)),
    ("Tesla said it would buy more Nvidia chips. Nvidia shares rose. The EV maker expects capital expenditures of "
     "more than $18 billion this year, including AI compute.", ("Tesla",)),
    ("OpenAI signed a deal with Oracle. Oracle shares rose. The AI lab will spend $250 billion on compute over five "
     "years.", ("OpenAI",)),
])
def test_descriptor_subject_takes_the_nearest_company_it_fits(text: str, spenders: tuple[str, ...]) -> None:
    """"The EV maker", "the Windows maker": the nearest earlier company the descriptor fits, not the last one named."""
    facts = extract_facts(text, PUBLISHED)
    assert facts[-1].companies == spenders


@pytest.mark.parametrize("text", [
    "Meta will spend $12 billion on AI capacity from CoreWeave over six years.",
    "Meta agreed to pay $12 billion for GPU capacity from CoreWeave through 2031.",
    "Meta agreed to pay CoreWeave $12 billion for computing power over five years.",
])
def test_seller_paid_or_spent_with_is_not_a_spender(text: str) -> None:
    """Money spent or paid on capacity "from" a seller, or paid to it, is the buyer's alone (policy rule 14)."""
    (fact,) = extract_facts(text, PUBLISHED)
    assert fact.companies == ("Meta",)


def test_compute_purchase_after_a_stake_is_the_buyers() -> None:
    """"invest $N in Lab, which in turn will spend $M on compute": the stake is no fact, the purchase is the lab's."""
    (fact,) = extract_facts("Microsoft will invest up to $4 billion in Anthropic, which in turn will spend $25 billion "
                            "on Azure compute capacity.", PUBLISHED)
    assert (fact.companies, fact.amount) == (("Anthropic",), 25e9)


def test_power_enough_to_supply_households_is_no_supply_deal() -> None:
    """"enough to supply 20 million households" measures power; the figure stays its own spender's."""
    (fact,) = extract_facts("Lumo's chief Dana Roe said OpenAI has floated infrastructure deals worth $1.2 trillion, "
                            "requiring 25 gigawatts of power, enough to supply 18 million homes.", PUBLISHED)
    assert fact.companies == ("OpenAI",)


def test_forecaster_foreseeing_global_investment_gives_a_sector_figure() -> None:
    """"Morgan Stanley foresees $N of global data-centre investment" is the sector's, not a company's."""
    facts = extract_facts("Meta spends heavily. Lumo Research foresees $2.5 trillion of global data-centre investment "
                          "between 2025 and 2028.", PUBLISHED)
    assert [f.companies for f in facts] == [("hyperscalers",)]


@pytest.mark.parametrize(("text", "name"), [
    ("Amazon runs data centers. A 10-MW AI data centre opened by Lumo in Munich last month cost 900 million euros.",
     "Lumo"),
    ("Amazon runs data centers. The AI campus being built by Voltara will cost $12 billion.", "Voltara"),
])
def test_agent_of_a_passive_is_the_unregistered_spender(text: str, name: str) -> None:
    """"a data centre opened by Lumo cost €N": the passive's agent spends, not the company named elsewhere."""
    (fact,) = extract_facts(text, PUBLISHED)
    assert (fact.companies, fact.unregistered) == ((name,), (name,))


def test_descriptor_with_no_registered_fit_takes_the_unregistered_company_opening_earlier_sentences() -> None:
    """"Voltra … The electric vehicle maker said": the repeated unregistered company, never a backer it does not fit."""
    text = ("Voltra Motors on Thursday beat expectations. Voltra's guidance includes more deliveries. Amazon owns a "
            "stake in it. Voltra CEO Dana Roe told reporters the new SUV will lead. The electric vehicle maker also "
            "said it expects capital expenditures of $1.5 billion for AI compute this year.")
    (fact,) = extract_facts(text, PUBLISHED)
    assert fact.companies == ("Voltra",)


def test_descriptor_with_no_fit_at_all_gives_no_fact() -> None:
    """A descriptor no company in reach fits ("the electric vehicle maker" after Amazon) gives no spender."""
    assert extract_facts("Amazon owns a stake. The electric vehicle maker also said it expects capital expenditures "
                         "of $2 billion for AI compute this year.", PUBLISHED) == []


def test_figure_of_another_metric_in_a_list_is_not_capex() -> None:
    """"losses for 2026 of between $A and $B and capital expenditures between $C and $D": only $C-$D is capex."""
    (fact,) = extract_facts("Meta said it expects adjusted losses for 2026 of between $1.5 billion and $1.9 billion "
                            "and capital expenditures between $1.85 billion and $2.05 billion for AI servers.",
                            PUBLISHED)
    assert (fact.amount_low, fact.amount_high) == (1.85e9, 2.05e9)


@pytest.mark.parametrize(("text", "spenders"), [
    ("Anthropic will use 400,000 of Amazon's chips, as part of a $9 billion AWS data center campus built for it.",
     ("Amazon",)),
    ("Lumo Power will build gas plants to power a $9 billion Meta AI data center in Ohio.", ("Meta",)),
    ("Microsoft will build a $9 billion Nvidia chip cluster in Wisconsin.", ("Microsoft",)),
])
def test_owner_named_between_a_figure_and_its_project_spends(text: str, spenders: tuple[str, ...]) -> None:
    """"a $N Meta data center" is Meta's; a supplier there ("a $N Nvidia chip cluster") is not the owner."""
    (fact,) = extract_facts(text, PUBLISHED)
    assert fact.companies == spenders


def test_subject_after_an_earlier_figure_opens_the_next_statement() -> None:
    """"Nvidia invested $N in Intel stock, and OpenAI said it would spend $M": $M is OpenAI's alone."""
    (fact,) = extract_facts("Nvidia invested $4 billion in Intel stock, and OpenAI said it would spend $18 billion on "
                            "AI chips for its data centers.", PUBLISHED)
    assert (fact.companies, fact.amount) == (("OpenAI",), 18e9)


def test_place_word_reaches_no_further_than_its_phrase() -> None:
    """"in 2025 and Microsoft $N": "and" ends the phrase of "in", so Microsoft is a spender, not a place."""
    facts = extract_facts("Meta spent $70 billion in 2025 and Microsoft $85 billion on AI data centers.", PUBLISHED)
    assert [f.companies for f in facts] == [("Meta",), ("Microsoft",)]


@pytest.mark.parametrize(("text", "spenders"), [
    ("Microsoft-backed OpenAI plans to spend $1.2 trillion on compute over eight years.", ("OpenAI",)),
    ("Amazon-backed Anthropic will spend $40 billion on AI data centers in Texas.", ("Anthropic",)),
])
def test_backer_named_as_an_adjective_is_not_a_spender(text: str, spenders: tuple[str, ...]) -> None:
    """"Microsoft-backed OpenAI": the backer describes the spender and spends nothing."""
    (fact,) = extract_facts(text, PUBLISHED)
    assert fact.companies == spenders


def test_home_of_an_unregistered_spender_is_not_part_of_its_name() -> None:
    """"Texas-based Lumo Cloud will invest": the spender is Lumo Cloud."""
    (fact,) = extract_facts("Texas-based Lumo Cloud will invest $3 billion in AI data centers.", PUBLISHED)
    assert fact.companies == ("Lumo Cloud",)


@pytest.mark.parametrize(("text", "spenders"), [
    ("Nebius shares rose. Oracle's co-CEO Clay Magouyrk said capital expenditures would be about $50 billion in fiscal "
     "2026, for AI data centers.", ("Oracle",)),
    ("Nvidia shares rose. Finance chief Susan Li said capital expenditures would be $115 billion to $135 billion in "
     "2026, for AI data centers.", ("Meta",)),
])
def test_executive_names_stand_for_their_company(text: str, spenders: tuple[str, ...]) -> None:
    """An executive named in full ("Susan Li") or by a rare surname ("Magouyrk") stands for the company."""
    (fact,) = extract_facts(text, PUBLISHED)
    assert fact.companies == spenders


@pytest.mark.parametrize("text", [
    "Meta plans to spend as much as $60 billion on AI this year.",
    "Microsoft plans to invest $75 billion in AI this fiscal year.",
    "Alphabet plans to spend $70 billion on artificial intelligence this year.",
])
def test_tech_giant_spending_on_ai_is_a_fact(text: str) -> None:
    """A cloud or tech giant's spending "on AI" is its AI build-out, though no data centre is named."""
    assert len(extract_facts(text, PUBLISHED)) == 1


@pytest.mark.parametrize("text", [
    "Lumo Bank plans to spend $2 billion on AI this year.",
    "Microsoft will invest $1 billion in AI startups this year.",
    "Microsoft will spend $4 billion on AI training programs in Africa.",
])
def test_other_spending_on_ai_is_not_a_fact(text: str) -> None:
    """A bank's AI budget, stakes in AI start-ups and training programmes are not AI infrastructure."""
    assert extract_facts(text, PUBLISHED) == []


@pytest.mark.parametrize(("text", "spenders"), [
    ("Nvidia signed a $6 billion deal with CoreWeave to buy its unused cloud capacity.", ("Nvidia",)),
    ("Meta signed a $12 billion deal with CoreWeave to buy AI cloud capacity.", ("Meta",)),
    ("Oracle signed a $250 billion deal with OpenAI to supply computing power.", ("OpenAI",)),
])
def test_deal_signed_to_buy_or_to_supply_names_its_buyer(text: str, spenders: tuple[str, ...]) -> None:
    """"a deal with X to buy": the subject buys; "a deal with X to supply": X buys ("to buy AI …" is no takeover)."""
    (fact,) = extract_facts(text, PUBLISHED)
    assert fact.companies == spenders


@pytest.mark.parametrize("text", [
    "OpenAI will buy $200 billion of Azure services.",
    "OpenAI agreed to pay about $30 billion for AWS capacity over seven years.",
    "Meta will rent Google Cloud's TPUs in a deal worth more than $8 billion.",
])
def test_cloud_bought_by_its_brand_is_compute(text: str) -> None:
    """"$N of Azure services", "AWS capacity", "TPUs": a cloud bought by its brand is AI compute."""
    assert len(extract_facts(text, PUBLISHED)) == 1


@pytest.mark.parametrize("text", [
    "Nvidia unveiled a chip from the startup it mostly acquired through a $15 billion asset purchase.",
    "Meta bought $5 billion of its own shares as it builds AI data centers.",
])
def test_asset_purchases_and_buybacks_are_not_facts(text: str) -> None:
    """An acquisition by asset purchase and a share buyback are not spending on AI infrastructure."""
    assert extract_facts(text, PUBLISHED) == []


def test_owner_of_what_is_rented_is_the_seller() -> None:
    """"Meta will rent Google Cloud's TPUs in a deal worth $N": Google sells, Meta spends."""
    (fact,) = extract_facts("Meta will rent Google Cloud's TPUs in a deal worth more than $9 billion.", PUBLISHED)
    assert fact.companies == ("Meta",)


@pytest.mark.parametrize("verb", ["has lined up", "has racked up", "has signed"])
def test_a_phrasal_verb_with_up_is_not_a_change(verb: str) -> None:
    """"lined up roughly $1.4 trillion in infrastructure deals": "up" belongs to the verb, not to a change."""
    facts = extract_facts(f"OpenAI {verb} roughly $1.4 trillion in infrastructure deals with Nvidia, AMD and Oracle.",
                          date(2025, 11, 5))
    assert [(f.companies, f.amount, f.qualifier) for f in facts] == [(("OpenAI",), 1.4e12, "approx")]


def test_a_tech_giant_figure_right_after_a_fact_continues_the_run_of_spending() -> None:
    """A run of spending statements: a cloud or tech giant's figure right after a sentence that stated a fact is
    spending even when its own sentence names no infrastructure."""
    text = ("Alphabet, Amazon, Meta and Microsoft together will lay out some $400bn on capital expenditure this year, "
            "most of it on data centres. Next year the figure could reach $500bn, reckons a bank.\n\n"
            "Microsoft alone expects to spend $80bn in the fiscal year that ends in June.")
    facts = extract_facts(text, date(2025, 11, 5))
    assert (("Microsoft",), 80e9, "FY2026") in [(f.companies, f.amount, f.period) for f in facts]


def test_a_figure_less_sentence_does_not_end_the_run_of_spending() -> None:
    """A bridging sentence with no figure ("Budgets have kept rising all year.") between a fact and a tech giant's
    figure keeps the run; a sentence with a figure of its own that is no fact ends it."""
    lead = "Capital spending at the four largest cloud groups will reach $450bn next year, a broker estimates. "
    after = "Meta now says it will spend $70bn to $72bn this year."
    bridged = extract_facts(lead + "Budgets have kept rising all year. " + after, date(2025, 11, 5))
    assert (("Meta",), 70e9, "2025") in [(f.companies, f.amount_low, f.period) for f in bridged]
    broken = extract_facts(lead + "Its shares fell 3% to $612 on the news. " + after, date(2025, 11, 5))
    assert ("Meta",) not in [f.companies for f in broken]


@pytest.mark.parametrize("plan", ["forecast", "guidance", "spending plan"])
def test_raising_a_forecast_is_no_money_raised(plan: str) -> None:
    """"raised its forecast for 2025 to $91bn to $93bn" raises a plan: the figure is the new plan, and "the third
    increase this year" counts revisions, it does not make the figure a change."""
    text = ("Capital spending keeps climbing at the cloud groups. "
            f"Alphabet raised its {plan} for 2025 to between $91bn and $93bn, the third increase in nine months.")
    facts = extract_facts(text, date(2025, 11, 5))
    assert [(f.companies, f.amount_low, f.amount_high, f.period) for f in facts] == [
        (("Alphabet",), 91e9, 93e9, "2025")]


def test_money_raised_is_still_no_spending() -> None:
    """A raise of money stays a financing figure."""
    text = "CoreWeave raised $7.5 billion in debt to build AI data centers."
    assert extract_facts(text, date(2025, 11, 5)) == []


def test_deals_and_payouts_after_a_fact_stay_out() -> None:
    """The run carries spending verbs only: an acquisition, a stake, a payout or revenue after a fact is no fact."""
    text = ("Microsoft plans to spend $80 billion on AI data centers this year. Alphabet agreed to pay $32 billion to "
            "acquire cybersecurity firm Wiz. Meta paid $14.3 billion for a 49% stake in Scale AI. Amazon returned "
            "$10 billion to shareholders. Microsoft's revenue rose to $77.7 billion.")
    assert [(f.companies, f.amount) for f in extract_facts(text, date(2025, 11, 5))] == [(("Microsoft",), 80e9)]


def test_the_company_is_one_company_the_main_one_when_the_sentence_before_named_several() -> None:
    """"... Vantage Data Centers, which will lease them to Oracle. The company said it expects capex of $35 billion":
    one company is meant, the article's main subject when the sentence before named it."""
    text = ("Oracle is tapping the debt markets to fund its data center buildout for OpenAI.\n\n"
            "Banks are arranging $38 billion of loans for two data center campuses being developed by Vantage Data "
            "Centers, which will lease them to Oracle.\n\n"
            "The company said in September it expects capital expenditures of about $35 billion in fiscal 2026.")
    facts = extract_facts(text, date(2025, 11, 5))
    assert [(f.companies, f.amount) for f in facts] == [(("Oracle",), 35e9)]


LIST_ARTICLE = ("The four largest US cloud providers have all raised their capital spending plans for 2026, as they "
                "race to build data centers for artificial intelligence. Here is what each company has guided:\n\n"
                "- Amazon: about $200 billion in 2026, up from $131 billion in 2025\n"
                "- Alphabet: $175 billion to $185 billion, roughly double last year's $91 billion\n"
                "- Meta: $115 billion to $135 billion, including principal payments on finance leases\n\n"
                "Together the four are expected to spend more than $650 billion this year, most of it on AI data "
                "centers.")


def test_items_of_a_list_introduced_as_capital_spending() -> None:
    """A list introduced by a sentence ending in ":" after words of capital spending: each item's company spends its
    figure; an item with no period of its own takes the one of the introduction; a period owning the next figure
    ("last year's $91 billion") is not the range's; "Together the four" is the group, a sector figure."""
    facts = extract_facts(LIST_ARTICLE, date(2026, 2, 10))
    assert [(f.companies, f.amount or f.amount_low, f.period, f.kind, f.status) for f in facts] == [
        (("Amazon",), 200e9, "2026", "capex", "guidance"), (("Amazon",), 131e9, "2025", "capex", "actual"),
        (("Alphabet",), 175e9, "2026", "capex", "guidance"), (("Alphabet",), 91e9, "2025", "capex", "actual"),
        (("Meta",), 115e9, "2026", "capex", "guidance"), (("hyperscalers",), 650e9, "2026", "capex", "guidance")]


def test_a_list_without_an_introduction_in_words_of_spending_is_not_read_as_spending() -> None:
    """Items of a list whose introduction speaks of something else (revenue) are not spending figures."""
    text = ("The companies reported strong results for the quarter. Here is what each one earned:\n\n"
            "- Amazon: $180 billion in revenue\n- Alphabet: $102 billion\n")
    assert extract_facts(text, date(2026, 2, 10)) == []


def test_items_of_a_list_introduced_as_companies_guidance() -> None:
    """"**The company guidance**, as the analysts tabulated it:" in an article about AI data-centre spending: each
    item's figure is that company's guidance."""
    text = ("Brokers have raised their forecasts for AI data-center spending again.\n\n"
            "**The company guidance**, as the analysts tabulated it:\n\n"
            "- Alphabet: between $175bn and $185bn this year, roughly double 2025.\n"
            "- Meta: $115bn to $135bn for 2026.\n")
    facts = extract_facts(text, date(2026, 2, 10))
    assert [(f.companies, f.amount_low, f.period) for f in facts] == [
        (("Alphabet",), 175e9, "2026"), (("Meta",), 115e9, "2026")]


@pytest.mark.parametrize("verb", ["has pencilled in", "has earmarked", "has set aside", "will shell out"])
def test_more_verbs_of_budgeting(verb: str) -> None:
    """"has pencilled in $175bn-185bn", "earmarked", "set aside", "shell out": a budget for AI infrastructure."""
    facts = extract_facts(f"Alphabet {verb} $175bn-185bn for data centres this year.", date(2026, 2, 14))
    assert [(f.companies, f.amount_low, f.period) for f in facts] == [(("Alphabet",), 175e9, "2026")]


def test_the_sellers_of_bought_capacity_are_not_spenders() -> None:
    """"signed up for some $1.4trn of computing capacity from Microsoft, Oracle and Amazon": the sellers after
    "capacity from" are not spenders, whatever the verb of the purchase."""
    facts = extract_facts("OpenAI says it has signed up for some $1.4trn of computing capacity from Microsoft, Oracle, "
                          "Amazon and CoreWeave.", date(2026, 2, 14))
    assert [(f.companies, f.amount) for f in facts] == [(("OpenAI",), 1.4e12)]


def test_an_aside_about_revenue_neither_blocks_the_figure_nor_gives_its_period() -> None:
    """"OpenAI, which had revenues of around $13bn last year, says it has signed up for some $1.4trn of computing
    capacity": the aside's revenue does not make the sentence one about finance, and its "last year" is its own."""
    text = ("OpenAI, which had revenues of around $13bn last year, says it has signed up for some $1.4trn of computing "
            "capacity from Microsoft, Oracle and Amazon.")
    assert [(f.companies, f.amount, f.period) for f in extract_facts(text, date(2026, 2, 14))] == [
        (("OpenAI",), 1.4e12, None)]


def test_a_company_after_a_verb_is_the_subject_of_its_own_deal_not_an_adjunct() -> None:
    """"Meta has agreed to pay Oracle about $20 billion ..., and Nvidia and xAI signed new commitments": xAI is no
    party to Meta's deal."""
    text = ("Meta has also agreed to pay Oracle about $20 billion for capacity over several years, according to people "
            "familiar with that deal, and Nvidia and xAI signed new commitments during the quarter.")
    assert [(f.companies, f.amount) for f in extract_facts(text, date(2025, 12, 11))] == [(("Meta",), 20e9)]


def test_a_named_company_spending_worldwide_is_its_own_figure() -> None:
    """"NTT Data said it would invest more than ¥1.5trn in data centres worldwide": the company's own spending in many
    countries (NTT's, as the registry names the group), not a sector figure."""
    facts = extract_facts("NTT Data said it would invest more than ¥1.5trn in data centres worldwide between 2026 and "
                          "2030.", date(2026, 1, 20))
    assert [(f.companies, f.amount, f.period, f.qualifier) for f in facts] == [
        (("NTT",), 1.5e12, "2026-2030", "more_than")]


@pytest.mark.parametrize("subject", ["The Ministry of Science and ICT", "The government"])
def test_the_government_is_the_country_named_before(subject: str) -> None:
    """"South Korea ... The Ministry of Science and ICT said it would spend 2.5 trillion won ... on a national AI
    computing centre": a national programme is the country's (a computing centre is AI infrastructure)."""
    text = (f"South Korea wants sovereign AI. {subject} said it would spend 2.5 trillion won through 2028 on a "
            "national AI computing centre.")
    facts = extract_facts(text, date(2025, 11, 5))
    assert [(f.companies, f.amount, f.period) for f in facts] == [(("South Korea",), 2.5e12, "2025-2028")]


def test_a_warning_about_next_year_does_not_date_this_year_forecast() -> None:
    """"narrowed its 2025 capital expenditure forecast to $66 billion to $72 billion, and CFO Susan Li warned analysts
    that spending would grow ... in 2026": the period after "warned ... that" is another statement's."""
    text = ("Last month, Meta narrowed its 2025 capital expenditure forecast to a range of $66 billion to $72 billion, "
            "and CFO Susan Li warned analysts that spending would grow by a similar dollar amount in 2026.")
    assert [(f.amount_low, f.period) for f in extract_facts(text, date(2025, 11, 20))] == [(66e9, "2025")]


def test_a_ministry_far_from_its_country_is_the_article_main_country() -> None:
    """With no country named in the sentences just before, "the Ministry of ..." is the country the article names
    most."""
    text = ("SEOUL - South Korea's chipmakers had a record year.\n\nSamsung sold more memory. SK Hynix sold more too. "
            "Exports rose. Prices rose.\n\nThe government is putting public money in as well. The Ministry of Science "
            "and ICT said it would spend 2.5 trillion won through 2028 on a national AI computing centre.")
    facts = extract_facts(text, date(2025, 11, 5))
    assert [(f.companies, f.amount) for f in facts] == [(("South Korea",), 2.5e12)]


@pytest.mark.parametrize("text", [
    "Alibaba said it would spend more on AI infrastructure than it had promised, lifting its three-year budget for "
    "data centres, servers and chips from 380 billion yuan to 480 billion yuan as demand for its cloud services "
    "outran supply.",
    "Alibaba raised its three-year budget for data centres to 480 billion yuan from 380 billion yuan.",
])
def test_a_budget_raised_from_one_level_to_another(text: str) -> None:
    """A plan raised "from X to Y" (or "to Y from X") gives both levels for the same span; "raised its budget" is no
    money raised, and "demand outran supply" is no supply deal."""
    facts = extract_facts(text, date(2025, 11, 5))
    assert sorted((f.companies, f.amount, f.period) for f in facts) == [
        (("Alibaba",), 380e9, "2025-2027"), (("Alibaba",), 480e9, "2025-2027")]


def test_analysts_at_a_bank_expect_a_company_to_spend() -> None:
    """"Analysts at Jefferies expect Oracle to spend $70bn": Oracle is no bystander of "at Jefferies"; an estimate."""
    facts = extract_facts("Oracle declined to give a capital expenditure figure for next year. Analysts at Jefferies "
                          "expect Oracle to spend $70bn in fiscal 2027.", date(2026, 3, 11))
    assert [(f.companies, f.amount, f.period, f.status) for f in facts] == [(("Oracle",), 70e9, "FY2027", "estimate")]


def test_commitments_to_neocloud_providers_are_purchases() -> None:
    """"committed some $60 billion to so-called neocloud providers ... for GPU capacity": capacity bought, no stake."""
    text = ("Microsoft reported results on Wednesday. Executives said the company has now committed some $60 billion "
            "to so-called neocloud providers, including Nebius, under multi-year contracts for GPU capacity.")
    assert [(f.companies, f.amount) for f in extract_facts(text, date(2026, 4, 30))] == [(("Microsoft",), 60e9)]


def test_a_relative_clause_after_a_suffixed_name_and_supply_as_a_noun() -> None:
    """"Tencent Holdings, which said ... that its capital expenditure fell ... to 13 billion yuan ..., citing
    constraints on the supply of AI chips": Tencent's own figure ("Holdings" before the comma; "the supply of" is no
    supply deal)."""
    text = ("Alibaba reported results. The results stand in contrast to those of Tencent Holdings, which said earlier "
            "this month that its capital expenditure fell 24 per cent year on year to 13 billion yuan in the third "
            "quarter, citing constraints on the supply of AI chips.")
    facts = extract_facts(text, date(2025, 11, 25))
    assert [(f.companies, f.amount, f.period) for f in facts] == [(("Tencent",), 13e9, "2025-Q3")]


def test_a_hedged_spending_figure_in_a_sentence_that_mentions_its_financing() -> None:
    """"will spend as much as €4 billion on the campus ..., with the first phase financed partly through project
    debt": the spending word's own figure still counts in a sentence about financing, hedge and all."""
    text = ("Mistral is building a data centre campus near Paris. In all, Mistral will spend as much as €4 billion on "
            "the campus over the next three years, with the first phase financed partly through project debt.")
    facts = extract_facts(text, date(2026, 2, 20))
    assert [(f.companies, f.amount, f.period, f.qualifier) for f in facts] == [
        (("Mistral",), 4e9, "2026-2028", "up_to")]


@pytest.mark.parametrize(("seller", "name"), [("Google Cloud", "Alphabet"), ("AWS", "Amazon"), ("Microsoft Azure",
                                                                                                 "Microsoft")])
def test_a_hyperscaler_named_by_its_cloud_unit_sells_in_a_deal(seller: str, name: str) -> None:
    """"Meta ... a $10 billion deal with Google Cloud": the party named by its cloud unit sells the capacity, so the
    deal is Meta's spending alone; named as the company, both stay parties."""
    text = f"Meta is spending heavily on AI infrastructure, including a recent $10 billion deal with {seller}."
    assert [f.companies for f in extract_facts(text, PUBLISHED)] == [("Meta",)]
    as_company = f"Meta is spending heavily on AI infrastructure, including a recent $10 billion deal with {name}."
    assert [set(f.companies) for f in extract_facts(as_company, PUBLISHED)] == [{"Meta", name}]


def test_management_is_the_company_not_a_spender_of_its_own() -> None:
    """"Management guided to capital expenditure of roughly $5bn": the company's own people speak for it."""
    text = ("Nebius reported fourth-quarter revenue above forecasts. Management guided to capital expenditure of "
            "roughly $5bn for 2026 for its AI data centers.")
    assert [(f.companies, f.period) for f in extract_facts(text, date(2026, 2, 10))] == [(("Nebius",), "2026")]


def test_guided_to_a_figure_after_capex_words_is_guidance() -> None:
    """"Alphabet has guided to between $175bn and $185bn for 2026" after a sentence about capital spending."""
    text = ("The cloud groups keep raising their capital spending. Alphabet has guided to between $175bn and $185bn "
            "for 2026, roughly double last year's outlay.")
    facts = extract_facts(text, date(2026, 2, 10))
    assert [(f.companies, f.amount_low, f.period) for f in facts] == [(("Alphabet",), 175e9, "2026")]


def test_the_payer_of_a_supply_deal_is_the_buyer() -> None:
    """"Microsoft will pay it roughly $14bn to supply 200,000 chips": the payer buys; the supplier ("it") does not."""
    text = ("Nscale, a London-based neocloud, said Microsoft will pay it roughly $14bn to supply about 200,000 Nvidia "
            "GB300 chips across its data centers.")
    assert [f.companies for f in extract_facts(text, date(2026, 2, 10))] == [("Microsoft",)]


def test_the_payer_in_a_relative_clause_after_the_figure_spends_it() -> None:
    """"the $17.4bn that Microsoft agreed to pay Nebius": Microsoft spends, not the article's subject (Meta)."""
    text = ("Meta signed a five-year deal for GPU capacity in Nebius data centers. The Meta deal comes on top of the "
            "$17.4bn that Microsoft agreed to pay Nebius last September for capacity at its site in New Jersey.")
    facts = extract_facts(text, date(2026, 2, 10))
    assert ("Microsoft",) in [f.companies for f in facts] and all(f.companies != ("Meta",) for f in facts)


def test_it_refers_to_the_company_that_opens_the_sentence_before() -> None:
    """"CoreWeave, which …, raised $2bn …, with Nvidia among the investors. It plans to spend …": "It" is the subject
    that opens the sentence before, not the company of its last clause."""
    text = ("CoreWeave, which started out mining crypto, raised $2bn in a debt deal last month, with Nvidia among the "
            "lenders. It has said it intends to spend about $3bn on GPUs for its data centers in Texas by 2027.")
    assert [f.companies for f in extract_facts(text, date(2026, 2, 10))] == [("CoreWeave",)]


def test_a_list_that_opens_the_sentence_before_is_no_single_subject() -> None:
    """"Microsoft and Meta agreed …. They will spend …": a sentence opening on two names keeps both."""
    text = ("Microsoft and Meta agreed to build AI data centers together in Ohio. They will spend $10 billion on the "
            "campus over five years.")
    (fact,) = extract_facts(text, date(2026, 2, 10))
    assert set(fact.companies) == {"Microsoft", "Meta"}


def test_it_after_a_sentence_opening_on_a_descriptor_is_the_company_described() -> None:
    """"The cloud group ended the quarter with ..., and it has since added contracts with OpenAI and Meta. It has
    forecast capital expenditures of ...": "It" is the cloud group (CoreWeave), not its customers."""
    text = ("CoreWeave shares fell 4% on Thursday. The cloud group ended the second quarter with a revenue backlog of "
            "$30.1 billion, and it has since added contracts with OpenAI and Meta. It has forecast capital "
            "expenditures of $20 billion to $23 billion for this year.")
    facts = extract_facts(text, date(2025, 10, 30))
    assert [f.companies for f in facts if f.amount_low == 20e9] == [("CoreWeave",)]


def test_a_home_city_is_not_a_spender_and_a_model_maker_is_a_lab() -> None:
    """"The Paris-based model maker said it will spend about €2.5bn": the lab the article is about (Mistral), not
    France, which "Paris" names elsewhere."""
    text = ("Mistral AI has rented the computers it trains on. The Paris-based model maker said today that it will "
            "spend about €2.5bn on a 200-megawatt AI data-center campus south of Paris.")
    assert [f.companies for f in extract_facts(text, date(2026, 2, 10))] == [("Mistral",)]


def test_a_combined_cycle_plant_is_no_combined_sector_figure() -> None:
    """"spending about $1.2 billion on a combined-cycle gas plant ... to feed its supercomputer": "combined-cycle" is a
    kind of power plant, not the "combined" of a sector's sum."""
    text = ("xAI is spending about $1.2 billion on a combined-cycle gas plant and batteries to feed its Colossus 2 "
            "supercomputer.")
    assert [f.companies for f in extract_facts(text, date(2026, 2, 10))] == [("xAI",)]
