"""HTTP to the social platforms: one place for timeouts, size limits and error mapping.

Every provider call goes through `request()`. What a failure means is the same everywhere:
the network or the provider is down or busy (429, 5xx) → raise `ProviderUnavailable` and the
delivery is retried with backoff; the provider refused this request for good (unknown user,
window closed, bad token) → the adapter raises `PermanentDeliveryError` with a sentence the
agent can act on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from .models import SocialAccount

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
# Attachments bigger than this are not downloaded: the message keeps a note instead.
MAX_MEDIA_BYTES = 25 * 1024 * 1024


class ProviderUnavailable(Exception):
    """Transient: the provider is unreachable, rate-limits us or failed on its side."""


@dataclass(frozen=True)
class ProviderResponse:
    status: int
    body: dict
    headers: httpx.Headers
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def base_url(account: SocialAccount) -> str:
    return account.api_base_url.rstrip("/")


def request(
    method: str,
    url: str,
    *,
    json: dict | None = None,
    data: dict | None = None,
    params: dict | None = None,
    headers: dict | None = None,
    auth: tuple[str, str] | None = None,
    files: dict | None = None,
) -> ProviderResponse:
    """One API call. Network errors, 429 and 5xx raise `ProviderUnavailable`; any other
    status is returned for the adapter to judge (it knows the provider's error codes).
    `files` (name → (filename, bytes, content type)) makes it a multipart upload."""
    try:
        with httpx.Client(timeout=UPLOAD_TIMEOUT if files else TIMEOUT) as client:
            response = client.request(
                method,
                url,
                json=json,
                data=data,
                params=params,
                headers=headers,
                auth=auth,
                files=files,
                follow_redirects=False,
            )
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"{exc.__class__.__name__}: {exc}") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {"data": body}
    result = ProviderResponse(response.status_code, body, response.headers, response.text[:2000])
    if response.status_code == 429:
        raise RateLimited(f"HTTP 429: {result.text[:500]}", wait_seconds(response.headers))
    if response.status_code >= 500:
        raise ProviderUnavailable(f"HTTP {response.status_code}: {result.text[:500]}")
    return result


class RateLimited(ProviderUnavailable):
    """429. `retry_after` is how many seconds the provider asked us to wait (None: unsaid)."""

    def __init__(self, text: str, retry_after: float | None = None) -> None:
        super().__init__(text)
        self.retry_after = retry_after


def wait_seconds(headers: httpx.Headers) -> float | None:
    """Retry-After (seconds), or X's x-rate-limit-reset (epoch seconds of the window's end)."""
    import time

    retry_after = headers.get("retry-after", "")
    if retry_after.isdecimal():
        return float(retry_after)
    reset = headers.get("x-rate-limit-reset", "")
    if reset.isdecimal():
        return max(float(reset) - time.time(), 0.0)
    return None


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str


def download(
    url: str,
    *,
    headers: dict | None = None,
    auth: tuple[str, str] | None = None,
    limit: int = MAX_MEDIA_BYTES,
) -> Download:
    """Fetch a media file (following the CDN redirects providers use), at most `limit` bytes.

    Raises `ProviderUnavailable` on failure so the inbound event is retried rather than
    stored without its picture (`MediaNotFound`, a kind of it, when the file is gone).
    """
    try:
        with (
            httpx.Client(timeout=TIMEOUT, follow_redirects=True) as client,
            client.stream("GET", url, headers=headers, auth=auth) as response,
        ):
            if response.status_code in (404, 410):
                raise MediaNotFound(f"media download: HTTP {response.status_code}")
            if response.status_code != 200:
                raise ProviderUnavailable(f"media download: HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdecimal() and int(declared) > limit:
                raise MediaTooLarge(int(declared), limit)
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise MediaTooLarge(size, limit)
                chunks.append(chunk)
            content_type = response.headers.get("content-type", "application/octet-stream")
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"media download: {exc.__class__.__name__}: {exc}") from exc
    return Download(b"".join(chunks), content_type.split(";")[0].strip())


class MediaNotFound(ProviderUnavailable):
    """404 / 410: the file is gone (a changed profile picture, an expired media id)."""


class MediaTooLarge(Exception):
    def __init__(self, size: int, limit: int = MAX_MEDIA_BYTES) -> None:
        super().__init__(f"media larger than {limit} bytes")
        self.size = size


def extension_for(content_type: str) -> str:
    known = {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/gif": ".gif",
        "image/webp": ".webp",
        "video/mp4": ".mp4",
        "audio/mpeg": ".mp3",
        "audio/ogg": ".ogg",
        "audio/mp4": ".m4a",
        "audio/x-m4a": ".m4a",
        "application/pdf": ".pdf",
    }
    return known.get(content_type, "")
