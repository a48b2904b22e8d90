"""Inbound webhooks of the social platforms: `/webhooks/<channel-kind>/<account-id>/`.

Order matters: find the account, check the body's size and signature, then store every
provider event in the body as its own InboundEvent (the raw body + the headers worth keeping,
keyed by the provider's event id so a redelivery is recognised) and answer at once. The
adapter turns the stored events into ticket messages on the `ingest` queue, where a slow media
download or profile lookup cannot make the provider time out and resend.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from tickets.downloads import attachment_response

from . import registry, services, social_media
from .models import SocialAccount, SocialKind
from .registry import MalformedPayload
from .social_common import EVENT_HEADER, SocialAdapter

log = logging.getLogger(__name__)

# Far above any text webhook (media come by reference, never inline).
MAX_BODY_BYTES = 1024 * 1024


def _error(status: int, error: str, **extra) -> JsonResponse:
    return JsonResponse({"error": error, **extra}, status=status)


@csrf_exempt
def social_webhook(request, kind: str, account_id: int) -> HttpResponse:
    if kind not in SocialKind.values:
        return _error(404, "unknown channel")
    account = SocialAccount.objects.filter(pk=account_id, kind=kind).first()
    if account is None:
        return _error(404, "unknown account")
    adapter: SocialAdapter = registry.adapter_for(kind)  # type: ignore[assignment]

    if request.method == "GET":
        response = adapter.handshake(request, account)
        return response if response is not None else _error(405, "method not allowed")
    if request.method != "POST":
        return _error(405, "method not allowed")

    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        log.warning("%s webhook %s: body of %s bytes refused", kind, account.pk, declared)
        return _error(413, "body too large", limit=MAX_BODY_BYTES)
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(413, "body too large", limit=MAX_BODY_BYTES)
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "body too large", limit=MAX_BODY_BYTES)

    if not adapter.verify(request, body, account):
        log.warning(
            "%s webhook %s: bad or missing signature from %s",
            kind,
            account.pk,
            request.META.get("REMOTE_ADDR"),
        )
        return _error(401, "invalid signature")
    if not account.active:
        log.warning("%s webhook %s: account is deactivated; event refused", kind, account.pk)
        return _error(403, "account inactive")

    headers = {
        name: request.headers[name] for name in adapter.kept_headers if name in request.headers
    }
    try:
        keys = adapter.event_keys(request, body)
    except MalformedPayload as exc:
        # Signed by the provider but unreadable: keep it (failed, for an admin to look at).
        services.record_inbound(
            kind=kind, payload=body, headers=headers, account_id=str(account.pk)
        )
        log.warning("%s webhook %s: malformed body kept: %s", kind, account.pk, exc)
        return _error(400, "malformed payload", detail=str(exc)[:300])

    stored = duplicates = 0
    for key in keys:
        _event, created = services.record_inbound(
            kind=kind,
            payload=body,
            idempotency_key=f"{account.pk}:{key}",
            headers={**headers, EVENT_HEADER: key},
            account_id=str(account.pk),
        )
        stored += created
        duplicates += not created
    return adapter.ack(stored, duplicates)


@require_GET
def media_link(request, token: str, filename: str) -> HttpResponse:
    """A file of an agent's reply, fetched by the platform (or the customer) by signed link.

    The file name in the path is only for the platforms that read it; the token alone says
    which file. A bad or expired link is a plain 404: it tells a prober nothing.
    """
    try:
        attachment = social_media.attachment_for_link(token)
    except social_media.BadMediaLink as exc:
        log.info("media link refused: %s", exc)
        return _error(404, "no such file")
    try:
        return attachment_response(attachment)
    except FileNotFoundError:
        return _error(404, "no such file")
