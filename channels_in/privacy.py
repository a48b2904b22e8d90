"""Raw inbound events in data subject requests and the retention policy.

Every mail, webhook body and form post is stored raw before it is parsed, so an erased
customer's words and address live on in `InboundEvent.payload` unless this handler empties it.
Registered with `customers.erasure` in ChannelsInConfig.ready().
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from customers.erasure import ErasureSubject, ExportPart, raw_bytes_mention
from customers.models import Customer

from .models import InboundEvent

CLOSED_STATUSES = ("solved", "closed")


class RawEventPersonalData:
    name = "raw_events"

    def export(self, customer: Customer) -> ExportPart:
        # The parsed messages are in the export; here, what arrived when and how it went.
        events = InboundEvent.objects.filter(message__ticket__customer=customer).order_by("pk")
        return ExportPart(
            data=[
                {"channel": e.kind, "received_at": e.received_at, "status": e.status}
                for e in events.only("kind", "received_at", "status")
            ]
        )

    def erase(self, subject: ErasureSubject) -> dict[str, int]:
        ids = set(
            InboundEvent.objects.filter(message__ticket__customer=subject.customer).values_list(
                "pk", flat=True
            )
        )
        for contact in subject.contacts:
            # Raw bytes are searched as bytes: held mail of a blocked sender, shop webhooks
            # naming the customer — anything that never became one of their messages.
            # Whatever the letter case the sender typed the address in.
            ids |= set(
                InboundEvent.objects.filter(raw_bytes_mention("payload", contact)).values_list(
                    "pk", flat=True
                )
            )
        return {"raw_events": _empty(InboundEvent.objects.filter(pk__in=ids))}

    def expire(self, before: datetime) -> dict[str, int]:
        old = InboundEvent.objects.filter(
            Q(message__ticket__status__in=CLOSED_STATUSES)
            & (
                Q(message__ticket__solved_at__lt=before)
                | Q(message__ticket__solved_at__isnull=True, message__ticket__updated_at__lt=before)
            )
        )
        return {"raw_events": _empty(old)}


def _empty(events) -> int:
    return events.exclude(payload=b"").update(payload=b"", headers={"erased": True})
