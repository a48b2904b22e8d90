"""The chat channel's adapter: a stored visitor frame → one IncomingMessage; an agent reply →
a live push to the visitor (`live.push_agent_message`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from channels_in.models import InboundStatus
from channels_in.registry import MalformedPayload
from channels_in.services import InboundSettled
from tickets.inbound import IncomingAttachment, IncomingMessage

from . import followups
from .models import ChatUpload

if TYPE_CHECKING:
    from channels_in.models import InboundEvent, OutboundDelivery


class ChatAdapter:
    kind = "chat"

    def parse(self, event: InboundEvent) -> list[IncomingMessage]:
        if event.message_id and event.status == InboundStatus.RECEIVED:
            # Stored by the socket's fast path, its ticket follow-ups not applied yet (their
            # batch was lost): apply them now; the event ends processed with its message.
            raise InboundSettled(
                InboundStatus.PROCESSED, settle=lambda: followups.apply_for_event(event)
            )
        try:
            data = json.loads(bytes(event.payload).decode("utf-8"))
            handle = str(data["handle"])
            client_id = str(data["client_id"])
            visitor = str(data["visitor"])
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedPayload(f"not a chat frame: {exc}") from exc
        tokens = [str(token) for token in data.get("uploads") or []]
        uploads = {u.token: u for u in ChatUpload.objects.filter(token__in=tokens)}
        if len(uploads) != len(set(tokens)):
            raise MalformedPayload("an uploaded file of this message is gone")
        attachments = []
        for token in tokens:
            upload = uploads[token]
            with upload.file.open("rb") as handle_file:
                content = handle_file.read()
            attachments.append(
                IncomingAttachment(
                    filename=upload.filename, content_type=upload.content_type, content=content
                )
            )
        return [
            IncomingMessage(
                channel="chat",
                identity_kind="chat",
                handle=handle,
                display_name=str(data.get("name") or ""),
                body_text=str(data.get("text") or ""),
                external_id=f"chat:{visitor}:{client_id}",
                attachments=tuple(attachments),
            )
        ]

    def deliver(self, delivery: OutboundDelivery) -> str:
        from .live import push_agent_message

        return push_agent_message(delivery.message)
