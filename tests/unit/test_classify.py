"""Story classification: AI-capex stories versus near misses and bad input."""

from __future__ import annotations

import pytest

from tasks.classify import classify

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
                                  "to gamers and carmakers rose. Its gross margin was 73 percent. Shares rose 3 percent.")),
    ("Saudi Aramco lifts capital spending", ("Aramco will spend $50 billion on oil and gas fields this year, "
                                             "mostly on drilling and pipelines, the company said. Crude output will rise.")),
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
