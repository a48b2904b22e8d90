"""The widget's public HTTP side: the script, its config, uploads, files, article suggestions.

Called cross-origin from shops' pages without cookies: each answer carries the CORS header
it needs, and nothing here trusts a session.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from helpdesk.html import sanitize_html
from tickets.downloads import attachment_response
from tickets.models import Attachment, Channel

from . import services
from .services import ChatError
from .uploads import create_upload

SUGGEST_LANGUAGES = ("ja", "en")


@lru_cache(maxsize=1)
def _widget_source() -> tuple[bytes, str]:
    path = finders.find("livechat/widget.js")
    if path is None:
        raise Http404
    with open(path, "rb") as source:
        content = source.read()
    return content, hashlib.sha256(content).hexdigest()[:16]


@require_GET
def widget_js(request):
    """The one script shops embed. Short public caching: a fix reaches every shop soon."""
    if settings.DEBUG:
        _widget_source.cache_clear()
    content, digest = _widget_source()
    etag = f'"{digest}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    patch_cache_control(response, public=True, max_age=300)
    return response


def _cors(response, origin: str = "*"):
    response["Access-Control-Allow-Origin"] = origin
    if origin != "*":
        response["Vary"] = "Origin"
    return response


def _error(code: str, message: str, status: int, origin: str = "*") -> JsonResponse:
    return _cors(JsonResponse({"error": {"code": code, "message": message}}, status=status), origin)


@require_GET
def widget_config(request, key: str):
    """Look and texts of a chat channel: everything the launcher needs before any socket."""
    try:
        channel = services.active_channel(key)
    except ChatError as exc:
        return _error(exc.code, exc.message, 404)
    response = JsonResponse(
        {
            "v": services.PROTOCOL_VERSION,
            "color": channel.brand_color,
            "position": channel.position,
            "greeting": {"ja": channel.greeting_ja, "en": channel.greeting_en},
            "ask_name": channel.ask_name,
            "ask_email": channel.ask_email,
            "max_upload_bytes": _max_upload(),
        }
    )
    patch_cache_control(response, public=True, max_age=60)
    return _cors(response)


def _max_upload() -> int:
    from .uploads import MAX_UPLOAD_BYTES

    return MAX_UPLOAD_BYTES


@csrf_exempt  # cross-origin, cookie-less: the signed visitor token is the credential
@require_http_methods(["POST", "OPTIONS"])
def widget_upload(request, key: str):
    origin = request.headers.get("Origin", "")
    try:
        channel = services.active_channel(key)
        services.check_origin(channel, origin)
    except ChatError as exc:
        return _error(exc.code, exc.message, 403)
    if request.method == "OPTIONS":
        response = _cors(HttpResponse(status=204), origin)
        response["Access-Control-Allow-Methods"] = "POST"
        response["Access-Control-Max-Age"] = "600"
        return response
    visitor = services.visitor_from_token(channel, request.POST.get("token", ""))
    if visitor is None:
        return _error("bad_token", "the visitor token is not valid", 403, origin)
    try:
        upload = create_upload(visitor, request.FILES.get("file"))
    except ChatError as exc:
        status = 429 if exc.code == "rate_limited" else 413 if exc.code == "too_large" else 400
        return _error(exc.code, exc.message, status, origin)
    body = {
        "upload": upload.token,
        "name": upload.filename,
        "type": upload.content_type,
        "size": upload.size,
    }
    return _cors(JsonResponse(body, status=201), origin)


@require_GET
def widget_file(request, pk: int, token: str):
    """A file of a chat message, for the visitor's widget: the unguessable token is the key."""
    attachment = get_object_or_404(
        Attachment.objects.select_related("message"),
        pk=pk,
        token=token,
        message__internal=False,
        message__channel=Channel.CHAT,
    )
    response = attachment_response(attachment)
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    patch_cache_control(response, private=True, max_age=3600)
    return response


@require_GET
def widget_suggest(request, key: str, lang: str):
    """Help-center suggestions for the widget: the help center's own public suggestion
    endpoint, reached by its URL (never imported), answered with a CORS header."""
    if lang not in SUGGEST_LANGUAGES:
        raise Http404
    try:
        services.active_channel(key)
        match = resolve(reverse("knowledge:suggest", kwargs={"lang": lang}))
    except ChatError as exc:
        return _error(exc.code, exc.message, 404)
    except (NoReverseMatch, Resolver404):
        return _error("unavailable", "the help center has no suggestions", 404)
    request.user = AnonymousUser()  # the public's view: published articles only
    response = match.func(request, *match.args, **match.kwargs)
    return _cors(response)


@require_GET
def widget_article(request, key: str, lang: str, article_id: int):
    """One published help-center article, whole, for reading inside the widget: the
    published translation's HTML, sanitized again here because it is put into the widget's
    DOM as markup. Only what the public may read (drafts and internal articles are 404)."""
    if lang not in SUGGEST_LANGUAGES:
        raise Http404
    try:
        services.active_channel(key)
    except ChatError as exc:
        return _error(exc.code, exc.message, 404)
    if not apps.is_installed("knowledge"):
        return _error("unavailable", "there is no help center", 404)
    from knowledge.selectors import visible_translations  # lazy: the help center is optional
    from knowledge.seo import article_path

    translation = (
        visible_translations(AnonymousUser(), lang)
        .filter(article_id=article_id)
        .only("title", "summary", "body_html", "slug", "language", "article_id", "updated_at")
        .first()
    )
    if translation is None:
        return _error("not_found", "no published article has this id", 404)
    response = JsonResponse(
        {
            "id": translation.article_id,
            "title": translation.title,
            "html": sanitize_html(translation.body_html),
            "url": article_path(translation),
        }
    )
    patch_cache_control(response, public=True, max_age=300)
    return _cors(response)
