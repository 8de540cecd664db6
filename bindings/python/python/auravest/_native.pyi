# Stubs of the native module. `python -m mypy.stubtest auravest._native`
# checks them against the built module in CI.
from collections.abc import Sequence
from typing import Any

__version__: str
DISCLAIMER: str
AI_DISCLAIMER: str

class PriceTable:
    def __new__(cls, dates: Any, names: Sequence[str], values: Any) -> PriceTable: ...
    @property
    def columns(self) -> list[str]: ...
    def __len__(self) -> int: ...
    def date_bytes(self) -> bytes: ...
    def value_bytes(self) -> bytes: ...
    def __reduce__(self) -> tuple[Any, Any]: ...

# --- risk ---

# --- portfolio ---

# --- stats ---

# --- bias ---

# --- market ---

# --- ai ---

# --- social ---

# --- optimize ---
