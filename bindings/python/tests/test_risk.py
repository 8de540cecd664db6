from __future__ import annotations

import pickle

import pytest

from auravest import risk
from auravest.exceptions import AuraVestError, InvalidInput


def test_questionnaire_has_questions_with_options() -> None:
    q = risk.questionnaire()
    assert q.version in risk.versions()
    assert len(q.questions) >= 8
    for question in q.questions:
        assert question.id and question.text
        assert len(question.options) >= 2


def test_score_matches_the_cli_sample(sample_answers: dict[str, int]) -> None:
    profile = risk.score(sample_answers, version="2026.1")
    assert profile.category in {c.name for c in risk.categories()}
    assert 0 <= profile.score <= 100 and 0 <= profile.capacity_score <= 100
    a = profile.allocation
    assert a.stocks + a.bonds + a.cash == pytest.approx(1.0)
    assert profile.rationale
    # The category's model allocation is the one the categories list.
    by_name = {c.name: c for c in risk.categories()}
    assert by_name[profile.category].allocation == a
    assert profile.to_dict()["allocation"]["stocks"] == a.stocks
    assert pickle.loads(pickle.dumps(profile)) == profile


def test_more_risk_seeking_answers_never_lower_the_category() -> None:
    q = risk.questionnaire()
    low = risk.score({x.id: 0 for x in q.questions})
    high = risk.score({x.id: len(x.options) - 1 for x in q.questions})
    order = [c.name for c in risk.categories()]
    assert order.index(high.category) > order.index(low.category)
    assert high.allocation.stocks > low.allocation.stocks


def test_categories_are_ordered_by_stock_share() -> None:
    cats = risk.categories()
    assert [c.name for c in cats][0] == "conservative"
    stocks = [c.allocation.stocks for c in cats]
    assert stocks == sorted(stocks)


def test_missing_answer_names_the_field(sample_answers: dict[str, int]) -> None:
    answers = dict(sample_answers)
    answers.pop("time_horizon")
    with pytest.raises(InvalidInput) as err:
        risk.score(answers, version="2026.1")
    assert err.value.field == "answers"
    assert "time_horizon" in str(err.value)
    assert isinstance(err.value, ValueError) and isinstance(err.value, AuraVestError)


def test_option_out_of_range_and_unknown_version(sample_answers: dict[str, int]) -> None:
    with pytest.raises(InvalidInput) as err:
        risk.score({**sample_answers, "risk_attitude": 99}, version="2026.1")
    assert err.value.kind == "option_out_of_range"
    with pytest.raises(InvalidInput) as err:
        risk.score(sample_answers, version="1999.9")
    assert err.value.field == "version"


def test_answers_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        risk.score({"risk_attitude": "two"})  # type: ignore[dict-item]
    assert err.value.field == "answers"
