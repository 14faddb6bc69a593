"""Named fault scenarios for ``coinflow sources serve --scenario NAME`` (demos of retries and drift)."""

from deployments.source_server.faults import Fault

MARKETS = "/api/v3/coins/markets"
TICKERS = "/v1/tickers"

SCENARIOS: dict[str, list[Fault]] = {
    "clean": [],
    "rate-limited": [Fault(MARKETS, "429", times=2, retry_after="2"), Fault(TICKERS, "429", times=1)],
    "flaky": [
        Fault(MARKETS, "503", times=1, query={"page": "1"}),
        Fault(MARKETS, "502", times=1, query={"page": "2"}),
        Fault(TICKERS, "500", times=2),
    ],
    "slow": [Fault(MARKETS, "slow", times=1, delay_s=30.0)],
    "broken-payloads": [Fault(MARKETS, "truncated", times=-1, query={"page": "2"}), Fault(TICKERS, "html", times=-1)],
    "drift": [
        Fault(MARKETS, "drift-renamed", times=-1, field="current_price"),
        Fault(TICKERS, "drift-missing", times=-1, field="last_updated"),
    ],
    "down": [Fault(MARKETS, "503", times=-1), Fault(TICKERS, "503", times=-1)],
}
