"""WhatsApp Cloud API: Meta-signed webhooks, media download, text or template replies.

Contract (developers.facebook.com/docs/whatsapp/cloud-api):
- webhook `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
  "messages", "value": {"metadata", "contacts", "messages" | "statuses"}}]}]}`;
- media: GET /{media-id} → `{"url", "mime_type", …}`, then GET that url with the same token;
- send: POST /{phone-number-id}/messages `{"messaging_product": "whatsapp", "to", "type":
  "text", "text": {"body"}}` → `{"messages": [{"id": "wamid…"}]}`; more than 24 hours after
  the customer's last message only a template is accepted (error 131047 otherwise);
- statuses `sent` / `delivered` / `read` / `failed` come back as webhooks.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from tickets.inbound import IncomingMessage

from .. import social_http
from ..models import InboundEvent, OutboundDelivery, SocialAccount
from ..registry import MalformedPayload, PermanentDeliveryError
from ..social_common import (
    SocialAdapter,
    access_token,
    account_for_ticket,
    bearer,
    fetched_attachment,
    from_seconds,
    hours_since_customer,
    location_text,
    record_receipt,
    refuse,
    split_text,
)
from ..social_media import check_attachments, outgoing_files
from .meta import MetaWebhookMixin, graph_error, graph_me

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com/v21.0"
WINDOW_HOURS = 24
MAX_TEXT = 4096
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
# Media sent by link (Cloud API "Supported media types"): bytes per file and accepted types.
SEND_LIMITS = {
    "image": 5 * 1024 * 1024,
    "video": 16 * 1024 * 1024,
    "audio": 16 * 1024 * 1024,
    "file": 100 * 1024 * 1024,
}
SEND_TYPES = {
    "image": ("image/jpeg", "image/png"),
    "video": ("video/mp4", "video/3gpp"),
    "audio": ("audio/aac", "audio/mp4", "audio/mpeg", "audio/amr", "audio/ogg"),
}
# Errors after which a resend cannot help (re-engagement, undeliverable, bad parameters).
PERMANENT_CODES = {100, 131008, 131009, 131021, 131026, 131047, 131051, 132000, 132001}


class WhatsAppAdapter(MetaWebhookMixin, SocialAdapter):
    kind = "whatsapp"

    def events(self, data):
        if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
            raise MalformedPayload("a WhatsApp webhook body has an `entry` list")
        for entry in data["entry"]:
            for change in (entry or {}).get("changes") or []:
                value = change.get("value") if isinstance(change, dict) else None
                if not isinstance(value, dict) or change.get("field") != "messages":
                    continue
                contacts = {
                    str(c.get("wa_id")): (c.get("profile") or {}).get("name", "")
                    for c in value.get("contacts") or []
                }
                for message in value.get("messages") or []:
                    yield str(message.get("id")), {"message": message, "contacts": contacts}
                for status in value.get("statuses") or []:
                    key = f"status:{status.get('id')}:{status.get('status')}"
                    yield key, {"status": status}

    def parse_item(self, item: dict, account: SocialAccount, event: InboundEvent):
        if "status" in item:
            self._status(item["status"])
            return []
        message = item["message"]
        sender = str(message.get("from", ""))
        if not sender:
            raise MalformedPayload("a WhatsApp message without `from`")
        body, attachments = self._content(message, account)
        return [
            IncomingMessage(
                channel="whatsapp",
                identity_kind="whatsapp",
                handle=f"+{sender.lstrip('+')}",
                display_name=item["contacts"].get(sender, ""),
                body_text=body,
                external_id=f"whatsapp:{message.get('id')}",
                attachments=tuple(attachments),
                sent_at=from_seconds(message.get("timestamp")),
            )
        ]

    def _content(self, message: dict, account: SocialAccount):
        kind = message.get("type")
        if kind == "text":
            return (message.get("text") or {}).get("body", ""), []
        if kind in MEDIA_TYPES:
            media = message.get(kind) or {}
            attachment, note = self._media(media, kind, account)
            text = media.get("caption", "")
            if kind == "sticker":
                text = _("(Sticker)")
            return "\n".join(part for part in (text, note) if part), [
                attachment
            ] if attachment else []
        if kind == "location":
            place = message.get("location") or {}
            return location_text(
                place.get("name", ""),
                place.get("address", ""),
                place.get("latitude"),
                place.get("longitude"),
            ), []
        if kind == "button":
            return (message.get("button") or {}).get("text", ""), []
        if kind == "interactive":
            reply = message.get("interactive") or {}
            chosen = reply.get("button_reply") or reply.get("list_reply") or {}
            return chosen.get("title", ""), []
        if kind == "reaction":
            return (message.get("reaction") or {}).get("emoji", ""), []
        return _("(A %(kind)s message that cannot be shown here)") % {"kind": kind}, []

    def _media(self, media: dict, kind: str, account: SocialAccount):
        headers = bearer(account.get_access_token())
        response = social_http.request(
            "GET", f"{social_http.base_url(account)}/{media.get('id')}", headers=headers
        )
        if not response.ok or not response.body.get("url"):
            raise social_http.ProviderUnavailable(
                f"WhatsApp media {media.get('id')}: HTTP {response.status} {response.text[:200]}"
            )
        return fetched_attachment(
            response.body["url"],
            filename=media.get("filename", ""),
            stem=f"whatsapp-{kind}",
            content_type=media.get("mime_type") or response.body.get("mime_type", ""),
            headers=headers,
        )

    def _status(self, status: dict) -> None:
        state = status.get("status")
        at = from_seconds(status.get("timestamp"))
        if state in ("delivered", "read"):
            record_receipt(kind=self.kind, provider_id=str(status.get("id")), receipt=state, at=at)
        elif state == "failed":
            errors = status.get("errors") or [{}]
            reason = errors[0].get("title") or errors[0].get("message") or ""
            record_receipt(
                kind=self.kind,
                provider_id=str(status.get("id")),
                receipt="undelivered",
                at=at,
                error=_("WhatsApp could not deliver the message: %(reason)s (%(code)s)")
                % {"reason": reason, "code": errors[0].get("code", "")},
            )

    # --- outbound ---------------------------------------------------------------------------

    def _payload(self, delivery_text: str, ticket, account: SocialAccount) -> dict | None:
        hours = hours_since_customer(ticket)
        if hours is not None and hours < WINDOW_HOURS:
            return {"type": "text", "text": {"body": delivery_text, "preview_url": False}}
        if account.template_name:
            # The approved template has one body variable that carries the agent's reply.
            return {
                "type": "template",
                "template": {
                    "name": account.template_name,
                    "language": {"code": account.template_language or "ja"},
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": delivery_text}]}
                    ],
                },
            }
        return None

    def _closed_text(self) -> str:
        return _(
            "24-hour window closed: WhatsApp only accepts a message template now. Configure "
            "an approved template for this number in Settings → Social accounts."
        )

    def check_reply(self, message) -> None:
        try:
            account = account_for_ticket(message.ticket, self.kind)
        except PermanentDeliveryError as exc:
            refuse(str(exc))
        payload = self._payload(message.body_text, message.ticket, account)
        if payload is None:
            refuse(self._closed_text())
        if outgoing_files(message):
            if payload["type"] == "template":
                refuse(
                    _(
                        "24-hour window closed: WhatsApp only accepts the message template now, "
                        "which cannot carry files. Send the text alone."
                    )
                )
            check_attachments(message, platform="WhatsApp", limits=SEND_LIMITS, accepted=SEND_TYPES)

    def deliver(self, delivery: OutboundDelivery) -> str:
        ticket = delivery.message.ticket
        account = account_for_ticket(ticket, self.kind)
        token = access_token(account)
        ids = []
        for piece in split_text(delivery.message.body_text, MAX_TEXT):
            payload = self._payload(piece, ticket, account)
            if payload is None:
                raise PermanentDeliveryError(self._closed_text())
            response = social_http.request(
                "POST",
                f"{social_http.base_url(account)}/{account.external_id}/messages",
                json={
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": delivery.recipient.lstrip("+"),
                    **payload,
                },
                headers=bearer(token),
            )
            if not response.ok:
                error = response.body.get("error") or {}
                if error.get("code") in PERMANENT_CODES:
                    raise PermanentDeliveryError(
                        _("WhatsApp refused the message (error %(code)s): %(detail)s")
                        % {"code": error.get("code"), "detail": error.get("message", "")}
                    )
                raise graph_error(response, "WhatsApp")
            ids += [str(m.get("id")) for m in response.body.get("messages") or []]
        for item in outgoing_files(delivery.message):
            ids += self._send_media(item, delivery, account, token)
        if not ids:
            raise PermanentDeliveryError(_("WhatsApp messages need text."))
        return " ".join(ids)

    def _send_media(self, item, delivery: OutboundDelivery, account, token: str) -> list[str]:
        hours = hours_since_customer(delivery.message.ticket)
        if hours is None or hours >= WINDOW_HOURS:
            raise PermanentDeliveryError(
                _("24-hour window closed: WhatsApp does not accept files outside it.")
            )
        kind = "document" if item.family == "file" else item.family
        media = {"link": item.url}
        if kind == "document":
            media["filename"] = item.filename
        response = social_http.request(
            "POST",
            f"{social_http.base_url(account)}/{account.external_id}/messages",
            json={
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": delivery.recipient.lstrip("+"),
                "type": kind,
                kind: media,
            },
            headers=bearer(token),
        )
        if not response.ok:
            error = response.body.get("error") or {}
            if error.get("code") in PERMANENT_CODES:
                raise PermanentDeliveryError(
                    _("WhatsApp refused the file “%(name)s” (error %(code)s): %(detail)s")
                    % {
                        "name": item.filename,
                        "code": error.get("code"),
                        "detail": error.get("message", ""),
                    }
                )
            raise graph_error(response, "WhatsApp")
        return [str(m.get("id")) for m in response.body.get("messages") or []]

    def test_connection(self, account: SocialAccount):
        return graph_me(
            account,
            "WhatsApp",
            path=account.external_id or "me",
            fields="id,display_phone_number,verified_name",
        )
