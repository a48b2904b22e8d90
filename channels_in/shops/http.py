"""HTTP to the shop platforms: one place for timeouts, rate limits and error meanings.

401/403 → `ShopAuthError` (the token is wrong: retrying cannot help, the admin must fix it);
429 → waits as the platform's Retry-After asks (a few seconds at most) and tries again, then
`ShopUnavailable`; network errors and 5xx → `ShopUnavailable` (try again later).
"""

from __future__ import annotations

import time

import httpx

from customers.shops import ShopConnectionError

TIMEOUT = httpx.Timeout(20.0, connect=5.0)
MAX_BODY_BYTES = 20 * 1024 * 1024
RATE_LIMIT_TRIES = 4
MAX_WAIT_SECONDS = 10.0


class ShopAuthError(ShopConnectionError):
    """The platform refused our credentials."""


class ShopUnavailable(ShopConnectionError):
    """Unreachable, failing on its side, or still rate-limiting us after waiting."""


def request(method: str, url: str, **kwargs) -> httpx.Response:
    """One call, with rate-limit waits. Other 4xx are returned for the caller to judge."""
    for attempt in range(RATE_LIMIT_TRIES):
        try:
            with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
                response = client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise ShopUnavailable(f"{url}: {exc.__class__.__name__}: {exc}") from exc
        if len(response.content) > MAX_BODY_BYTES:
            raise ShopUnavailable(f"{url}: response larger than {MAX_BODY_BYTES} bytes")
        if response.status_code in (401, 403):
            raise ShopAuthError(f"HTTP {response.status_code}: {_brief(response)}")
        if response.status_code == 429:
            if attempt + 1 < RATE_LIMIT_TRIES:
                time.sleep(retry_after(response))
                continue
            raise ShopUnavailable(f"HTTP 429: rate limited ({_brief(response)})")
        if response.status_code >= 500:
            raise ShopUnavailable(f"HTTP {response.status_code}: {_brief(response)}")
        return response
    raise AssertionError("unreachable")


def retry_after(response: httpx.Response) -> float:
    try:
        seconds = float(response.headers.get("Retry-After", "2"))
    except ValueError:
        seconds = 2.0
    return max(0.0, min(seconds, MAX_WAIT_SECONDS))


def json_body(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError as exc:
        raise ShopUnavailable(f"HTTP {response.status_code}: not JSON: {_brief(response)}") from exc
    if not isinstance(body, dict):
        raise ShopUnavailable(f"HTTP {response.status_code}: unexpected JSON {type(body).__name__}")
    return body


def _brief(response: httpx.Response) -> str:
    """The platform's own words: Shopify's `errors`, BASE's `error_description`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        if body.get("error_description"):
            return f"{body.get('error', '')}: {body['error_description']}"[:300]
        if body.get("errors"):
            return str(body["errors"])[:300]
    return response.text[:300].strip() or response.reason_phrase
