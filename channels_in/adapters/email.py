"""Email: RFC 822 bytes in, threaded replies out through Django's mail connection.

Parsing and composing live in `channels_in.mail`; this module is the channel's face to the
registry: it turns SMTP outcomes into "retry later" or "refused for good".
"""

from __future__ import annotations

import smtplib
from typing import TYPE_CHECKING

from django.db import DatabaseError
from django.utils.translation import gettext as _

from ..mail import followers, screening
from ..mail.compose import build_reply
from ..mail.parse import MalformedMail, charset_hints, read_mail
from ..registry import PermanentDeliveryError

if TYPE_CHECKING:
    from tickets.inbound import IncomingMessage

    from ..models import InboundEvent, OutboundDelivery

__all__ = ["EmailAdapter", "MalformedMail"]


class EmailAdapter:
    kind = "email"

    def parse(self, event: InboundEvent) -> list[IncomingMessage]:
        raw = bytes(event.payload)
        msg, incoming = read_mail(raw)
        # Bounces, our own mail, auto-replies and storms end here (InboundSettled).
        screening.screen(event, msg, incoming, raw)
        # Its To/Cc people follow the ticket `receive_message` files it on.
        followers.expect_participants(incoming, msg, charset_hints(msg))
        return [incoming]

    def parse_many(self, events: list[InboundEvent]) -> list[list[IncomingMessage] | Exception]:
        """`parse` for a batch, in order: each event's messages, or the exception its `parse`
        would have raised (`InboundSettled` included). The storm counts of the whole batch
        are one Redis round trip. A database error is raised: the transaction is broken."""
        outcomes: list[list[IncomingMessage] | Exception] = []
        counted = []  # (position, event, msg, incoming) of mails the storm check counts
        staged = []
        for event in events:
            try:
                raw = bytes(event.payload)
                msg, incoming = read_mail(raw)
                counts, automation = screening.screen_before_storm(event, msg, incoming, raw)
            except DatabaseError:
                raise
            except Exception as exc:  # noqa: BLE001 - the event's own outcome
                outcomes.append(exc)
                continue
            outcomes.append([incoming])
            staged.append((len(outcomes) - 1, event, msg, incoming, counts, automation))
            if counts:
                counted.append((event, incoming.handle))
        storms = iter(screening.count_from_senders(counted))
        for position, event, msg, incoming, counts, automation in staged:
            try:
                if counts:
                    screening.screen_storm(event, incoming, automation, next(storms))
                followers.expect_participants(incoming, msg, charset_hints(msg))
            except DatabaseError:
                raise
            except Exception as exc:  # noqa: BLE001 - the event's own outcome
                outcomes[position] = exc
        return outcomes

    def deliver(self, delivery: OutboundDelivery) -> str:
        mail = build_reply(delivery.message, recipient=delivery.recipient, cc=delivery.cc or [])
        try:
            mail.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            refusals = list(exc.recipients.values())
            if refusals and all(_permanent(code) for code, _reply in refusals):
                raise PermanentDeliveryError(
                    _("The mail server refused the recipient: %(reason)s")
                    % {"reason": _smtp_reasons(refusals)}
                ) from exc
            raise
        except smtplib.SMTPDataError as exc:
            # A 5xx after DATA (message rejected as spam, too large) will not pass on retry.
            if _permanent(exc.smtp_code):
                raise PermanentDeliveryError(
                    _("The mail server rejected the message: %(reason)s")
                    % {"reason": _smtp_reasons([(exc.smtp_code, exc.smtp_error)])}
                ) from exc
            raise
        return str(mail.extra_headers["Message-ID"])


def _permanent(code: int) -> bool:
    return 500 <= code < 600


def _smtp_reasons(refusals: list[tuple[int, bytes | str]]) -> str:
    return "; ".join(
        f"{code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply}"
        for code, reply in refusals
    )
