"""Facebook Messenger and Instagram direct messages (Meta webhooks and the Send API).

Contract (developers.facebook.com/docs/messenger-platform, /docs/graph-api/webhooks):
- GET handshake: `hub.mode=subscribe`, `hub.verify_token`, `hub.challenge` → the challenge as
  text when the token matches, else 403;
- POST bodies signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`;
  `{"object": "page"|"instagram", "entry": [{"id", "time", "messaging": [...]}]}`;
- send: POST /{page-id}/messages `{"recipient": {"id"}, "messaging_type", "message"}` →
  `{"recipient_id", "message_id"}`; outside the 24-hour window only with
  `messaging_type=MESSAGE_TAG, tag=HUMAN_AGENT` (up to 7 days after the customer wrote);
  errors `{"error": {"message", "type", "code", "error_subcode"}}`.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
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
    fetched_attachment,
    from_millis,
    hash_key,
    hmac_sha256,
    hours_since_customer,
    location_text,
    record_receipt,
    refuse,
    same,
    split_text,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com/v21.0"
WINDOW_HOURS = 24
HUMAN_AGENT_HOURS = 24 * 7
MAX_TEXT = 2000
# What the Send API takes by URL (bytes per file); Instagram DMs take no other files.
MESSENGER_MEDIA_LIMITS = {
    "image": 25 * 1024 * 1024,
    "video": 25 * 1024 * 1024,
    "audio": 25 * 1024 * 1024,
    "file": 25 * 1024 * 1024,
}
INSTAGRAM_MEDIA_LIMITS = {
    "image": 8 * 1024 * 1024,
    "video": 25 * 1024 * 1024,
    "audio": 25 * 1024 * 1024,
}
# Graph error codes that mean "slow down / try later" rather than "never".
TRANSIENT_CODES = {1, 2, 4, 17, 32, 341, 613, 80006}


class MetaWebhookMixin:
    """The Meta webhook contract shared by Messenger, Instagram and WhatsApp."""

    kept_headers = ("Content-Type", "X-Hub-Signature-256")

    def handshake(self, request, account: SocialAccount) -> HttpResponse | None:
        mode = request.GET.get("hub.mode")
        token = request.GET.get("hub.verify_token", "")
        challenge = request.GET.get("hub.challenge", "")
        if mode == "subscribe" and challenge and same(token, account.verify_token):
            return HttpResponse(challenge, content_type="text/plain")
        log.warning("Meta verification for %s %s refused", account.kind, account.pk)
        return JsonResponse({"error": "verification token mismatch"}, status=403)

    def verify(self, request, body: bytes, account: SocialAccount) -> bool:
        expected = "sha256=" + hmac_sha256(account.get_secret(), body).hex()
        return same(request.headers.get("X-Hub-Signature-256", "").lower(), expected)


def graph_error(response: social_http.ProviderResponse, platform: str) -> Exception:
    """A Graph API refusal: transient codes are retried, the rest are final."""
    error = response.body.get("error") or {}
    code = error.get("code")
    detail = error.get("message") or response.text[:300]
    if code in TRANSIENT_CODES:
        return social_http.ProviderUnavailable(f"{platform} error {code}: {detail}")
    if code == 190 or response.status == 401:
        return PermanentDeliveryError(
            _("%(platform)s refused the access token (%(detail)s): update it in Settings.")
            % {"platform": platform, "detail": detail}
        )
    if code == 10 and error.get("error_subcode") == 2018278:
        return PermanentDeliveryError(
            _("%(platform)s: the customer's messaging window is closed (%(detail)s).")
            % {"platform": platform, "detail": detail}
        )
    return PermanentDeliveryError(
        _("%(platform)s refused the message (error %(code)s): %(detail)s")
        % {"platform": platform, "code": code or response.status, "detail": detail}
    )


class MetaMessagingAdapter(MetaWebhookMixin, SocialAdapter):
    """Messenger (`object: page`) and Instagram (`object: instagram`) share one shape."""

    def __init__(self, kind: str, platform: str, webhook_object: str) -> None:
        self.kind = kind
        self.platform = platform
        self.webhook_object = webhook_object

    def events(self, data):
        if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
            raise MalformedPayload("a Meta webhook body has an `entry` list")
        if data.get("object") != self.webhook_object:
            raise MalformedPayload(f"expected object {self.webhook_object!r}")
        for entry in data["entry"]:
            if not isinstance(entry, dict):
                raise MalformedPayload("a Meta entry is an object")
            for item in entry.get("messaging") or []:
                if not isinstance(item, dict):
                    raise MalformedPayload("a messaging event is an object")
                yield _item_key(item), item

    def parse_item(self, item: dict, account: SocialAccount, event: InboundEvent):
        sender = str((item.get("sender") or {}).get("id", ""))
        if "delivery" in item:
            for mid in item["delivery"].get("mids") or []:
                record_receipt(kind=self.kind, provider_id=str(mid), receipt="delivered")
            return []
        if "read" in item:
            self._mark_read(sender, item["read"])
            return []
        message = item.get("message")
        if not isinstance(message, dict) or message.get("is_echo") or not sender:
            return []  # our own sends echoed back, reactions, postbacks: nothing to file
        tapped = (message.get("quick_reply") or {}).get("payload")
        if quick_replies.is_ours(tapped):
            # A tapped CSAT button: a rating, not a message to file (nor to reopen with).
            quick_replies.record_quick_reply(channel=self.kind, handle=sender, payload=tapped)
            return []
        body = message.get("text", "")
        attachments, notes = [], []
        for attachment in message.get("attachments") or []:
            payload = attachment.get("payload") or {}
            if attachment.get("type") == "location" and payload.get("coordinates"):
                coords = payload["coordinates"]
                notes.append(
                    location_text(
                        attachment.get("title", ""), "", coords.get("lat"), coords.get("long")
                    )
                )
            elif payload.get("url"):
                got, note = fetched_attachment(
                    payload["url"], stem=f"{self.kind}-{attachment.get('type', 'file')}"
                )
                if got:
                    attachments.append(got)
                if note:
                    notes.append(note)
            if payload.get("sticker_id"):
                notes.append(_("(Sticker)"))
        return [
            IncomingMessage(
                channel=self.kind,
                identity_kind=self.kind,
                handle=sender,
                display_name=self._display_name(sender, account),
                body_text="\n".join(part for part in [body, *notes] if part),
                external_id=f"{self.kind}:{message.get('mid') or event.idempotency_key}",
                attachments=tuple(attachments),
                sent_at=from_millis(item.get("timestamp")),
            )
        ]

    def _mark_read(self, sender: str, read: dict) -> None:
        from ..models import DeliveryStatus

        watermark = from_millis(read.get("watermark"))
        if watermark is None:
            return
        sent = OutboundDelivery.objects.filter(
            kind=self.kind,
            recipient=sender,
            status=DeliveryStatus.SENT,
            sent_at__lte=watermark,
        ).exclude(receipt="read")
        for provider_id in sent.values_list("provider_id", flat=True):
            record_receipt(kind=self.kind, provider_id=provider_id, receipt="read", at=watermark)

    def _display_name(self, user_id: str, account: SocialAccount) -> str:
        fields = "name,username" if self.kind == "instagram" else "first_name,last_name,name"
        fields += ",profile_pic"
        try:
            response = social_http.request(
                "GET",
                f"{social_http.base_url(account)}/{user_id}",
                params={"fields": fields},
                headers=bearer(account.get_access_token()),
            )
        except social_http.ProviderUnavailable:
            request_avatar(kind=self.kind, handle=user_id, account=account)
            return ""
        if not response.ok:
            return ""
        body = response.body
        # The picture itself is downloaded later, off the ingest path.
        picture = str(body.get("profile_pic") or "")
        request_avatar(kind=self.kind, handle=user_id, account=account, url=picture)
        name = body.get("name") or " ".join(
            part for part in (body.get("first_name"), body.get("last_name")) if part
        )
        return str(name or body.get("username") or "")

    # --- outbound ---------------------------------------------------------------------------

    def _window(self, ticket, account: SocialAccount | None) -> dict | None:
        """The send parameters the platform allows now, or None when it allows nothing."""
        hours = hours_since_customer(ticket)
        if hours is not None and hours < WINDOW_HOURS:
            return {"messaging_type": "RESPONSE"}
        human_agent = account is None or account.use_human_agent_tag
        if hours is not None and hours < HUMAN_AGENT_HOURS and human_agent:
            return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
        return None

    def _closed_text(self) -> str:
        return _(
            "%(platform)s only accepts replies within 24 hours of the customer's last message "
            "(7 days with the human agent tag). Reach the customer on another channel."
        ) % {"platform": self.platform}

    def check_reply(self, message) -> None:
        try:
            account = account_for_ticket(message.ticket, self.kind)
        except PermanentDeliveryError as exc:
            refuse(str(exc))
        if self._window(message.ticket, account) is None:
            refuse(self._closed_text())
        from ..social_media import check_attachments

        check_attachments(
            message,
            platform=self.platform,
            limits=INSTAGRAM_MEDIA_LIMITS if self.kind == "instagram" else MESSENGER_MEDIA_LIMITS,
        )

    def deliver(self, delivery: OutboundDelivery) -> str:
        ticket = delivery.message.ticket
        account = account_for_ticket(ticket, self.kind)
        token = access_token(account)
        window = self._window(ticket, account)
        if window is None:
            raise PermanentDeliveryError(self._closed_text())
        ids = []
        pieces = split_text(delivery.message.body_text, MAX_TEXT)
        buttons = quick_replies.buttons_for(delivery.message)
        for index, piece in enumerate(pieces):
            sent: dict = {"text": piece}
            if buttons and index == len(pieces) - 1:  # a CSAT survey: buttons under the end
                sent["quick_replies"] = [
                    {"content_type": "text", "title": b.label, "payload": b.payload}
                    for b in buttons
                ]
            response = social_http.request(
                "POST",
                f"{social_http.base_url(account)}/{account.external_id or 'me'}/messages",
                json={
                    "recipient": {"id": delivery.recipient},
                    "message": sent,
                    **window,
                },
                headers=bearer(token),
            )
            if not response.ok:
                raise graph_error(response, self.platform)
            ids.append(str(response.body.get("message_id", "")))
        from ..social_media import outgoing_files

        for item in outgoing_files(delivery.message):
            # One attachment per Send API call; Meta fetches the file from our signed link.
            response = social_http.request(
                "POST",
                f"{social_http.base_url(account)}/{account.external_id or 'me'}/messages",
                json={
                    "recipient": {"id": delivery.recipient},
                    "message": {
                        "attachment": {
                            "type": item.family,
                            "payload": {"url": item.url, "is_reusable": False},
                        }
                    },
                    **window,
                },
                headers=bearer(token),
            )
            if not response.ok:
                raise graph_error(response, self.platform)
            ids.append(str(response.body.get("message_id", "")))
        if not ids:
            raise PermanentDeliveryError(
                _("%(platform)s messages need text.") % {"platform": self.platform}
            )
        return " ".join(ids)

    def test_connection(self, account: SocialAccount) -> ConnectionCheck:
        return graph_me(account, self.platform)


def graph_me(
    account: SocialAccount, platform: str, path: str = "me", fields: str = "id,name"
) -> ConnectionCheck:
    try:
        response = social_http.request(
            "GET",
            f"{social_http.base_url(account)}/{path}",
            params={"fields": fields},
            headers=bearer(account.get_access_token()),
        )
    except social_http.ProviderUnavailable as exc:
        return ConnectionCheck(
            False, _("%(platform)s could not be reached: %(e)s") % {"platform": platform, "e": exc}
        )
    if not response.ok:
        return ConnectionCheck(False, str(graph_error(response, platform)))
    body = response.body
    name = body.get("name") or body.get("verified_name") or body.get("display_phone_number")
    return ConnectionCheck(
        True, _("Connected to %(platform)s as “%(name)s”.") % {"platform": platform, "name": name}
    )


def _item_key(item: dict) -> str:
    message = item.get("message")
    if isinstance(message, dict) and message.get("mid"):
        return str(message["mid"])
    sender = (item.get("sender") or {}).get("id", "")
    if isinstance(item.get("read"), dict):
        return f"read:{sender}:{item['read'].get('watermark', '')}"
    if isinstance(item.get("delivery"), dict):
        return f"delivery:{sender}:{item['delivery'].get('watermark', '')}"
    return hash_key(item)


def messenger_adapter() -> MetaMessagingAdapter:
    return MetaMessagingAdapter("messenger", "Messenger", "page")


def instagram_adapter() -> MetaMessagingAdapter:
    return MetaMessagingAdapter("instagram", "Instagram", "instagram")
