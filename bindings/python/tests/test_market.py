"""Market data against local sources only: the sample folder and a local
HTTP server replaying Yahoo's real response shapes (the market crate's
fixtures). Nothing here reaches the internet."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from auravest import market
from auravest.exceptions import DataUnavailable, InvalidInput, SourceError

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "market" / "tests" / "fixtures"
SAMPLE = ROOT / "examples" / "data"


class _Yahoo(http.server.BaseHTTPRequestHandler):
    calls: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        type(self).calls.append(self.path)
        if self.path.startswith("/v8/finance/chart/AAPL"):
            body, status = (FIXTURES / "yahoo_chart_daily.json").read_bytes(), 200
        elif self.path.startswith("/v8/finance/chart/"):
            body, status = (FIXTURES / "yahoo_chart_404.json").read_bytes(), 404
        else:
            body, status = b"", 404
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def yahoo() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Yahoo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_quote_and_history_from_a_yahoo_replay(yahoo: str) -> None:
    m = market.Market("yahoo", settings={"AURAVEST_YAHOO_BASE_URL": yahoo})
    q = m.quote("AAPL")
    assert q.symbol == "AAPL" and q.price == pytest.approx(185.56) and q.currency == "USD"
    assert q.source == "yahoo" and q.delayed
    h = m.history("AAPL", "2024-01-01", "2024-01-10")
    assert h.bars.height == 5 and h.bars["date"].dtype == pl.Date
    assert h.bars["date"][0] == dt.date(2024, 1, 2)
    assert (h.bars["close"] > 0).all()
    assert any(p.startswith("/v8/finance/chart/AAPL") for p in _Yahoo.calls)


def test_unknown_symbol_is_data_unavailable(yahoo: str) -> None:
    m = market.Market("yahoo", settings={"AURAVEST_YAHOO_BASE_URL": yahoo})
    with pytest.raises(DataUnavailable) as err:
        m.quote("NOPE")
    assert err.value.kind == "not_found"


def test_a_refused_connection_is_a_source_error() -> None:
    m = market.Market("yahoo", settings={"AURAVEST_YAHOO_BASE_URL": "http://127.0.0.1:9"})
    with pytest.raises(SourceError):
        m.quote("AAPL")


def test_fallback_to_the_sample_folder_and_aligned_prices(yahoo: str) -> None:
    # Yahoo unreachable: the chain falls back to the local folder and says so.
    m = market.Market(f"yahoo,file:{SAMPLE}", settings={"AURAVEST_YAHOO_BASE_URL": "http://127.0.0.1:9"})
    q = m.quote("JPM")
    assert q.source == "file" and [a[0] for a in q.attempts] == ["yahoo"]
    # Yahoo's authoritative "not found" stops the chain.
    m = market.Market(f"yahoo,file:{SAMPLE}", settings={"AURAVEST_YAHOO_BASE_URL": yahoo})
    with pytest.raises(DataUnavailable):
        m.quote("JPM")
    prices = market.prices(["AAPL", "SPY"], "2018-01-01", "2018-04-11", sources=f"file:{SAMPLE}")
    assert prices.columns == ["date", "AAPL", "SPY"]
    assert prices["date"][-1] == dt.date(2018, 4, 11)
    sample = pl.read_csv(SAMPLE / "prices.csv", try_parse_dates=True).filter(pl.col("date") >= dt.date(2018, 1, 1))
    assert prices["AAPL"].to_list() == pytest.approx(sample["AAPL"].to_list())


def test_async_variants_run_in_a_running_loop() -> None:
    async def main() -> pl.DataFrame:
        return await market.prices_async(["XOM"], "2018-03-01", "2018-03-31", sources=f"file:{SAMPLE}")

    frame = asyncio.run(main())
    assert frame.height > 15


def test_symbols_never_become_paths() -> None:
    with pytest.raises(InvalidInput) as err:
        market.quote("../etc/passwd", sources=f"file:{SAMPLE}")
    assert err.value.kind == "invalid_symbol"
    with pytest.raises(InvalidInput):
        market.Market("ftp://x")
