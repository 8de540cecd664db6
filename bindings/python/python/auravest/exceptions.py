"""The errors AuraVest raises.

Every error the SDK reports arrives as a subclass of :class:`AuraVestError`.
The message is the SDK's own; ``kind`` names the SDK's variant in snake_case (``oversold``,
``invalid_prices``, ``target_volatility_unreachable``...; ``invalid_argument``
for an argument the binding could not read), ``field`` the input
field at fault and ``line`` its line (1-based, the header being line 1) when
the SDK knows them. ``rows`` lists every bad row of an import as
``(line, field, reason)`` tuples.

>>> from auravest.exceptions import InvalidInput
>>> issubclass(InvalidInput, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "AuraVestError",
    "InvalidInput",
    "LedgerError",
    "DataUnavailable",
    "Infeasible",
    "SolverError",
    "SourceError",
    "LimitReached",
    "ModelUnavailable",
]


class AuraVestError(Exception):
    """Base class of every AuraVest error."""

    def __init__(
        self,
        message: str,
        *,
        kind: str | None = None,
        field: str | None = None,
        line: int | None = None,
        rows: list[tuple[int, str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.field = field
        self.line = line
        self.rows = list(rows or [])

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Keeps the details across processes (multiprocessing, Dask, Ray).
        return (
            _rebuild,
            (type(self), self.message, self.kind, self.field, self.line, self.rows),
        )

    def __str__(self) -> str:
        return self.message


def _rebuild(
    cls: type[AuraVestError],
    message: str,
    kind: str | None,
    field: str | None,
    line: int | None,
    rows: list[tuple[int, str, str]],
) -> AuraVestError:
    return cls(message, kind=kind, field=field, line=line, rows=rows)


class InvalidInput(AuraVestError, ValueError):
    """An input was refused: ``field`` (and ``line`` for files) say where."""


class LedgerError(InvalidInput):
    """A transaction breaks the ledger's rules (selling more than held, spending cash that is not there...)."""


class DataUnavailable(AuraVestError, LookupError):
    """There is not enough data: a missing price, too short a history, an unknown symbol at every source."""


class Infeasible(AuraVestError):
    """The problem has no solution: conflicting bounds, an unreachable target return or volatility."""


class SolverError(AuraVestError, ArithmeticError):
    """The numerical solver stopped without a solution."""


class SourceError(AuraVestError, OSError):
    """A market-data source failed (unreachable, rate-limited, malformed answer)."""


class LimitReached(AuraVestError):
    """A usage limit is reached (questions per day, for instance)."""


class ModelUnavailable(AuraVestError):
    """A local model could not be found or loaded."""
