"""Behavioural nudges with their evidence, goals, badges and the learning checklist.

:func:`analyze` runs every detector the SDK has (concentration, home bias,
performance chasing, disposition effect, overtrading, panic selling, cash
drag, allocation drift, drawdown check-ins, ...) on a portfolio and its
prices, throttles the findings into today's nudges, and reports goal
progress, badges and the checklist. The limits it checks are the same ones
:func:`auravest.optimize.recommend` builds under, so a recommendation is
never flagged by the nudges.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import _native
from ._frames import PriceInput, to_date, to_table
from ._records import Record, date, decimal
from .portfolio import Portfolio, Valuation
from .risk import RiskProfile

__all__ = [
    "Analysis",
    "Badge",
    "ChecklistItem",
    "GoalProgress",
    "Nudge",
    "analyze",
    "default_config",
]


@dataclass(frozen=True)
class Nudge(Record):
    """A finding: what it is about, how serious, the plain-language
    explanation, what the investor could do, and the figures behind it."""

    kind: str
    severity: str
    subject: str | None
    title: str
    explanation: str
    action: str
    evidence: Mapping[str, Any]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Nudge:
        return cls(
            kind=str(d["kind"]),
            severity=str(d["severity"]),
            subject=d.get("subject"),
            title=str(d["title"]),
            explanation=str(d["explanation"]),
            action=str(d["action"]),
            evidence=dict(d.get("evidence") or {}),
        )


@dataclass(frozen=True)
class GoalProgress(Record):
    """Where a goal stands: progress, whether it is on track and the projection."""

    name: str
    kind: str
    target: Decimal
    by: _dt.date | None
    current: Decimal
    progress: float
    monthly_contribution: Decimal
    expected_return: float
    on_track: bool
    projected_value: Decimal | None
    required_monthly_contribution: Decimal | None
    projected_date: _dt.date | None

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> GoalProgress:
        return cls(
            name=str(d["name"]),
            kind=str(d["kind"]),
            target=Decimal(d["target"]),
            by=date(d.get("by")),
            current=Decimal(d["current"]),
            progress=float(d["progress"]),
            monthly_contribution=Decimal(d["monthly_contribution"]),
            expected_return=float(d["expected_return"]),
            on_track=bool(d["on_track"]),
            projected_value=decimal(d.get("projected_value")),
            required_monthly_contribution=decimal(d.get("required_monthly_contribution")),
            projected_date=date(d.get("projected_date")),
        )


@dataclass(frozen=True)
class Badge(Record):
    """A badge, earned or not, with its rule."""

    id: str
    title: str
    rule: str
    earned: bool


@dataclass(frozen=True)
class ChecklistItem(Record):
    """A learning-checklist item for the investor's experience level."""

    id: str
    title: str
    lesson: str
    done: bool


@dataclass(frozen=True)
class Analysis(Record):
    """The result of :func:`analyze`.

    ``nudges`` are today's (after throttling); ``findings`` every detector's
    output, most severe first.
    """

    valuation: Valuation
    nudges: tuple[Nudge, ...]
    findings: tuple[Nudge, ...]
    goals: tuple[GoalProgress, ...]
    badges: tuple[Badge, ...]
    checklist: tuple[ChecklistItem, ...]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Analysis:
        return cls(
            valuation=Valuation._from(d["valuation"]),
            nudges=tuple(Nudge._from(n) for n in d["nudges"]),
            findings=tuple(Nudge._from(n) for n in d["findings"]),
            goals=tuple(GoalProgress._from(g) for g in d["goals"]),
            badges=tuple(Badge(str(b["id"]), str(b["title"]), str(b["rule"]), bool(b["earned"])) for b in d["badges"]),
            checklist=tuple(
                ChecklistItem(str(c["id"]), str(c["title"]), str(c["lesson"]), bool(c["done"])) for c in d["checklist"]
            ),
        )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return to_date(value, "date")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def analyze(
    portfolio: Portfolio,
    prices: PriceInput,
    *,
    profile: RiskProfile | Mapping[str, Any] | None = None,
    goals: Iterable[Mapping[str, Any]] | None = None,
    as_of: _dt.date | str | None = None,
    benchmark: str | None = None,
    last_visit: _dt.date | str | None = None,
    target: Mapping[str, Any] | None = None,
    history: Iterable[Mapping[str, Any]] | None = None,
    completed_lessons: Iterable[str] | None = None,
    community_posts: int = 0,
    instruments_csv: str | None = None,
    volumes: PriceInput | None = None,
    config: Mapping[str, Any] | None = None,
) -> Analysis:
    """Runs every detector on ``portfolio`` at ``prices``.

    - ``profile``: the scored questionnaire (:func:`auravest.risk.score`);
      its model allocation is the target mix unless ``target`` is given.
    - ``goals``: dicts ``{"name", "target", "by"?, "monthly_contribution"?,
      "expected_return"?}``; a bad goal raises InvalidInput with its
      position as ``line``.
    - ``as_of``: the analysis date (the last price date by default);
      ``last_visit`` 30 days before it by default.
    - ``benchmark``: a column of ``prices`` standing for the market.
    - ``history``: nudges shown before (``{"kind", "subject", "shown_on"}``) for throttling.
    - ``config``: thresholds, as :func:`default_config` returns them.
    """
    prof = profile.to_dict() if isinstance(profile, RiskProfile) else profile
    return Analysis._from(
        _native.bias_analyze(
            portfolio._ledger,
            to_table(prices),
            as_of=to_date(as_of, "as_of"),
            profile=_plain(prof) if prof is not None else None,
            goals=_plain(list(goals)) if goals is not None else None,
            benchmark=benchmark,
            last_visit=to_date(last_visit, "last_visit"),
            target=_plain(target) if target is not None else None,
            history=_plain(list(history)) if history is not None else None,
            completed_lessons=list(completed_lessons) if completed_lessons is not None else None,
            community_posts=community_posts,
            instruments_csv=instruments_csv,
            volumes=to_table(volumes) if volumes is not None else None,
            config=_plain(config) if config is not None else None,
        )
    )


def default_config() -> dict[str, Any]:
    """The SDK's nudge thresholds and limits, as a dict ``analyze(config=...)`` accepts."""
    return dict(_native.bias_default_config())
