"""The base of every small result: a frozen dataclass with ``to_dict()``."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from decimal import Decimal
from typing import Any


@dataclasses.dataclass(frozen=True)
class Record:
    """A frozen result; ``to_dict()`` gives plain dicts, lists and values."""

    def to_dict(self) -> dict[str, Any]:
        """The result as nested dicts and lists (dates and decimals kept as objects)."""
        return dataclasses.asdict(self)


def decimal(value: Any) -> Decimal | None:
    """An exact amount from the SDK's decimal text (None stays None)."""
    return None if value is None else Decimal(str(value))


def date(value: Any) -> _dt.date | None:
    """A date from ISO text (None stays None)."""
    return None if value is None else _dt.date.fromisoformat(str(value))
