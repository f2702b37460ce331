"""Amounts, dates and company lists formatted for people ($80.0B, CNY 50.0B)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


def fmt_usd(value: float | None) -> str:
    """$80.0B style: compact US dollars, or an en dash when unknown."""
    return fmt_money(value, "USD")


def fmt_money(value: float | None, currency: str | None) -> str:
    """A compact amount in its currency: $80.0B, CNY 50.0B, EUR 350M."""
    if value is None:
        return "\u2013"
    sign = "-" if value < 0 else ""
    value = abs(value)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= div:
            number = f"{value / div:.1f}{suffix}"
            break
    else:
        number = f"{value:.0f}"
    prefix = "$" if currency == "USD" else f"{currency or ''} "
    return f"{sign}{prefix}{number}"


def fmt_amount(row: dict[str, Any]) -> str:
    """A fact's amount as stated: a point figure, or a range low-high, with its qualifier."""
    currency = row.get("currency")
    if row.get("amount") is None and row.get("amount_low") is not None:
        text = f"{fmt_money(row['amount_low'], currency)}\u2013{fmt_money(row.get('amount_high'), currency)}"
    else:
        text = fmt_money(row.get("amount"), currency)
    hedges = {"approx": "~", "at_least": "\u2265", "more_than": ">", "up_to": "\u2264"}
    qualifier = hedges.get(row.get("qualifier") or "")
    return f"{qualifier or ''}{text}"


def fmt_date(value: Any) -> str:
    """YYYY-MM-DD of a date or timestamp, or an en dash."""
    return value.strftime("%Y-%m-%d") if value is not None else "\u2013"


def companies(value: Any) -> str:
    return ", ".join(value) if value else "\u2013"
