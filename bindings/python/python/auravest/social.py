"""The community's text rules, for a client to check a post before sending it.

The community is pseudonymous and shares performance only in percentages:
:func:`wealth_warnings` finds money amounts that would disclose wealth
(``$12,500``, ``40 grand``, ``I put 10k into NVDA``) with their spans, so an
editor can highlight them; :func:`entities` finds cashtags, mentions and
links; :func:`render_html` renders the safe markdown subset; and
:func:`check_alias` applies the alias rules.

>>> from auravest import social
>>> [w.text for w in social.wealth_warnings("I put $12,500 into $NVDA")]
['$12,500']
>>> [c.symbol for c in social.cashtags("Long $nvda and $AAPL")]
['NVDA', 'AAPL']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from . import _native
from ._records import Record, decimal

__all__ = [
    "Cashtag",
    "Entities",
    "Link",
    "Mention",
    "Span",
    "WealthWarning",
    "cashtags",
    "check_alias",
    "compound_percent",
    "entities",
    "guidelines",
    "performance_share",
    "render_html",
    "wealth_warnings",
]


@dataclass(frozen=True)
class Span(Record):
    """Where something is in a text: ``start``/``end`` index the Python
    string (``text[span.start:span.end]``); ``byte_start``/``byte_end`` the
    UTF-8 bytes the SDK reports."""

    start: int
    end: int
    byte_start: int
    byte_end: int

    @classmethod
    def _from(cls, text_bytes: bytes, d: Mapping[str, Any]) -> Span:
        b0, b1 = int(d["start"]), int(d["end"])
        start = len(text_bytes[:b0].decode("utf-8"))
        return cls(start, start + len(text_bytes[b0:b1].decode("utf-8")), b0, b1)


@dataclass(frozen=True)
class WealthWarning(Record):
    """A money amount found in a text, what marked it as money, and the message to show."""

    span: Span
    text: str
    currency: str | None
    value: Decimal | None
    cue: str
    message: str


@dataclass(frozen=True)
class Cashtag(Record):
    """A ``$TICKER`` mention (the symbol normalised to upper case)."""

    symbol: str
    span: Span


@dataclass(frozen=True)
class Mention(Record):
    """An ``@alias`` mention."""

    alias: str
    span: Span


@dataclass(frozen=True)
class Link(Record):
    """A link (http/https only)."""

    url: str
    span: Span


@dataclass(frozen=True)
class Entities(Record):
    """Everything a post links to."""

    cashtags: tuple[Cashtag, ...]
    mentions: tuple[Mention, ...]
    links: tuple[Link, ...]


def check_alias(alias: str, *, generated: bool = False) -> str:
    """Returns ``alias`` if a member may pick it; raises
    :class:`~auravest.exceptions.InvalidInput` (``field="alias"``) naming
    the rule broken (looks like an e-mail or a phone number, length,
    characters, reserved or blocked words, default-shaped)."""
    return _native.social_check_alias(alias, generated)


def wealth_warnings(text: str) -> list[WealthWarning]:
    """Money amounts in ``text`` that would disclose wealth, most telling first."""
    raw = text.encode("utf-8")
    out = []
    for entry in _native.social_wealth_warnings(text):
        w = entry["warning"]
        out.append(
            WealthWarning(
                span=Span._from(raw, w["span"]),
                text=str(w["text"]),
                currency=w.get("currency"),
                value=decimal(w.get("value")),
                cue=str(w["cue"]),
                message=str(entry["message"]),
            )
        )
    return out


def entities(text: str) -> Entities:
    """Cashtags, mentions and links in ``text``, with their spans."""
    raw = text.encode("utf-8")
    d = _native.social_entities(text)
    return Entities(
        cashtags=tuple(Cashtag(str(c["symbol"]), Span._from(raw, c["span"])) for c in d["cashtags"]),
        mentions=tuple(Mention(str(m["alias"]), Span._from(raw, m["span"])) for m in d["mentions"]),
        links=tuple(Link(str(k["url"]), Span._from(raw, k["span"])) for k in d["links"]),
    )


def cashtags(text: str) -> list[Cashtag]:
    """The cashtags of ``text``."""
    return list(entities(text).cashtags)


def render_html(text: str, format: Literal["markdown", "plain_text"] | None = None) -> str:
    """``text`` as safe HTML: the markdown subset (default) or plain text;
    raw HTML is escaped, links are http/https only."""
    return _native.social_render_html(text, format)


def performance_share(
    period: Mapping[str, Any], return_pct: Decimal | str | float, *, risk: str | None = None
) -> dict[str, Any]:
    """A performance share as the community shows it, in percent only.

    ``period``: ``{"kind": "month", "year": 2024, "month": 5}`` (and the
    other period kinds of the SDK). Raises InvalidInput outside the range
    the community accepts.
    """
    return dict(_native.social_performance_share(dict(period), str(return_pct), risk))


def compound_percent(returns_pct: Sequence[Decimal | str | float]) -> Decimal | None:
    """Compounds period returns given in percent (0 for none); None when the result overflows."""
    out = _native.social_compound_percent([str(r) for r in returns_pct])
    return None if out is None else Decimal(out)


def guidelines() -> list[dict[str, Any]]:
    """The community guidelines, in order."""
    return [dict(g) for g in _native.social_guidelines()]
