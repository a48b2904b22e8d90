"""The help-center contact form as a channel: the submitted form is the raw event."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

from tickets.inbound import IncomingAttachment, IncomingMessage

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from ..models import InboundEvent, OutboundDelivery


def form_payload(
    *,
    name: str,
    email: str,
    subject: str,
    message: str,
    language: str,
    attachments: list[UploadedFile],
) -> bytes:
    """The exact submission as JSON bytes (files inline), so it can be replayed alone."""
    return json.dumps(
        {
            "name": name,
            "email": email,
            "subject": subject,
            "message": message,
            "language": language,
            "attachments": [
                {
                    "filename": upload.name,
                    "content_type": upload.content_type or "application/octet-stream",
                    "content_b64": base64.b64encode(upload.read()).decode("ascii"),
                }
                for upload in attachments
            ],
        },
        ensure_ascii=False,
    ).encode("utf-8")


class WebFormAdapter:
    kind = "web"

    def parse(self, event: InboundEvent) -> list[IncomingMessage]:
        data = json.loads(bytes(event.payload).decode("utf-8"))
        return [
            IncomingMessage(
                channel="web",
                identity_kind="email",
                handle=data["email"],
                display_name=data.get("name", ""),
                subject=data["subject"],
                body_text=data["message"],
                external_id=f"web:{event.idempotency_key}",
                attachments=tuple(
                    IncomingAttachment(
                        filename=item["filename"],
                        content_type=item["content_type"],
                        content=base64.b64decode(item["content_b64"]),
                    )
                    for item in data.get("attachments", [])
                ),
            )
        ]

    def deliver(self, delivery: OutboundDelivery) -> str:
        raise NotImplementedError("web-form tickets are answered by email")
