"""Conversion to USD with the monthly average rates in fx_rates.csv."""

from __future__ import annotations

import csv
from datetime import date
from functools import lru_cache
from pathlib import Path

_RATES_FILE = Path(__file__).parent / "fx_rates.csv"


@lru_cache(maxsize=1)
def _rates() -> dict[str, dict[str, float]]:
    """Return {currency: {"YYYY-MM": units per USD}} from the shipped table."""
    table: dict[str, dict[str, float]] = {}
    with _RATES_FILE.open(encoding="utf-8") as handle:
        rows = csv.reader(line for line in handle if not line.startswith("#"))
        next(rows)  # header
        for month, currency, per_usd in rows:
            table.setdefault(currency, {})[month] = float(per_usd)
    return table


def per_usd(currency: str, on: date | None) -> float | None:
    """Units of `currency` per USD in the month of `on` (the last known month when outside the table)."""
    if currency == "USD":
        return 1.0
    months = _rates().get(currency)
    if not months:
        return None
    keys = sorted(months)
    if on is None:
        return months[keys[-1]]
    key = f"{on.year}-{on.month:02d}"
    if key in months:
        return months[key]
    return months[keys[0]] if key < keys[0] else months[keys[-1]]


def to_usd(amount: float | None, currency: str, on: date | None) -> float | None:
    """Convert an amount to USD at the month's average rate; None when the rate is unknown."""
    if amount is None:
        return None
    rate = per_usd(currency, on)
    return None if rate is None else round(amount / rate, -4) if amount >= 1e6 else amount / rate
