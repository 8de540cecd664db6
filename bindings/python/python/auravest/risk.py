"""The risk questionnaire and its scoring.

>>> from auravest import risk
>>> q = risk.questionnaire()
>>> answers = {question.id: len(question.options) // 2 for question in q.questions}
>>> profile = risk.score(answers)
>>> profile.category in {c.name for c in risk.categories()}
True

The profile's category caps the stock share of every recommendation
(:func:`auravest.optimize.recommend`) and sets the target mix the nudges
check drift against (:func:`auravest.bias.analyze`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import _native
from ._records import Record

__all__ = [
    "Allocation",
    "AnswerOption",
    "Category",
    "Question",
    "Questionnaire",
    "RiskProfile",
    "categories",
    "questionnaire",
    "score",
    "versions",
]


@dataclass(frozen=True)
class Allocation(Record):
    """A model allocation: fractions in stocks, bonds and cash (summing to 1)."""

    stocks: float
    bonds: float
    cash: float

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Allocation:
        return cls(stocks=float(d["stocks"]), bonds=float(d["bonds"]), cash=float(d["cash"]))

    def __str__(self) -> str:
        return f"{self.stocks:.0%} stocks, {self.bonds:.0%} bonds, {self.cash:.0%} cash"


@dataclass(frozen=True)
class AnswerOption(Record):
    """One option of a question; an answer is the option's index."""

    text: str


@dataclass(frozen=True)
class Question(Record):
    """One question: a stable id, the text to show and its options (least to most risk-seeking)."""

    id: str
    text: str
    options: tuple[AnswerOption, ...]


@dataclass(frozen=True)
class Questionnaire(Record):
    """A versioned questionnaire."""

    version: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class RiskProfile(Record):
    """The result of scoring: the category, its model allocation and why.

    ``score`` is the tolerance score (0-100), ``capacity_score`` the
    capacity score (0-100); ``capped_by`` lists what lowered the category
    below the tolerance band's (``capacity``, ``horizon``).
    """

    version: str
    score: int
    capacity_score: int
    capped_by: tuple[str, ...]
    category: str
    allocation: Allocation
    rationale: str

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> RiskProfile:
        return cls(
            version=str(d["version"]),
            score=int(d["score"]),
            capacity_score=int(d["capacity_score"]),
            capped_by=tuple(str(c) for c in d["capped_by"]),
            category=str(d["category"]),
            allocation=Allocation._from(d["allocation"]),
            rationale=str(d["rationale"]),
        )

    def _native(self) -> dict[str, Any]:
        """The profile in the SDK's own form (what the other modules take)."""
        return self.to_dict()


@dataclass(frozen=True)
class Category(Record):
    """A risk category: its name, label, tolerance-score band and model allocation."""

    name: str
    label: str
    score_band: tuple[int, int]
    allocation: Allocation


def questionnaire(version: str | None = None) -> Questionnaire:
    """The questionnaire of ``version`` (the current one by default)."""
    d = _native.risk_questionnaire(version)
    return Questionnaire(
        version=str(d["version"]),
        questions=tuple(
            Question(
                id=str(q["id"]),
                text=str(q["text"]),
                options=tuple(AnswerOption(text=str(o["text"])) for o in q["options"]),
            )
            for q in d["questions"]
        ),
    )


def versions() -> list[str]:
    """Every questionnaire version the SDK can score, oldest first."""
    return list(_native.risk_versions())


def score(answers: Mapping[str, int], version: str | None = None) -> RiskProfile:
    """Scores answers (question id to chosen option index).

    ``version`` is the questionnaire the answers were given to (the current
    one by default). Raises :class:`~auravest.exceptions.InvalidInput`
    (``field="answers"``) for a missing answer, an unknown question or an
    option out of range.
    """
    return RiskProfile._from(_native.risk_score(dict(answers), version))


def categories() -> list[Category]:
    """The five categories, most cautious first."""
    return [
        Category(
            name=str(c["name"]),
            label=str(c["label"]),
            score_band=(int(c["score_band"][0]), int(c["score_band"][1])),
            allocation=Allocation._from(c["allocation"]),
        )
        for c in _native.risk_categories()
    ]
