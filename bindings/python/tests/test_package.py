"""The package as a whole: exceptions, docstrings, typed surface."""

from __future__ import annotations

import inspect
import pickle

import pytest

import auravest
from auravest import exceptions


def test_exception_hierarchy_and_pickling() -> None:
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        assert issubclass(cls, exceptions.AuraVestError)
    assert issubclass(exceptions.LedgerError, exceptions.InvalidInput)
    err = exceptions.InvalidInput("quantity: bad", kind="invalid_field", field="quantity", line=3, rows=[(3, "quantity", "bad")])
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is exceptions.InvalidInput
    assert (back.kind, back.field, back.line, back.rows, str(back)) == ("invalid_field", "quantity", 3, [(3, "quantity", "bad")], "quantity: bad")


def test_errors_from_rust_carry_the_sdk_detail() -> None:
    with pytest.raises(exceptions.InvalidInput) as err:
        auravest.Portfolio("ZZZ")
    assert err.value.kind == "invalid_currency" and err.value.field == "currency"
    assert "ZZZ" in str(err.value)


@pytest.mark.parametrize(
    "module",
    [auravest.risk, auravest.portfolio, auravest.stats, auravest.optimize, auravest.bias, auravest.market, auravest.ai, auravest.social],
)
def test_every_public_name_is_documented(module: object) -> None:
    assert inspect.getdoc(module)
    for name in getattr(module, "__all__"):
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # type aliases and constants
        assert inspect.getdoc(obj), f"{module.__name__}.{name} has no docstring"  # type: ignore[attr-defined]


def test_version_and_disclaimers() -> None:
    assert auravest.__version__.count(".") == 2
    assert "not financial advice" in auravest.DISCLAIMER
    assert "not financial advice" in auravest.AI_DISCLAIMER
