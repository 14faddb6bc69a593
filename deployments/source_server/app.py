"""The local source server: CoinGecko under ``/api/v3`` and CoinPaprika under ``/v1`` on one port,
replaying the recorded/generated responses in ``data/sources`` with the real paging, parameters and
error bodies, plus injectable faults and a request log under ``/_control``.

Control API (for tests and demos):
    GET /_control/requests    every request served: method, path, query, status, fault
    POST /_control/faults     {"path": ..., "kind": ..., "times": 1, "query": {...}, "retry_after": "1", ...}
    DELETE /_control          forget faults and the request log
"""

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from deployments.source_server.faults import HTML_PAGE, Fault, FaultBook, distort

JSON_TYPE = "application/json; charset=utf-8"
# Logged so tests can check how keys are sent (this is a local fake: its keys are test values).
_LOGGED_HEADERS = ("user-agent", "x-cg-demo-api-key", "x-cg-pro-api-key", "authorization")


class Replay:
    """The data one server replays, loaded once from ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        cg, cp = data_dir / "coingecko", data_dir / "coinpaprika"
        self.cg_markets: list[dict[str, Any]] = _load(cg / "coins_markets.json")
        self.cg_list_text = (cg / "coins_list.json").read_text()
        self.cg_429 = (cg / "error_429.json").read_text()
        self.cg_charts = {p.stem: p for p in (cg / "market_chart").glob("*.json")}
        self.cp_coins_text = (cp / "coins.json").read_text()
        self.cp_tickers: list[dict[str, Any]] = _load(cp / "tickers.json")
        self.cp_404 = (cp / "error_404.json").read_text()
        self.cp_429 = (cp / "error_429.json").read_text()
        self.cp_historical = {p.stem: p for p in (cp / "historical").glob("*.json")}
        self.cp_ohlcv = {p.stem: p for p in (cp / "ohlcv").glob("*.json")}


def create_app(data_dir: Path, book: FaultBook | None = None) -> Starlette:
    """The ASGI app serving ``data_dir``; ``book`` holds its faults and request log."""
    replay = Replay(data_dir)
    faults = book or FaultBook()

    async def dispatch(request: Request) -> Response:
        path = request.url.path
        query = dict(request.query_params)
        if path != "/" and path.endswith("/") and path.startswith("/v1/"):
            # CoinPaprika answers a trailing slash with a 301 to the bare path (recorded quirk).
            target = path.rstrip("/") + (f"?{request.url.query}" if request.url.query else "")
            faults.log({"method": request.method, "path": path, "query": query, "status": 301, "fault": None})
            return RedirectResponse(target, status_code=301)
        # Logged on arrival: a client that times out on a slow answer still shows up in the log.
        entry: dict[str, Any] = {"method": request.method, "path": path, "query": query, "at": time.monotonic()}
        entry["headers"] = {name: request.headers[name] for name in _LOGGED_HEADERS if name in request.headers}
        fault = faults.take(path, query)
        entry["fault"] = fault.kind if fault else None
        entry["status"] = None
        faults.log(entry)
        response = await _answer(replay, path, query, fault)
        entry["status"] = response.status_code
        return response

    async def requests_log(request: Request) -> Response:
        return JSONResponse(faults.requests)

    async def add_fault(request: Request) -> Response:
        try:
            faults.add(Fault(**await request.json()))
        except (TypeError, ValueError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse({"ok": True}, status_code=201)

    async def reset(request: Request) -> Response:
        faults.clear()
        return JSONResponse({"ok": True})

    routes = [
        Route("/_control/requests", requests_log, methods=["GET"]),
        Route("/_control/faults", add_fault, methods=["POST"]),
        Route("/_control", reset, methods=["DELETE"]),
        Route("/{path:path}", dispatch, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.faults = faults
    return app


async def _answer(replay: Replay, path: str, query: dict[str, str], fault: Fault | None) -> Response:
    coingecko = path.startswith("/api/v3/")
    if fault is not None:
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay_s)
        elif fault.kind in {"429", "500", "502", "503", "401", "404"}:
            return _error(replay, coingecko, int(fault.kind), fault.retry_after)
        elif fault.kind == "html":
            return Response(HTML_PAGE, status_code=200, media_type="text/html; charset=UTF-8")
    status, payload = _route(replay, path, query)
    if status != 200 or fault is None or fault.kind == "slow":
        return _json(payload, status)
    if fault.kind == "truncated":
        text = payload if isinstance(payload, str) else json.dumps(payload)
        return Response(text[: len(text) // 2], status_code=200, media_type=JSON_TYPE)
    # A copy: distortions must never leak into the replayed data of later requests.
    data = json.loads(payload if isinstance(payload, str) else json.dumps(payload))
    return _json(distort(data, fault), 200)


def _route(replay: Replay, path: str, q: dict[str, str]) -> tuple[int, Any]:
    parts = path.strip("/").split("/")
    if path == "/api/v3/ping":
        return 200, {"gecko_says": "(V3) To the Moon!"}
    if path == "/api/v3/coins/list":
        return 200, replay.cg_list_text
    if path == "/api/v3/coins/markets":
        return _cg_markets(replay, q)
    if len(parts) == 6 and parts[:3] == ["api", "v3", "coins"] and parts[4:] == ["market_chart", "range"]:
        return _cg_chart(replay, parts[3], q)
    if path == "/v1/coins":
        return 200, replay.cp_coins_text
    if path == "/v1/tickers":
        return 200, replay.cp_tickers
    if len(parts) == 3 and parts[:2] == ["v1", "tickers"]:
        found = [t for t in replay.cp_tickers if t["id"] == parts[2]]
        return (200, found[0]) if found else (404, replay.cp_404)
    if len(parts) == 4 and parts[:2] == ["v1", "tickers"] and parts[3] == "historical":
        return _cp_history(replay.cp_historical, parts[2], q, "timestamp", 1000, 5000, replay.cp_404)
    if len(parts) == 5 and parts[:2] == ["v1", "coins"] and parts[3:] == ["ohlcv", "historical"]:
        return _cp_history(replay.cp_ohlcv, parts[2], q, "time_open", 1, 366, replay.cp_404)
    if path.startswith("/api/v3/"):
        return 404, {"error": "Not Found"}
    return 404, replay.cp_404


def _cg_markets(replay: Replay, q: dict[str, str]) -> tuple[int, Any]:
    if not q.get("vs_currency"):
        return 400, {"error": "Missing parameter vs_currency"}
    try:
        per_page, page = int(q.get("per_page", "100")), int(q.get("page", "1"))
    except ValueError:
        return 400, {"error": "invalid per_page or page"}
    per_page = max(1, min(per_page, 250))
    rows = sorted(replay.cg_markets, key=lambda r: r["market_cap_rank"] or 10**9)
    if ids := q.get("ids"):
        wanted = set(ids.split(","))
        rows = [r for r in rows if r["id"] in wanted]
    start = (max(page, 1) - 1) * per_page
    return 200, rows[start : start + per_page]


def _cg_chart(replay: Replay, coin: str, q: dict[str, str]) -> tuple[int, Any]:
    if coin not in replay.cg_charts:
        return 404, {"error": "coin not found"}
    try:
        low, high = float(q["from"]) * 1000, float(q["to"]) * 1000
    except (KeyError, ValueError):
        return 400, {"error": "Missing or invalid parameter from/to (UNIX seconds)"}
    chart = _load(replay.cg_charts[coin])
    return 200, {key: [p for p in series if low <= p[0] <= high] for key, series in chart.items()}


def _cp_history(
    files: dict[str, Path], coin: str, q: dict[str, str], time_key: str, default_limit: int, max_limit: int, e404: str
) -> tuple[int, Any]:
    if coin not in files:
        return 404, e404
    try:
        start = _parse_time(q["start"])
        end = _parse_time(q["end"]) if q.get("end") else datetime.now(UTC)
        limit = int(q.get("limit", default_limit))
    except (KeyError, ValueError):
        return 400, {"error": "Invalid parameters: start is required (RFC3339, YYYY-MM-DD or unix seconds)"}
    if not 1 <= limit <= max_limit:
        return 400, {"error": f"limit must be between 1 and {max_limit}"}
    rows = [r for r in _load(files[coin]) if start <= _parse_time(r[time_key]) <= end]
    return 200, rows[:limit]


def _parse_time(text: str) -> datetime:
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    if len(text) == 10:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _error(replay: Replay, coingecko: bool, status: int, retry_after: str | None) -> Response:
    if coingecko:
        body = replay.cg_429 if status == 429 else json.dumps(_cg_error(status))
    else:
        body = {429: replay.cp_429, 404: replay.cp_404}.get(status) or json.dumps({"error": _CP_MESSAGES[status]})
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _cg_error(status: int) -> dict[str, Any]:
    if status == 401:
        return {"status": {"error_code": 10002, "error_message": "API Key Missing"}}
    if status == 404:
        return {"error": "coin not found"}
    return {"status": {"error_code": status, "error_message": "Internal server error"}}


_CP_MESSAGES = {401: "invalid api key", 500: "internal server error", 502: "bad gateway", 503: "service unavailable"}


def _json(payload: Any, status: int) -> Response:
    text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return Response(text, status_code=status, media_type=JSON_TYPE)


def _load(path: Path) -> Any:
    return json.loads(path.read_text())
