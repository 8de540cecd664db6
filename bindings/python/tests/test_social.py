from __future__ import annotations

from decimal import Decimal

import pytest

from auravest import social
from auravest.exceptions import InvalidInput


def test_wealth_warnings_with_python_spans() -> None:
    text = "Café day: I put $12,500 into $NVDA"
    [w] = social.wealth_warnings(text)
    assert text[w.span.start : w.span.end] == w.text == "$12,500"
    assert w.span.byte_start == w.span.start + 1  # "é" is two bytes
    assert w.value == Decimal(12500) and w.currency == "USD" and w.cue == "currency_sign"
    assert "percentages" in w.message
    assert social.wealth_warnings("Up 12% this year") == []


def test_entities_and_cashtags() -> None:
    text = "Long $nvda with @Dividend_Dan, see https://example.com/x"
    e = social.entities(text)
    assert [c.symbol for c in e.cashtags] == ["NVDA"]
    assert text[e.cashtags[0].span.start : e.cashtags[0].span.end].lower() == "$nvda"
    assert [m.alias for m in e.mentions] == ["Dividend_Dan"]
    assert [k.url for k in e.links] == ["https://example.com/x"]


def test_render_is_safe() -> None:
    html = social.render_html("**hi** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>hi</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_alias_rules() -> None:
    assert social.check_alias("Dividend_Dan") == "Dividend_Dan"
    for bad in ("ann@example.com", "Call5551234567", "x", "Investor4821"):
        with pytest.raises(InvalidInput) as err:
            social.check_alias(bad)
        assert err.value.field == "alias"
    assert social.check_alias("Investor4821", generated=True) == "Investor4821"


def test_performance_share_and_compounding() -> None:
    share = social.performance_share({"kind": "month", "year": 2024, "month": 5}, "3.5")
    assert share["return_pct"] in ("3.5", "3.50")
    with pytest.raises(InvalidInput):
        social.performance_share({"kind": "month", "year": 2024, "month": 13}, "3.5")
    assert social.compound_percent(["10", "10"]) == Decimal("21")
    assert social.compound_percent([]) == Decimal(0)
    with pytest.raises(InvalidInput) as bad:
        social.compound_percent(["10", "ten"])
    assert (bad.value.kind, bad.value.field, bad.value.line) == ("invalid_entry", "returns_pct", 2)
    assert "ten" in str(bad.value)
    assert len(social.guidelines()) >= 3
