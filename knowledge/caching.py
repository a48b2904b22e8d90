"""HTTP caching of public help-center pages: ETag / Last-Modified from the data, 304s early.

The validators are computed from the rows a page shows (not from the rendered bytes, which
carry a per-request CSRF token), so a revalidation costs one small query and no rendering.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, quote_etag
from django.utils.http import http_date

PUBLIC_MAX_AGE = 300


@cache
def page_format_stamp() -> str:
    """A hash of the templates and translations pages are made from.

    Part of every ETag, so a deploy that changes how a page looks is not answered with 304s
    for the old look. Identical on every replica built from the same files.
    """
    root = settings.BASE_DIR
    files = sorted(
        [
            *(root / "templates" / "knowledge").glob("*.html"),
            root / "templates" / "base.html",
            *(root / "templates" / "includes").glob("*.html"),
            *(root / "locale").glob("*/LC_MESSAGES/django.mo"),
        ]
    )
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def page_etag(*parts: object) -> str:
    from .theme import current_theme  # the admins' brand, logo and links are on every page

    raw = "|".join(map(str, (page_format_stamp(), current_theme().stamp, *parts)))
    return quote_etag(hashlib.sha256(raw.encode()).hexdigest()[:24])


def cacheable_page(
    request: HttpRequest,
    *,
    etag: str,
    last_modified: datetime,
    render: Callable[[], HttpResponse],
) -> HttpResponse:
    """Answer 304 when the client's copy is current; otherwise render, with validators.

    Only for pages that look the same to every anonymous visitor.
    """
    timestamp = int(last_modified.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=timestamp)
    if response is None:
        response = render()
    return set_public_validators(response, etag, timestamp)


def set_public_validators(response: HttpResponse, etag: str, timestamp: int) -> HttpResponse:
    """ETag, Last-Modified and a public max-age on a 200 or a 304 (not on errors)."""
    if response.status_code in (200, 304):
        response.headers["ETag"] = etag
        response.headers["Last-Modified"] = http_date(timestamp)
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


def private_page(response: HttpResponse) -> HttpResponse:
    """Signed-in viewers may see drafts or internal articles: never stored by a shared cache."""
    patch_cache_control(response, private=True, no_cache=True)
    return response
