"""Files an agent attaches to a social reply: how the platforms get them.

Most messaging APIs take media by URL and fetch it themselves (LINE image messages, Messenger
and Instagram attachments, WhatsApp `link`, Telegram sendPhoto/sendDocument, Twilio
`MediaUrl`). We hand them a public link to the file that is

- signed (`django.core.signing`, its own salt): nobody can guess or edit it into another file;
- tied to the attachment's random token: re-issuing the attachment revokes every link;
- expiring (MEDIA_LINK_TTL): a link leaked from a platform's logs stops working;
- only for files on a *public agent reply*: internal notes and customer uploads never leave.

Each platform has its own size and type rules; `check_attachments` refuses before sending, in
the agent's reply transaction, with a sentence the agent can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _

from tickets.models import Attachment, AuthorKind, Message

from .social_common import refuse

SALT = "channels_in.media-link"
# LINE fetches an image when the customer opens it, possibly days later; Meta and WhatsApp
# fetch at send time. A week covers the first without leaving links open for good.
MEDIA_LINK_TTL = timedelta(days=7)
MAX_TOKEN_CHARS = 200


class BadMediaLink(Exception):
    """Not ours, edited, expired, or names a file that may not leave."""


@dataclass(frozen=True)
class OutgoingFile:
    attachment: Attachment
    url: str

    @property
    def content_type(self) -> str:
        return self.attachment.content_type or "application/octet-stream"

    @property
    def family(self) -> str:
        """image / video / audio / file — the word most platforms use."""
        major = self.content_type.split("/", 1)[0]
        return major if major in ("image", "video", "audio") else "file"

    @property
    def filename(self) -> str:
        return self.attachment.filename

    @property
    def size(self) -> int:
        return self.attachment.size


def media_token(attachment: Attachment) -> str:
    return signing.dumps([attachment.pk, attachment.token], salt=SALT, compress=False)


def public_media_url(attachment: Attachment) -> str:
    path = reverse(
        "webhooks:media",
        kwargs={"token": media_token(attachment), "filename": _safe_name(attachment)},
    )
    return f"{settings.SITE_URL}{path}"


def attachment_for_link(token: str) -> Attachment:
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise BadMediaLink("not a media link")
    try:
        value = signing.loads(token, salt=SALT, max_age=MEDIA_LINK_TTL)
    except signing.SignatureExpired as exc:
        raise BadMediaLink("expired") from exc
    except signing.BadSignature as exc:
        raise BadMediaLink("bad signature") from exc
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)):
        raise BadMediaLink("not a media link")
    attachment = (
        Attachment.objects.select_related("message")
        .filter(
            pk=value[0],
            token=value[1],
            message__author_kind=AuthorKind.AGENT,
            message__internal=False,
        )
        .first()
    )
    if attachment is None:
        raise BadMediaLink("no such public file")
    return attachment


def outgoing_files(message: Message) -> list[OutgoingFile]:
    if message.internal:
        return []
    return [OutgoingFile(a, public_media_url(a)) for a in message.attachments.order_by("id")]


def check_attachments(
    message: Message,
    *,
    platform: str,
    limits: dict[str, int],
    accepted: dict[str, tuple[str, ...]] | None = None,
) -> None:
    """Refuse a reply whose files the platform would refuse.

    `limits` maps a family (image/video/audio/file) to its byte limit; a family missing from
    it cannot be sent on this platform. `accepted` narrows a family to content types.
    """
    for item in outgoing_files(message):
        family = item.family
        allowed = (accepted or {}).get(family)
        if family not in limits or (allowed and item.content_type not in allowed):
            refuse(
                _("%(platform)s cannot receive the file “%(name)s” (%(type)s) from us.")
                % {"platform": platform, "name": item.filename, "type": item.content_type}
            )
        if item.size > limits[family]:
            refuse(
                _("“%(name)s” is too large for %(platform)s (at most %(limit)s).")
                % {
                    "name": item.filename,
                    "platform": platform,
                    "limit": filesizeformat(limits[family]),
                }
            )


def _safe_name(attachment: Attachment) -> str:
    """The file name in the URL: platforms show it and some derive the type from its
    extension; anything outside a plain ASCII set becomes "_" ("写真.jpg" → "file.jpg")."""

    def clean(text: str) -> str:
        return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in text)

    stem, dot, ext = attachment.filename.rpartition(".")
    if not dot:
        stem, ext = ext, ""
    stem = clean(stem)[:80]
    if not stem.strip("_"):
        stem = "file"
    ext = clean(ext)[:10]
    return f"{stem}.{ext}" if ext else stem
