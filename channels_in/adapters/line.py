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

from feedback import quick_replies
from tickets.inbound import IncomingMessage

from .. import social_http
from ..models import InboundEvent, OutboundDelivery, SocialAccount
from ..registry import MalformedPayload, PermanentDeliveryError
from ..social_avatars import request_avatar
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
# Image messages: HTTPS, JPEG or PNG, at most 10 MB (the preview: 1 MB, shown as it loads).
IMAGE_TYPES = ("image/jpeg", "image/png")
MAX_IMAGE_BYTES = 10 * 1024 * 1024
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
        if item.get("type") == "postback" and user_id:
            # A tapped CSAT button: a rating, not a message to file (nor to reopen with).
            data = (item.get("postback") or {}).get("data")
            quick_replies.record_quick_reply(channel="line", handle=user_id, payload=data or "")
            return []
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
                display_name=self._profile_name(user_id, account),
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

    def _profile_name(self, user_id: str, account: SocialAccount) -> str:
        """The display name; the picture (`pictureUrl`) is fetched later, off this path."""
        try:
            response = social_http.request(
                "GET",
                f"{social_http.base_url(account)}/v2/bot/profile/{user_id}",
                headers=bearer(account.get_access_token()),
            )
        except social_http.ProviderUnavailable as exc:
            log.info("LINE profile of %s unavailable: %s", user_id, exc)
            request_avatar(kind="line", handle=user_id, account=account)
            return ""
        if not response.ok:
            return ""
        picture = str(response.body.get("pictureUrl") or "")
        request_avatar(kind="line", handle=user_id, account=account, url=picture)
        return str(response.body.get("displayName", ""))

    # --- outbound ---------------------------------------------------------------------------

    def deliver(self, delivery: OutboundDelivery) -> str:
        ticket = delivery.message.ticket
        account = account_for_ticket(ticket, self.kind)
        token = access_token(account)
        messages = _messages(delivery.message)
        if not messages:
            raise PermanentDeliveryError(_("LINE messages need text."))
        buttons = quick_replies.buttons_for(delivery.message)
        if buttons:  # a CSAT survey: LINE shows quick replies under the last message only
            messages[-1]["quickReply"] = {
                "items": [
                    {
                        "type": "action",
                        "action": {
                            "type": "postback",
                            "label": b.label,
                            "data": b.payload,
                            "displayText": b.label,
                        },
                    }
                    for b in buttons
                ]
            }
        # LINE takes at most five messages a request: the first batch may use the reply
        # token, the rest are pushed, each batch with its own retry key.
        batches = [messages[i : i + MAX_MESSAGES] for i in range(0, len(messages), MAX_MESSAGES)]
        sent = []
        reply_token = _fresh_reply_token(ticket)
        for number, batch in enumerate(batches):
            if number == 0 and reply_token:
                response = social_http.request(
                    "POST",
                    f"{social_http.base_url(account)}/v2/bot/message/reply",
                    json={"replyToken": reply_token, "messages": batch},
                    headers=bearer(token),
                )
                if response.ok:
                    sent.append(_sent_ids(response.body))
                    continue
                # An expired or used token: the message still goes out, by push.
                log.info("LINE reply token refused (%s); pushing instead", response.status)
            sent.append(_push(account, token, delivery, batch, number))
        return " ".join(sent)

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


def _push(account, token: str, delivery: OutboundDelivery, batch: list, number: int) -> str:
    # The first batch keeps the key it always had, so a retry of an older delivery matches.
    key = f"d{delivery.pk}" if number == 0 else f"d{delivery.pk}:{number}"
    response = social_http.request(
        "POST",
        f"{social_http.base_url(account)}/v2/bot/message/push",
        json={"to": delivery.recipient, "messages": batch},
        headers={
            **bearer(token),
            "X-Line-Retry-Key": str(uuid.uuid5(_RETRY_KEY_NAMESPACE, key)),
        },
    )
    if response.ok:
        return _sent_ids(response.body)
    if response.status == 409 and response.headers.get("x-line-accepted-request-id"):
        # Our earlier attempt got through; its response was lost.
        return response.headers["x-line-accepted-request-id"]
    raise PermanentDeliveryError(_line_error(response))


def _messages(message) -> list[dict]:
    """Text pieces, then one image message per JPEG/PNG picture (LINE shows those inline).

    A bot cannot send LINE file, video or audio messages without extra facts (a preview
    picture, the duration), so other files go as a link at the end of the text.
    """
    from ..social_media import outgoing_files

    images, links = [], []
    for item in outgoing_files(message):
        if item.content_type in IMAGE_TYPES and item.size <= MAX_IMAGE_BYTES:
            images.append(
                {"type": "image", "originalContentUrl": item.url, "previewImageUrl": item.url}
            )
        else:
            links.append(f"{item.filename}: {item.url}")
    text = message.body_text
    if links:
        text = "\n\n".join(part for part in [text.strip(), "\n".join(links)] if part)
    return [{"type": "text", "text": piece} for piece in split_text(text, MAX_TEXT)] + images


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
