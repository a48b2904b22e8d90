"""An agent's reply on a chat ticket reaches the visitor from the web process that stored it.

The reply is a delivery row like every outbound message (`OutboundDelivery`, queued → sent,
attempts), but right after the reply's commit the web process delivers it itself
(`channels_in.services.deliver`: the row locked, the frame pushed through the channel layer,
the row marked sent) instead of queueing a task for the worker: the push is a channel-layer
send, and the queue added a broker round trip, a worker wake-up and a new Redis connection per
delivery to every chat reply's latency. When that fails (Redis or the database away for a
moment) the delivery goes to the `deliver` queue as before; the outbound retry sweep is the
net for both.
"""

from __future__ import annotations

import logging

from django.db import transaction

from channels_in import services as inbound
from channels_in.models import OutboundDelivery
from tickets.models import Message

log = logging.getLogger(__name__)


def queue_live_delivery(message: Message) -> OutboundDelivery:
    """The `chat` delivery of `message`, sent right after the current transaction commits."""
    identity = message.ticket.identity
    delivery = OutboundDelivery.objects.create(
        message=message, kind="chat", recipient=identity.handle if identity else ""
    )
    transaction.on_commit(lambda: deliver_now(delivery.pk))
    return delivery


def deliver_now(delivery_id: int) -> None:
    try:
        inbound.deliver(delivery_id)
    except Exception:  # noqa: BLE001 - the worker tries again; the reply itself is stored
        log.warning("chat delivery %s: live push failed, queued", delivery_id, exc_info=True)
        from channels_in.tasks import deliver_outbound

        try:
            deliver_outbound.delay(delivery_id)
        except Exception:  # noqa: BLE001 - the outbound retry sweep sends it later
            log.warning("could not queue chat delivery %s", delivery_id)
