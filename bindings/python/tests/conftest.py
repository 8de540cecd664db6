"""Shared fixtures: the repository's sample data and the team's shared data."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "examples" / "data"
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def sample_prices() -> pl.DataFrame:
    """Daily adjusted closes of 7 tickers, 2015-01-02 to 2018-04-11."""
    return pl.read_csv(SAMPLE / "prices.csv", try_parse_dates=True)


@pytest.fixture(scope="session")
def sample_transactions_path() -> Path:
    return SAMPLE / "transactions.csv"


@pytest.fixture(scope="session")
def sample_answers() -> dict[str, int]:
    return dict(json.loads((SAMPLE / "answers.json").read_text())["answers"])


@pytest.fixture(scope="session")
def stock_prices() -> pl.DataFrame:
    """PyPortfolioOpt's 20-ticker test prices, 1989-2018 (../shared/data)."""
    return pl.read_csv(SHARED / "stock_prices.csv", try_parse_dates=True)
