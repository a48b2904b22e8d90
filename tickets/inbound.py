"""Plain values every channel adapter produces; `services.receive_message` consumes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class IncomingAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class IncomingMessage:
    channel: str  # the ticket channel: "email", "web", "line", …
    identity_kind: str  # how the sender is known: "email", "line", …
    handle: str  # address / platform user id
    body_text: str
    display_name: str = ""
    subject: str = ""
    body_html: str = ""  # raw outside HTML: receive_message sanitizes it
    # The channel's own message id; a second delivery of the same id changes nothing.
    external_id: str = ""
    # Ids of earlier messages this one answers (mail In-Reply-To / References), newest last.
    replies_to: tuple[str, ...] = ()
    # A ticket number the sender quoted back ("[#123]" in a subject), used only when the
    # ticket belongs to the same customer.
    ticket_hint: int | None = None
    attachments: tuple[IncomingAttachment, ...] = field(default_factory=tuple)
    sent_at: datetime | None = None
