"""Families of spurious facts on real news: stakes in companies, prices and rates, liabilities, side initiatives."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.extract.facts import extract_facts

PUBLISHED = date(2026, 3, 2)


@pytest.mark.parametrize("text", [
    "Nvidia said it may put as much as $30bn into Anthropic in tranches while the lab rolls out 4 GW of its racks.",
    "Amazon has poured $12 billion into the AI start-up since 2023.",
    "The software group committed more than $6 billion to the model maker last month.",
    "SoftBank's fresh $25 billion investment in OpenAI lifts its total bet on the lab.",
    "Microsoft invested $3 billion in G42 to deepen its Gulf partnership.",
    # between companies the registry does not know, named like companies
    "BigCloud will invest $20bn in ModelLab, which will spend it on GPUs for its data centers.",
    "Voltaris will invest up to $20 billion in Cerulean Labs as the lab expands its data centers.",
    "Nvidia is investing a combined $4 billion in two companies developing photonics technologies, which speed up "
    "AI data centers.",
    # a share of a funding round
    "Nvidia also joined the AI lab's funding round for its data centers, investing $30 billion.",
    "SoftBank led the Series C round, investing $2 billion so the lab can build data centers.",
    "Nvidia has said it will invest up to $100bn in OpenAI, in tranches of $10bn, as the lab deploys ten gigawatts of "
    "Nvidia systems in its data centers.",
    "In September the lab closed a €1.7 billion Series C led by ASML to pay for GPUs in its data centers.",
    # money obtained
    "Last week the neocloud secured $8.5 billion in a GPU-backed deal to build data centers.",
])
def test_stakes_in_companies_are_not_facts(text: str) -> None:
    """Money put into another company (a stake, a staged investment) is never a spending fact."""
    assert extract_facts(text, PUBLISHED) == []


def test_investment_in_a_place_is_still_a_fact() -> None:
    """Money an unregistered company spends in a region ("in Louisiana") is not a stake."""
    facts = extract_facts("Voltaris will invest $12 billion in Louisiana to build AI data centers.", PUBLISHED)
    assert [f.amount for f in facts] == [12e9]


def test_compute_bought_from_a_company_is_still_a_fact() -> None:
    """Buying capacity from a cloud company is a purchase commitment, not a stake."""
    facts = extract_facts("Meta will invest $9 billion in CoreWeave capacity over four years.", PUBLISHED)
    assert [(f.companies, f.amount) for f in facts] == [(("Meta",), 9e9)]


def test_own_project_is_not_a_stake() -> None:
    """Money for a company's own infrastructure project named like a company ("Stargate") is spending."""
    facts = extract_facts("SoftBank and OpenAI will invest $400 billion in Stargate sites in Texas.", PUBLISHED)
    assert [f.amount for f in facts] == [400e9]


@pytest.mark.parametrize("text", [
    "A gigawatt of AI capacity now costs roughly $45bn per gigawatt to build, Bernstein says.",
    "Microsoft is burning $300m a day on new data centres, one analyst reckons.",
    "Each rack of Nvidia servers runs about $3 million apiece for cloud providers.",
])
def test_prices_and_rates_are_not_facts(text: str) -> None:
    """A price per unit or a daily rate is not an amount spent over a period."""
    assert extract_facts(text, PUBLISHED) == []


def test_yearly_spending_is_not_a_rate() -> None:
    """"$N billion each year" on data centers is still spending."""
    facts = extract_facts("Alphabet plans to spend $60 billion each year on data centers through 2028.", PUBLISHED)
    assert [f.amount for f in facts] == [60e9]


@pytest.mark.parametrize("text", [
    "Oracle's total liabilities could climb to $150bn as it builds data centers for its cloud.",
    "CoreWeave carries $25 billion of leases on data center buildings.",
    "A jury ordered Meta to pay $200 million in damages over its data center permits.",
    "OpenAI will put $40 million into a fund for nonprofits using AI.",
])
def test_liabilities_damages_and_side_initiatives_are_not_facts(text: str) -> None:
    """Liabilities, leases, damages and philanthropic funds are not AI-infrastructure spending."""
    assert extract_facts(text, PUBLISHED) == []


def test_finance_leases_inside_capex_still_count() -> None:
    """Capex "including finance leases" is still the company's capital spending."""
    text = "Meta expects 2026 capital expenditures, including payments on finance leases, of $120 billion."
    assert [f.amount for f in extract_facts(text, PUBLISHED)] == [120e9]


def test_related_stories_glued_to_a_paragraph_are_not_text() -> None:
    """A "Read more ... news" list of other headlines glued onto a paragraph gives no facts."""
    text = ("The trial opened on Monday.Read more CNBC tech newsMeta says it will spend $600 billion on US data "
            "centers by 2028")
    assert extract_facts(text, PUBLISHED) == []


@pytest.mark.parametrize("text", [
    "Meta has put $70 million into two super PACs backing candidates friendly to AI data centers.",
    "AI companies donated at least $90 million to campaigns ahead of votes on data center rules.",
])
def test_political_money_is_not_a_fact(text: str) -> None:
    """Money for super PACs, donations and campaigns is not AI-infrastructure spending."""
    assert extract_facts(text, PUBLISHED) == []


@pytest.mark.parametrize("text", [
    "Meta will spend $250 million to settle the shareholder lawsuit. The case dragged on for years.",
    "Microsoft plans to invest $2 billion in a new campus for its sales staff in Redmond.",
    "Alphabet committed $692 million to Sundar Pichai's new pay plan, the filing shows.",
])
def test_figures_without_ai_infrastructure_nearby_are_not_facts(text: str) -> None:
    """A spending figure whose sentence and neighbours name no AI infrastructure is no fact."""
    assert extract_facts(text, PUBLISHED) == []


def test_a_neighbouring_sentence_gives_the_infrastructure_context() -> None:
    """The sentence before a figure can name the data centres it pays for."""
    text = ("Microsoft is racing to add data centers across Wisconsin. "
            "The company will spend $7 billion on the effort next year.")
    assert [(f.companies, f.amount) for f in extract_facts(text, PUBLISHED)] == [(("Microsoft",), 7e9)]


def test_a_deal_between_a_cloud_supplier_and_a_lab_needs_no_infrastructure_word() -> None:
    """A deal between a supplier of infrastructure and a lab is a compute deal even when no neighbour says so."""
    text = "Oracle signed an agreement with OpenAI worth $300 billion, the people said. Shares rose 30%."
    assert [(f.companies, f.amount) for f in extract_facts(text, PUBLISHED)] == [(("OpenAI",), 300e9)]


def test_a_company_named_by_its_chips_is_not_infrastructure_bought() -> None:
    """Buying assets from "the chip startup" is a takeover, not spending on chips."""
    text = ("Nvidia's earnings call is the first since it purchased assets from the AI chip startup in late December "
            "for about $20 billion. Nvidia sells GPUs for data centers.")
    assert extract_facts(text, PUBLISHED) == []


def test_the_firm_behind_a_cited_report_gives_a_market_estimate() -> None:
    """After "according to a report by KPMG", "the firm projects" is a market estimate, not a company's spending."""
    text = ("Airtel's data center unit Nxtra raised $1 billion from Carlyle. "
            "India's installed data center capacity will pass 2GW by 2026, according to a December report by KPMG. "
            "The firm projects capacity to rise to 8GW by 2030, generating an estimated $30 billion in capital "
            "expenditure.")
    assert [(f.companies, f.amount) for f in extract_facts(text, PUBLISHED)] == [(("hyperscalers",), 30e9)]


def test_production_capacity_is_not_ai_infrastructure_context() -> None:
    """"capacity" of a factory gives no AI-infrastructure context; "AI gigafactories" do."""
    rockets = "The Pentagon will invest $1 billion in L3Harris to expand production capacity of rocket motors."
    gigafactories = "Germany will spend EUR 20bn on AI gigafactories."
    assert extract_facts(rockets, PUBLISHED) == []
    assert [(f.companies, f.amount) for f in extract_facts(gigafactories, PUBLISHED)] == [(("Germany",), 20e9)]


def test_investment_a_country_attracts_is_not_spending() -> None:
    """A country aiming to attract investment spends nothing itself."""
    text = "India is aiming to attract $200 billion in AI infrastructure investment over the next two years."
    assert extract_facts(text, PUBLISHED) == []


def test_money_for_power_generation_alone_is_not_ai_infrastructure() -> None:
    """A figure to expand solar generation and storage is not AI capex even when its sentence counts gigawatts."""
    text = ("Reliance is building AI data centers across the country. The company, whose 12-gigawatt solar park "
            "is half built, said it will also invest $9 billion to expand solar generation and battery storage.")
    assert extract_facts(text, date(2026, 2, 5)) == []


def test_power_for_data_centers_is_still_ai_infrastructure() -> None:
    """A figure for power generation that its sentence ties to data centers stays a fact."""
    text = "Meta will invest $2 billion in solar generation to power its AI data centers in Texas."
    assert [f.amount for f in extract_facts(text, date(2026, 2, 5))] == [2e9]


def test_size_of_a_market_is_not_spending() -> None:
    """"called robotics a $40 trillion market" sizes a market; nobody spends it."""
    text = "Huang called AI data centers and robotics a $40 trillion market at the conference."
    assert extract_facts(text, date(2026, 3, 20)) == []


@pytest.mark.parametrize("text", [
    "Lumo Cloud launched a $2 billion clean energy innovation fund for AI data center suppliers.",
    "The plan would set up a dedicated €1 billion fund for AI compute pilots.",
    "The lab has committed up to $50 million in usage credits for researchers on its AI compute.",
])
def test_fund_sizes_and_credits_are_not_facts(text: str) -> None:
    """A fund's size or credits handed out is no money spent on AI infrastructure."""
    assert extract_facts(text, PUBLISHED) == []


def test_money_spent_to_fund_construction_is_still_a_fact() -> None:
    """"$N to fund data center construction" is spending: "fund" is the verb of its purpose."""
    (fact,) = extract_facts("Microsoft will spend $9 billion to fund AI data center construction in Ohio.", PUBLISHED)
    assert fact.amount == 9e9


@pytest.mark.parametrize("text", [
    "Meta grew fast. The county board voted down a proposed $2 billion AI data center project last month.",
    "Lumo Media plans to cut $4 billion by eliminating duplicate technology infrastructure.",
    "Nvidia paid $15 billion to license the AI chip startup's technology.",
    "Hynix plans to secure more than 90 trillion won in net cash for investments in AI memory chips.",
    "Xiaomi will invest at least 40 billion yuan over ten years in its own chip development.",
    "Nvidia's [$4 billion investment](https://example.com/a) in the chipmaker helps its AI chip packaging.",
])
def test_rejected_projects_savings_licences_cash_and_development_are_not_facts(text: str) -> None:
    """A rejected project, a cost cut, a licence fee, net cash, R&D and a linked stake are no spending facts."""
    assert extract_facts(text, PUBLISHED) == []


@pytest.mark.parametrize("text", [
    "Banks are in talks to lend $12 billion for an Anthropic data center backed by Google.",
    "Nvidia scales back a $200 billion OpenAI data center guarantee.",
    "Nvidia will invest $2 billion in Lumo Energy under an OpenAI data center deal.",
])
def test_loans_guarantees_and_stakes_in_energy_companies_are_not_facts(text: str) -> None:
    """Debt lent or guaranteed for a data centre and a stake in an energy company are never spending (policy rule 2)."""
    assert extract_facts(text, PUBLISHED) == []


@pytest.mark.parametrize("text", [
    "Nvidia's chief said he expects purchase orders for Blackwell and Rubin chips to reach $900 billion through 2027.",
    "Nvidia announced a new inference chip and $900 billion of expected Blackwell and Rubin orders through 2027.",
])
def test_a_sellers_order_book_is_not_a_fact(text: str) -> None:
    """Orders a chipmaker expects to book are its revenue to come, nobody's spending (families list, point 3)."""
    assert extract_facts(text, PUBLISHED) == []


def test_an_order_placed_by_a_buyer_is_still_a_fact() -> None:
    """"Anthropic had placed a $N chip order": the buyer's purchase stays a fact."""
    (fact,) = extract_facts("In March Huang said Anthropic had placed a $9 billion custom AI chip order.", PUBLISHED)
    assert fact.companies == ("Anthropic",)


@pytest.mark.parametrize("text", [
    "Amazon plans to invest $18 billion in Ohio and $9 billion in Georgia, or $27 billion in total, on AI data "
    "centers.",
    "Amazon plans to invest $18 billion in Ohio and $9 billion in Georgia, for a total of $27 billion, on AI data "
    "centers.",
])
def test_total_of_figures_the_sentence_lists_is_not_a_fact(text: str) -> None:
    """A sum of the figures just listed is the article's arithmetic (policy rule 3): the two parts are the facts."""
    assert [f.amount for f in extract_facts(text, PUBLISHED)] == [18e9, 9e9]


@pytest.mark.parametrize("text", [
    "The PIF has capitalised it with around $10bn so far, a sum that counts as the fund's equity.",
    "Samsung has pledged 450 trillion won of domestic investment over five years, most of it for new semiconductor "
    "lines in Pyeongtaek, and SK Hynix's planned fab cluster in Yongin will cost 600 trillion won.",
    "Tata Electronics' fab at Dholera, budgeted at ₹91,000 crore, gets a lot of airtime in Delhi.",
    "The government's ¥10 trillion package for AI and semiconductors is mostly going to chipmaking.",
])
def test_equity_and_chip_lines_are_not_ai_infrastructure_spending(text: str) -> None:
    """Capital put into a company ("capitalised it with $10bn") and chip production lines or a fab cluster (policy
    rule 5) are not AI-infrastructure spending, even beside data-centre words elsewhere in the article."""
    assert extract_facts(text + " The data centres of the region need power.", date(2026, 2, 1)) == []


@pytest.mark.parametrize("text", [
    "Jensen Huang likes to say that a gigawatt of AI capacity costs about $50bn to build and equip, of which perhaps "
    "$35bn ends up with Nvidia.",
    "Each gigawatt of data-centre capacity costs perhaps $35bn to fill with chips.",
    "Executives estimate that a gigawatt of AI capacity, fully equipped with the latest Nvidia systems, costs around "
    "$50 billion.",
    "- $50 billion: what an industry rule of thumb says it costs to build and fill one gigawatt of AI data-center "
    "capacity.",
    "By Reuters' count, Alibaba's capital spending on AI data centres over the past four quarters comes to roughly "
    "100 billion yuan.",
    "On our calculations, the four hyperscalers' data-centre capex came to $410bn last year.",
    "SoftBank sold its entire Nvidia holding last year for $5.8bn to help pay for its share of the data-centre "
    "venture.",
    "Add up the announced Gulf data-centre projects and the total comfortably exceeds $50bn.",
    "Adding those together, the four hyperscalers will pour some $650bn into AI data centres this year.",
    "Those three compute deals alone come to nearly $590bn of AI data-center capacity.",
    "The quarter brought Tencent's capital spending on AI servers for the past four quarters to more than 90 billion "
    "yuan.",
])
def test_unit_costs_own_sums_and_sale_prices_are_not_facts(text: str) -> None:
    """A unit cost stated before its figures, a sum the writer computes ("By Reuters' count", "Add up ... and the
    total", the last four quarters added up), the price of a sale."""
    assert extract_facts(text, date(2026, 2, 1)) == []


def test_a_long_cut_by_a_hedged_figure_is_a_change() -> None:
    """"plans to cut the budget of the U.S. Cybersecurity and Infrastructure Security Agency by at least $707 million":
    a change ten words after its verb, hedged with "at least", is no level of spending."""
    text = ("The Trump administration is planning to cut the budget of the U.S. Cybersecurity and Infrastructure "
            "Security Agency by at least $707 million for 2027.")
    assert extract_facts(text, date(2026, 4, 7)) == []


@pytest.mark.parametrize("text", [
    "Taken together, the two groups laid out about 44.5 billion yuan on AI data centres in the three months.",
    "Amazon will build more data centres in Mississippi. Together with Tuesday's announcement, that puts the "
    "company's stated commitments to data centres in the state at about $24 billion.",
])
def test_totals_the_writer_adds_up_are_not_facts(text: str) -> None:
    """"Taken together, ...", "Together with ..., that puts ... at $24 billion": sums the article computes (rule 3)."""
    assert extract_facts(text, date(2025, 11, 5)) == []


def test_a_follow_on_investment_in_a_lab_is_a_stake() -> None:
    """"its $22.5 billion follow-on investment in the ChatGPT maker": equity, whatever stands before "investment"."""
    text = ("SoftBank completed its $22.5 billion follow-on investment in the ChatGPT maker in December, to pay for "
            "more data centres.")
    assert extract_facts(text, date(2026, 2, 10)) == []


@pytest.mark.parametrize("text", [
    "Demand for AI data centers is soaring. TSMC has committed more than $65 billion to U.S. manufacturing in recent "
    "years, as it produces chips for its clients.",
    "Quantum machines may one day sit in AI data centers. Governments are stepping up their investments too, with "
    "China leading with $18 billion in public investment in quantum technology.",
])
def test_chip_manufacturing_and_quantum_money_is_not_ai_infrastructure(text: str) -> None:
    """Chips made for others and quantum machines are other industries (policy rule 5), even next to a sentence
    about AI data centers."""
    assert extract_facts(text, PUBLISHED) == []


@pytest.mark.parametrize("text", [
    "G42, OpenAI and Oracle are building a 5GW AI campus in Abu Dhabi. Filling a gigawatt of data-centre capacity "
    "with top-end accelerators costs something like $35bn, by one industry estimate.",
    "Jensen Huang puts the price of a gigawatt of AI capacity at $50bn-60bn, of which roughly $35bn goes to Nvidia.",
    "Humain is building AI data centres for the kingdom. The PIF has supplied the seed capital, an equity injection "
    "that bankers put at about $8bn.",
    "Separately, Nvidia pledged £2bn to back British AI start-ups, which has nothing to do with data centres at all.",
])
def test_unit_costs_estimates_and_start_up_money_are_not_facts(text: str) -> None:
    """The cost of one gigawatt, an estimate "put at" a figure, and money to back start-ups are no spending."""
    assert extract_facts(text, PUBLISHED) == []
