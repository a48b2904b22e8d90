"""LINE Messaging API: webhooks signed with X-Line-Signature, replies by reply token or push.

Contract (developers.line.biz/en/reference/messaging-api/):
- webhook body `{"destination", "events": [...]}`, signature = base64(HMAC-SHA256(channel
  secret, raw body)); each event carries `webhookEventId` (stable across redeliveries);
- media: GET api-data.line.me/v2/bot/message/{id}/content; profile: GET /v2/bot/profile/{uid};
- reply: POST /v2/bot/message/reply with a reply token (single use, valid about a minute),
  otherwise push: POST /v2/bot/message/push with X-Line-Retry-Key so a retried push after a
  lost response is not sent twice (LINE answers 409 for a key it already accepted).
"""

from __future__ import annotations

import base64
import logging
import uuid
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.inbound import IncomingMessage

from .. import social_http
from ..models import InboundEvent, OutboundDelivery, SocialAccount
from ..registry import MalformedPayload, PermanentDeliveryError
from ..social_common import (
    ConnectionCheck,
    SocialAdapter,
    access_token,
    account_for_ticket,
    bearer,
    decode_json,
    fetched_attachment,
    from_millis,
    hash_key,
    hmac_sha256,
    location_text,
    same,
    split_text,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.line.me"
DATA_BASE_URL = "https://api-data.line.me"
# A reply token lives about a minute; leave room for the queue and the request itself.
REPLY_TOKEN_TTL = timedelta(seconds=50)
MAX_TEXT = 5000
MAX_MESSAGES = 5  # per reply / push request
_RETRY_KEY_NAMESPACE = uuid.UUID("0b5c5e8e-7c41-4a0c-9a43-4d0f0f3c7a11")


class LineAdapter(SocialAdapter):
    kind = "line"
    kept_headers = ("Content-Type", "X-Line-Signature")

    def verify(self, request, body: bytes, account: SocialAccount) -> bool:
        expected = base64.b64encode(hmac_sha256(account.get_secret(), body)).decode("ascii")
        return same(request.headers.get("X-Line-Signature", ""), expected)

    def events(self, data):
        if not isinstance(data, dict) or not isinstance(data.get("events"), list):
            raise MalformedPayload("a LINE webhook body has an `events` list")
        for item in data["events"]:
            if not isinstance(item, dict):
                raise MalformedPayload("a LINE event is an object")
            key = item.get("webhookEventId") or (item.get("message") or {}).get("id")
            yield str(key or hash_key(item)), item

    def parse_item(self, item: dict, account: SocialAccount, event: InboundEvent):
        source = item.get("source") or {}
        user_id = source.get("userId", "")
        if item.get("type") != "message" or not user_id:
            # follow / unfollow / postback / beacon / join …: stored, nothing to file.
            return []
        if source.get("type", "user") != "user":
            # A group or room: a reply would go to everyone there, not this customer.
            log.info("LINE %s message in a %s ignored", account.pk, source.get("type"))
            return []
        message = item.get("message") or {}
        body, attachments = self._content(message, account)
        return [
            IncomingMessage(
                channel="line",
                identity_kind="line",
                handle=user_id,
                display_name=self._display_name(user_id, account),
                body_text=body,
                external_id=f"line:{message.get('id') or event.idempotency_key}",
                attachments=tuple(attachments),
                sent_at=from_millis(item.get("timestamp")),
            )
        ]

    def _content(self, message: dict, account: SocialAccount):
        kind = message.get("type")
        if kind == "text":
            return message.get("text", ""), []
        if kind == "sticker":
            words = ", ".join(message.get("keywords") or [])
            text = _("(Sticker)")
            return (f"{text} {words}" if words else text), []
        if kind == "location":
            return location_text(
                message.get("title", ""),
                message.get("address", ""),
                message.get("latitude"),
                message.get("longitude"),
            ), []
        if kind in ("image", "video", "audio", "file"):
            provider = message.get("contentProvider") or {}
            if provider.get("type") == "external" and provider.get("originalContentUrl"):
                url, headers = provider["originalContentUrl"], None
            else:
                url = f"{_data_base(account)}/v2/bot/message/{message.get('id')}/content"
                headers = bearer(account.get_access_token())
            attachment, note = fetched_attachment(
                url, filename=message.get("fileName", ""), stem=f"line-{kind}", headers=headers
            )
            return note, [attachment] if attachment else []
        return _("(A %(kind)s message that cannot be shown here)") % {"kind": kind}, []

    def _display_name(self, user_id: str, account: SocialAccount) -> str:
        try:
            response = social_http.request(
                "GET",
                f"{social_http.base_url(account)}/v2/bot/profile/{user_id}",
                headers=bearer(account.get_access_token()),
            )
        except social_http.ProviderUnavailable as exc:
            log.info("LINE profile of %s unavailable: %s", user_id, exc)
            return ""
        return str(response.body.get("displayName", "")) if response.ok else ""

    # --- outbound ---------------------------------------------------------------------------

    def deliver(self, delivery: OutboundDelivery) -> str:
        ticket = delivery.message.ticket
        account = account_for_ticket(ticket, self.kind)
        token = access_token(account)
        pieces = split_text(delivery.message.body_text, MAX_TEXT)[:MAX_MESSAGES]
        if not pieces:
            raise PermanentDeliveryError(_("LINE messages need text."))
        messages = [{"type": "text", "text": piece} for piece in pieces]
        reply_token = _fresh_reply_token(ticket)
        if reply_token:
            response = social_http.request(
                "POST",
                f"{social_http.base_url(account)}/v2/bot/message/reply",
                json={"replyToken": reply_token, "messages": messages},
                headers=bearer(token),
            )
            if response.ok:
                return _sent_ids(response.body)
            # An expired or used token: the message still goes out, by push.
            log.info("LINE reply token refused (%s); pushing instead", response.status)
        response = social_http.request(
            "POST",
            f"{social_http.base_url(account)}/v2/bot/message/push",
            json={"to": delivery.recipient, "messages": messages},
            headers={
                **bearer(token),
                "X-Line-Retry-Key": str(uuid.uuid5(_RETRY_KEY_NAMESPACE, f"d{delivery.pk}")),
            },
        )
        if response.ok:
            return _sent_ids(response.body)
        if response.status == 409 and response.headers.get("x-line-accepted-request-id"):
            # Our earlier attempt got through; its response was lost.
            return response.headers["x-line-accepted-request-id"]
        raise PermanentDeliveryError(_line_error(response))

    def test_connection(self, account: SocialAccount) -> ConnectionCheck:
        try:
            response = social_http.request(
                "GET",
                f"{social_http.base_url(account)}/v2/bot/info",
                headers=bearer(account.get_access_token()),
            )
        except social_http.ProviderUnavailable as exc:
            return ConnectionCheck(False, _("LINE could not be reached: %(e)s") % {"e": exc})
        if not response.ok:
            return ConnectionCheck(False, _line_error(response))
        name = response.body.get("displayName", "")
        if not account.external_id and response.body.get("userId"):
            account.external_id = str(response.body["userId"])
        return ConnectionCheck(True, _("Connected to the LINE bot “%(name)s”.") % {"name": name})


def _data_base(account: SocialAccount) -> str:
    base = social_http.base_url(account)
    return DATA_BASE_URL if base == DEFAULT_BASE_URL else base


def _fresh_reply_token(ticket) -> str:
    """The newest unused reply token of this ticket's LINE events, if still valid."""
    since = timezone.now() - REPLY_TOKEN_TTL
    events = InboundEvent.objects.filter(
        kind="line", message__ticket=ticket, received_at__gte=since
    ).order_by("-received_at")[:5]
    for event in events:
        try:
            data = decode_json(bytes(event.payload))
        except MalformedPayload:
            continue
        for key, item in LineAdapter().keyed_events(data):
            token = item.get("replyToken")
            mine = token and key == event.headers.get("madoguchi-event")
            # Single use: the first delivery that claims it gets it.
            if mine and cache.add(f"line-reply-token:{token}", 1, timeout=120):
                return token
    return ""


def _sent_ids(body: dict) -> str:
    ids = [str(item.get("id", "")) for item in body.get("sentMessages", []) if item.get("id")]
    return " ".join(ids) or "accepted"


def _line_error(response: social_http.ProviderResponse) -> str:
    detail = response.body.get("message") or response.text[:300]
    details = response.body.get("details") or []
    if details:
        detail += " (" + "; ".join(str(d.get("message", "")) for d in details[:3]) + ")"
    if response.status in (401, 403):
        return _("LINE refused the channel access token (%(detail)s): update it in Settings.") % {
            "detail": detail
        }
    return _("LINE refused the message (HTTP %(status)s): %(detail)s") % {
        "status": response.status,
        "detail": detail,
    }
