from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from auravest import Portfolio, bias, risk
from auravest.exceptions import InvalidInput

TX = """date,type,symbol,quantity,price,fee,currency
2024-01-02,deposit,,,50000,0,USD
2024-01-02,buy,NVDA,60,480,1,USD
2024-01-02,buy,VTI,40,236,1,USD
2024-02-20,sell,VTI,20,220,1,USD
"""
PRICES = pl.DataFrame(
    {
        "date": [dt.date(2024, 1, 2), dt.date(2024, 1, 22), dt.date(2024, 2, 5), dt.date(2024, 2, 16), dt.date(2024, 2, 20), dt.date(2024, 3, 1)],
        "NVDA": [480.0, 560, 650, 720, 700, 820],
        "VTI": [236.0, 240, 230, 222, 220, 245],
    }
)


def test_concentration_is_flagged_with_evidence(sample_answers: dict[str, int]) -> None:
    p = Portfolio.from_csv(TX, today="2024-03-01")
    profile = risk.score(sample_answers, version="2026.1")
    a = bias.analyze(p, PRICES, profile=profile, benchmark="VTI", goals=[{"name": "House", "target": "100000", "by": "2030-01-01", "monthly_contribution": "500"}])
    kinds = {n.kind for n in a.findings}
    assert "concentration" in kinds
    conc = next(n for n in a.findings if n.kind == "concentration")
    assert conc.subject == "NVDA" and conc.evidence and conc.explanation and conc.action
    assert a.valuation.as_of == dt.date(2024, 3, 1)
    assert len(a.nudges) <= len(a.findings)
    [goal] = a.goals
    assert goal.name == "House" and 0 <= goal.progress <= 1
    assert a.badges and a.checklist
    assert a.to_dict()["valuation"]["as_of"] == dt.date(2024, 3, 1)


def test_goal_errors_name_their_position() -> None:
    p = Portfolio.from_csv(TX, today="2024-03-01")
    goals = [{"name": "ok", "target": "1000"}, {"name": "bad", "target": "-5"}]
    with pytest.raises(InvalidInput) as err:
        bias.analyze(p, PRICES, goals=goals)
    assert err.value.line == 2 and err.value.field == "target"  # the bad goal's 1-based position
    assert err.value.kind == "goal_target_not_positive"


def test_unknown_benchmark_and_config_round_trip() -> None:
    p = Portfolio.from_csv(TX, today="2024-03-01")
    with pytest.raises(InvalidInput) as err:
        bias.analyze(p, PRICES, benchmark="SPY")
    assert err.value.kind == "unknown_benchmark"
    cfg = bias.default_config()
    a = bias.analyze(p, PRICES, config=cfg)
    assert a.findings == bias.analyze(p, PRICES).findings


def test_sample_portfolio_nudges(sample_transactions_path: Path, sample_prices: pl.DataFrame) -> None:
    p = Portfolio.from_csv(sample_transactions_path, today="2018-04-11")
    a = bias.analyze(p, sample_prices, benchmark="SPY")
    assert a.valuation.value > 0
    assert a.findings, "a concentrated 2015-2018 sample portfolio has findings"
    for n in a.findings:
        assert n.severity in {"info", "warning", "critical"}
