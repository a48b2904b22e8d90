"""Telegram bots: webhook updates with a secret token, replies by sendMessage.

Contract (core.telegram.org/bots/api):
- setWebhook(url, secret_token) makes Telegram send `X-Telegram-Bot-Api-Secret-Token` with
  every update; an update is `{"update_id", "message": {"message_id", "from", "chat", "date",
  "text" | "photo" | "document" | "sticker" | "location" | …}}`;
- files: getFile?file_id → `{"ok": true, "result": {"file_path"}}`, then
  GET /file/bot<token>/<file_path>;
- every method answers `{"ok": true, "result": …}` or `{"ok": false, "error_code",
  "description", "parameters": {"retry_after"}}`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

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
    fetched_attachment,
    from_seconds,
    location_text,
    same,
    split_text,
)
from ..social_media import check_attachments, outgoing_files

DEFAULT_BASE_URL = "https://api.telegram.org"
MAX_TEXT = 4096
FILE_KINDS = ("document", "video", "audio", "voice", "animation", "video_note", "sticker")
# Bots upload photos up to 10 MB (shown inline) and any other file up to 50 MB.
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
PHOTO_BYTES = 10 * 1024 * 1024
SEND_LIMITS = dict.fromkeys(("image", "video", "audio", "file"), 50 * 1024 * 1024)


class TelegramAdapter(SocialAdapter):
    kind = "telegram"
    kept_headers = ("Content-Type",)  # the secret token itself is not worth keeping

    def verify(self, request, body: bytes, account: SocialAccount) -> bool:
        return same(
            request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), account.get_secret()
        )

    def events(self, data):
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise MalformedPayload("a Telegram update has an integer `update_id`")
        yield str(data["update_id"]), data

    def parse_item(self, update: dict, account: SocialAccount, event: InboundEvent):
        message = update.get("message")
        if not isinstance(message, dict):
            return []  # edits, callback queries, channel posts: stored, nothing to file
        chat = message.get("chat") or {}
        if chat.get("type", "private") != "private":
            return []  # a group: a reply there would not be private to this customer
        sender = message.get("from") or {}
        name = " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)
        body, attachments = self._content(message, account)
        if sender.get("id") and not sender.get("is_bot"):
            # getUserProfilePhotos → getFile, later and off this path.
            request_avatar(
                kind="telegram", handle=str(chat.get("id") or sender["id"]), account=account
            )
        return [
            IncomingMessage(
                channel="telegram",
                identity_kind="telegram",
                handle=str(chat.get("id") or sender.get("id")),
                display_name=name or sender.get("username", ""),
                body_text=body,
                external_id=f"telegram:{account.pk}:{chat.get('id')}:{message.get('message_id')}",
                attachments=tuple(attachments),
                sent_at=from_seconds(message.get("date")),
            )
        ]

    def _content(self, message: dict, account: SocialAccount):
        text = message.get("text") or message.get("caption") or ""
        notes, attachments = [], []
        if message.get("photo"):
            largest = message["photo"][-1]  # PhotoSize list, smallest first
            self._fetch(largest["file_id"], "", "telegram-photo", account, attachments, notes)
        for kind in FILE_KINDS:
            item = message.get(kind)
            if isinstance(item, dict) and item.get("file_id"):
                if kind == "sticker":
                    notes.append(f"{_('(Sticker)')} {item.get('emoji', '')}".strip())
                self._fetch(
                    item["file_id"],
                    item.get("file_name", ""),
                    f"telegram-{kind}",
                    account,
                    attachments,
                    notes,
                    item.get("mime_type", ""),
                )
        if isinstance(message.get("location"), dict):
            place = message.get("venue") or {}
            notes.append(
                location_text(
                    place.get("title", ""),
                    place.get("address", ""),
                    message["location"].get("latitude"),
                    message["location"].get("longitude"),
                )
            )
        if isinstance(message.get("contact"), dict):
            contact = message["contact"]
            notes.append(f"{contact.get('first_name', '')} {contact.get('phone_number', '')}")
        return "\n".join(part for part in [text, *notes] if part), attachments

    def _fetch(self, file_id, filename, stem, account, attachments, notes, content_type=""):
        base, token = social_http.base_url(account), account.get_access_token()
        response = social_http.request(
            "GET", f"{base}/bot{token}/getFile", params={"file_id": file_id}
        )
        path = (response.body.get("result") or {}).get("file_path")
        if not response.body.get("ok") or not path:
            # Bots may only download files up to 20 MB: keep the message, say so.
            notes.append(
                _("(A file could not be downloaded from Telegram: %(reason)s)")
                % {"reason": response.body.get("description", response.status)}
            )
            return
        attachment, note = fetched_attachment(
            f"{base}/file/bot{token}/{path}",
            filename=filename or path.rsplit("/", 1)[-1],
            stem=stem,
            content_type=content_type,
        )
        if attachment:
            attachments.append(attachment)
        if note:
            notes.append(note)

    def check_reply(self, message) -> None:
        super().check_reply(message)
        check_attachments(message, platform="Telegram", limits=SEND_LIMITS)

    def deliver(self, delivery: OutboundDelivery) -> str:
        account = account_for_ticket(delivery.message.ticket, self.kind)
        token = access_token(account)
        base = f"{social_http.base_url(account)}/bot{token}"
        ids = []
        for piece in split_text(delivery.message.body_text, MAX_TEXT):
            response = social_http.request(
                "POST", f"{base}/sendMessage", json={"chat_id": delivery.recipient, "text": piece}
            )
            ids.append(_message_id(response))
        for item in outgoing_files(delivery.message):
            # Uploaded, not linked: Telegram fetches only GIF, PDF and ZIP documents by URL.
            photo = item.content_type in PHOTO_TYPES and item.size <= PHOTO_BYTES
            method, field = ("sendPhoto", "photo") if photo else ("sendDocument", "document")
            with item.attachment.file.open("rb") as handle:
                content = handle.read()
            response = social_http.request(
                "POST",
                f"{base}/{method}",
                data={"chat_id": delivery.recipient},
                files={field: (item.filename, content, item.content_type)},
            )
            ids.append(_message_id(response))
        if not ids:
            raise PermanentDeliveryError(_("Telegram messages need text."))
        return " ".join(ids)

    def test_connection(self, account: SocialAccount) -> ConnectionCheck:
        try:
            response = social_http.request(
                "GET", f"{social_http.base_url(account)}/bot{account.get_access_token()}/getMe"
            )
        except social_http.ProviderUnavailable as exc:
            return ConnectionCheck(False, _("Telegram could not be reached: %(e)s") % {"e": exc})
        if not response.body.get("ok"):
            return ConnectionCheck(
                False,
                _("Telegram refused the bot token: %(reason)s")
                % {"reason": response.body.get("description") or response.status},
            )
        bot = response.body.get("result") or {}
        if not account.external_id and bot.get("username"):
            account.external_id = bot["username"]
        return ConnectionCheck(
            True, _("Connected to the bot @%(name)s.") % {"name": bot.get("username", "")}
        )


def _message_id(response: social_http.ProviderResponse) -> str:
    if not response.body.get("ok"):
        reason = response.body.get("description") or response.text[:300]
        if response.status == 401:
            raise PermanentDeliveryError(
                _("Telegram refused the bot token (%(reason)s): update it in Settings.")
                % {"reason": reason}
            )
        raise PermanentDeliveryError(
            _("Telegram refused the message: %(reason)s") % {"reason": reason}
        )
    return str((response.body.get("result") or {}).get("message_id", ""))
