"""THE client factory for every outbound HTTP call, and what a failed call means.

One place decides the base URL per source, timeouts, the User-Agent, how a key is sent (CoinGecko
demo and pro keys use different headers *and* hosts; CoinPaprika sends the raw key, optionally with a
scheme), the per-source request quota (``request_quota``), and which failures can succeed later.
Keys travel only in headers, so no URL, log line, raw payload or error text ever carries one: a
redirect is followed only within the base URL's origin (httpx would carry the key header to any
host it is sent to), and any text an upstream sends back is redacted of the configured secrets.
"""

import email.utils
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx  # noqa: TID251 - this module is the one allowed user of httpx

from flows.request_quota import QuotaRate, RequestQuota, make_quota, nested_rates
from models.redaction import configured_secrets, redact
from models.settings import Settings

COINGECKO = "coingecko"
COINPAPRIKA = "coinpaprika"
_HOSTS = {
    (COINGECKO, "keyless"): "https://api.coingecko.com/api/v3",
    (COINGECKO, "demo"): "https://api.coingecko.com/api/v3",
    (COINGECKO, "pro"): "https://pro-api.coingecko.com/api/v3",
    (COINPAPRIKA, "keyless"): "https://api.coinpaprika.com/v1",
    (COINPAPRIKA, "key"): "https://api-pro.coinpaprika.com/v1",
}
_COINGECKO_KEY_HEADERS = {"demo": "x-cg-demo-api-key", "pro": "x-cg-pro-api-key"}
_COINGECKO_DEFAULT_RPM = {"keyless": 10, "demo": 30, "pro": 500}
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_BODY_EXCERPT = 200
_MAX_REDIRECTS = 5

log = logging.getLogger(__name__)


class SourceError(Exception):
    """A fetch that did not give a usable answer; ``retryable`` says whether trying again can help."""

    retryable = False

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class RetryableSourceError(SourceError):
    """429, 5xx, a timeout or a broken connection: the same request may succeed later."""

    retryable = True


class PayloadError(SourceError):
    """A 200 whose body is not the JSON the endpoint promises (truncated, an HTML page): never retried."""

    def __init__(self, message: str, received: dict[str, Any]) -> None:
        super().__init__(message, status=200)
        self.received = received  # what came in, for the raw landing


@dataclass(frozen=True)
class SourceClient:
    """An ``httpx.Client`` bound to one source, plus that source's request quota."""

    source: str
    http: httpx.Client
    quota: RequestQuota
    secrets: tuple[str, ...] = ()

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` under the source's base URL and return the decoded JSON body.

        Raises:
            RetryableSourceError: 429/5xx (with the server's Retry-After, if any), timeouts, connection errors.
            SourceError: any other non-2xx status (400/401/403/404...): retrying cannot help; a redirect
                to another origin (not followed, so the key header is not sent there) or more than 5.
            PayloadError: a 2xx whose body is not JSON.
        """
        self.quota.acquire(path)
        try:
            response = self._follow_same_origin(self.http.get(path, params=params), path)
        except httpx.TimeoutException as error:
            raise RetryableSourceError(f"GET {path}: timed out ({type(error).__name__})") from None
        except httpx.TransportError as error:
            raise RetryableSourceError(f"GET {path}: connection failed ({type(error).__name__})") from None
        return _decode(response, path, self.secrets)

    def _follow_same_origin(self, response: httpx.Response, path: str) -> httpx.Response:
        """Follow redirects that stay on the base URL's scheme, host and port; refuse any other."""
        home = _origin(self.http.base_url)
        for _ in range(_MAX_REDIRECTS):
            target = response.next_request
            if target is None:
                return response
            if _origin(target.url) != home:
                response.close()
                raise SourceError(
                    f"GET {path}: HTTP {response.status_code} redirect to another origin "
                    f"({target.url.scheme}://{target.url.host}); not followed, so the API key is not sent there",
                    status=response.status_code,
                )
            response.close()
            response = self.http.send(target)
        raise SourceError(f"GET {path}: more than {_MAX_REDIRECTS} redirects", status=response.status_code)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()


def make_client(source: str, settings: Settings) -> SourceClient:
    """The client for ``source`` (``coingecko`` or ``coinpaprika``) as the settings describe it."""
    headers = {"User-Agent": settings.http_user_agent, "Accept": "application/json"}
    if source == COINGECKO:
        plan = coingecko_plan(settings)
        base_url = settings.coingecko_base_url or _HOSTS[(COINGECKO, plan)]
        if settings.coingecko_api_key is not None:
            headers[_COINGECKO_KEY_HEADERS[plan]] = settings.coingecko_api_key.get_secret_value()
        rates = [QuotaRate(settings.coingecko_requests_per_minute or _COINGECKO_DEFAULT_RPM[plan], 60)]
    elif source == COINPAPRIKA:
        key = settings.coinpaprika_api_key
        base_url = settings.coinpaprika_base_url or _HOSTS[(COINPAPRIKA, "key" if key else "keyless")]
        if key is not None:
            scheme = settings.coinpaprika_auth_scheme.strip()
            headers["Authorization"] = f"{scheme} {key.get_secret_value()}".strip()
        rates = nested_rates(settings.coinpaprika_requests_per_second, settings.coinpaprika_requests_per_minute)
    else:
        raise ValueError(f"no HTTP client for source {source!r}")
    http = httpx.Client(
        base_url=base_url.rstrip("/") + "/",
        headers=headers,
        timeout=httpx.Timeout(settings.http_timeout_s),
        follow_redirects=False,  # followed by SourceClient, within the origin only
    )
    quota = make_quota(source, rates, settings.request_quota_scope)
    return SourceClient(source, http, quota, configured_secrets(settings))


def coingecko_plan(settings: Settings) -> str:
    """``keyless`` without a key, else the plan the key belongs to (``demo`` or ``pro``)."""
    return "keyless" if settings.coingecko_api_key is None else settings.coingecko_key_plan


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent/garbled."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_retryable(error: BaseException) -> bool:
    """Whether a failed fetch may succeed if tried again (429/5xx/timeouts/connection errors only)."""
    return isinstance(error, SourceError) and error.retryable


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _decode(response: httpx.Response, path: str, secrets: tuple[str, ...] = ()) -> Any:
    status = response.status_code
    where = f"GET {path}"
    if status >= 400:
        detail = redact(_error_text(response), secrets)
        if status in RETRYABLE_STATUS:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise RetryableSourceError(f"{where}: HTTP {status}: {detail}", status=status, retry_after=retry_after)
        raise SourceError(f"{where}: HTTP {status}: {detail}", status=status)
    text = response.text
    try:
        return json.loads(text)
    except ValueError as error:
        content_type = response.headers.get("content-type", "")
        received = {"status": status, "content_type": content_type, "body": redact(text, secrets)}
        kind = content_type or "no content type"
        raise PayloadError(f"{where}: HTTP {status} {kind}, not JSON: {error}", received) from None


def _error_text(response: httpx.Response) -> str:
    """The message of an error body in any of the shapes sources use, else a short excerpt."""
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:_BODY_EXCERPT] or "(empty body)"
    if isinstance(body, dict):
        status = body.get("status") or (body.get("error") if isinstance(body.get("error"), dict) else None)
        if isinstance(status, dict) and "status" in status:
            status = status["status"]
        if isinstance(status, dict) and status.get("error_message"):
            return str(status["error_message"])
        if isinstance(body.get("error"), str):
            return body["error"]
    return json.dumps(body)[:_BODY_EXCERPT]
