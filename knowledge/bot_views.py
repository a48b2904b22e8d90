"""The answer bot's endpoints, for the contact form and the chat widget.

The widget lives on a shop's own pages, so these answer any origin (no cookies are read: the
bot always answers as it would an anonymous visitor) and need no CSRF token — nothing here acts
on anyone's behalf. A question is answered and logged; "this solved my problem" comes back with
the question's token.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .bot import BotRejected, ask_bot, mark_solved
from .deflection import FORM_TOKEN
from .models import BotQuestion, BotSource
from .reader_services import _within_rate

MAX_BODY_BYTES = 8192
# Per client address: generous, because a shop's customers may share one (a proxy, an office).
QUESTIONS_PER_ADDRESS_PER_HOUR = 600


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "86400"
    response["Cache-Control"] = "no-store"
    return response


def _error(detail: str, status: int) -> HttpResponse:
    return _cors(JsonResponse({"detail": detail}, status=status))


def _fields(request: HttpRequest) -> dict:
    """Form fields or a JSON object, whichever the client sent. Raises BotRejected."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BotRejected("The body is not JSON.") from error
        if not isinstance(data, dict):
            raise BotRejected("The body must be a JSON object.")
        return {key: value for key, value in data.items() if isinstance(value, str | int)}
    return request.POST.dict()


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def bot_ask(request: HttpRequest, lang: str) -> HttpResponse:
    """POST `question` (and `source`: contact/widget, `form`: the contact form's token) →
    {"token", "confident", "answers": [{"id", "title", "url", "extract", "confidence"}]}."""
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204))
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        return _error("The question is too long.", 413)
    address = request.META.get("REMOTE_ADDR") or "unknown"
    if not _within_rate(f"kb-bot:{address}", QUESTIONS_PER_ADDRESS_PER_HOUR):
        return _error("Too many questions. Please try again later.", 429)
    try:
        fields = _fields(request)
        reply = ask_bot(
            question=str(fields.get("question", "")),
            language=lang,
            source=str(fields.get("source") or BotSource.WIDGET),
            form_token=_form_token(str(fields.get("form", ""))),
        )
    except BotRejected as error:
        return _error(str(error), 400)
    return _cors(JsonResponse(reply.as_json()))


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def bot_solved(request: HttpRequest, lang: str, token: str) -> HttpResponse:
    """POST `article` (an id the bot offered for this question) → {"solved": true}."""
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204))
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        return _error("Too large.", 413)
    try:
        article = str(_fields(request).get("article", "")).strip()
        if not article.isdecimal() or len(article) > 12:
            raise BotRejected("Say which article solved it.")
        record = mark_solved(token=token, article_id=int(article))
    except BotRejected as error:
        return _error(str(error), 400)
    except BotQuestion.DoesNotExist:
        return _error("No such question.", 404)
    return _cors(JsonResponse({"solved": True, "article": record.solved_article_id}))


def _form_token(raw: str) -> str:
    return raw if FORM_TOKEN.match(raw) else ""
