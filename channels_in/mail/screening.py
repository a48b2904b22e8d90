"""What happens to a mail before it may open a ticket: loops and junk are settled here.

- a bounce of one of our replies marks that delivery failed with the remote server's reason;
- mail from our own addresses, automatic replies, receipts, abuse reports and storms from one
  sender are held (kept raw, visible to admins, no ticket, nothing sent back);
- list, bulk and system mail becomes a ticket, marked so no automation ever answers it.

Held events can be released by an admin (`manage.py release_inbound ID`), which files them
as ordinary mail.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from email.message import Message
from email.utils import parseaddr

import redis
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import realtime
from tickets.config_snapshot import remembered
from tickets.inbound import IncomingMessage

from ..models import DeliveryStatus, InboundEvent, InboundStatus, MailAccount, OutboundDelivery
from ..services import InboundSettled
from . import loops

log = logging.getLogger(__name__)

RATE_LIMIT_DEFAULT = 20  # mails …
RATE_WINDOW_DEFAULT = 600  # … per this many seconds from one sender, then hold
RELEASED = "released"  # event.headers flag set by an admin: file it whatever it looks like
AUTOMATED = "automated"  # event.headers key: why no automation may answer this mail


def screen(event: InboundEvent, msg: Message, incoming: IncomingMessage, raw: bytes) -> None:
    """Raise `InboundSettled` for mail that must not become a message; mark the event of
    machine-written mail that may. Records what it found in `event.headers`."""
    counts, automation = screen_before_storm(event, msg, incoming, raw)
    if counts:
        screen_storm(event, incoming, automation, _count_from_sender(event, incoming.handle))


def screen_before_storm(
    event: InboundEvent, msg: Message, incoming: IncomingMessage, raw: bytes
) -> tuple[bool, loops.Automation | None]:
    """`screen` up to the storm count, which a batch takes for all its mails in one round
    trip (`count_from_senders`) and hands to `screen_storm`: (whether the mail is counted,
    the automation found in it). Raises `InboundSettled` as `screen` does."""
    if event.headers.get(RELEASED):
        return False, None
    bounce = loops.read_bounce(msg, raw, sender=incoming.handle, subject=incoming.subject)
    if bounce is not None:
        _settle_bounce(event, bounce)
    if incoming.handle.lower() in own_addresses():
        raise InboundSettled(
            InboundStatus.HELD,
            _("Sent from one of our own addresses (%(address)s): not a customer's mail.")
            % {"address": incoming.handle},
        )
    automation = loops.detect_automation(msg, incoming.subject)
    if automation is not None and automation.held:
        event.headers[AUTOMATED] = f"{automation.kind}: {automation.reason}"
        raise InboundSettled(
            InboundStatus.HELD,
            _("Automatic mail (%(kind)s, %(reason)s): kept, no ticket, no reply.")
            % {"kind": automation.kind, "reason": automation.reason},
        )
    return True, automation


def screen_storm(
    event: InboundEvent,
    incoming: IncomingMessage,
    automation: loops.Automation | None,
    counted: tuple[int, int, int],
) -> None:
    """The rest of `screen`, with the sender's count (count, limit, window) taken."""
    count, limit, window = counted
    if count > limit:
        raise InboundSettled(
            InboundStatus.HELD,
            _(
                "Mail storm: %(count)d mails from %(address)s within %(minutes)d minutes "
                "(limit %(limit)d). Release it if it is a real request."
            )
            % {
                "count": count,
                "address": incoming.handle,
                "minutes": window // 60,
                "limit": limit,
            },
        )
    if automation is not None:
        event.headers[AUTOMATED] = f"{automation.kind}: {automation.reason}"


def message_is_automated(message_id: int) -> bool:
    """Whether a stored message came from a machine (list, bulk, system mail): automations
    (auto-replies, surveys) must not answer it. Read after the inbound event committed."""
    return InboundEvent.objects.filter(message_id=message_id, headers__has_key=AUTOMATED).exists()


# --- bounces ------------------------------------------------------------------------------


def _settle_bounce(event: InboundEvent, bounce: loops.Bounce) -> None:
    event.headers["bounce"] = {
        "failed": bounce.failed,
        "recipients": list(bounce.recipients),
        "status": bounce.status,
        "diagnostic": bounce.diagnostic,
        "original_ids": list(bounce.original_ids),
    }
    delivery = bounced_delivery(bounce.original_ids)
    if delivery is None:
        raise InboundSettled(
            InboundStatus.HELD,
            _("Bounce of a mail we did not send, or no longer know: %(summary)s")
            % {"summary": bounce.summary() or "-"},
        )
    delivery_id = delivery.pk

    def settle():
        found = OutboundDelivery.objects.select_for_update().get(pk=delivery_id)
        reason = bounce.summary() or _("the receiving server returned the mail")
        if bounce.failed:
            found.status = DeliveryStatus.FAILED
            found.next_attempt_at = None
            found.last_error = (_("Bounced: %(reason)s") % {"reason": reason})[:5000]
        else:
            found.last_error = (_("Delayed: %(reason)s") % {"reason": reason})[:5000]
        found.save(update_fields=["status", "next_attempt_at", "last_error"])
        realtime.publish(
            "delivery.updated",
            ticket=found.message.ticket_id,
            message=found.message_id,
            status=found.status,
        )
        return found.message

    raise InboundSettled(InboundStatus.PROCESSED, "", settle)


def bounced_delivery(original_ids: tuple[str, ...]) -> OutboundDelivery | None:
    """Our mail delivery a bounce is about (by the Message-ID we sent it with)."""
    if not original_ids:
        return None
    return (
        OutboundDelivery.objects.filter(kind="email")
        .filter(Q(provider_id__in=original_ids) | Q(message__external_id__in=original_ids))
        .order_by("-created_at", "-id")
        .first()
    )


# --- our own addresses --------------------------------------------------------------------


def own_addresses() -> frozenset[str]:
    """The support address, the sender we reply from, and every mailbox we import from."""
    found = set(
        _addresses_of(
            (
                settings.SUPPORT_EMAIL,
                settings.DEFAULT_FROM_EMAIL,
                getattr(settings, "SERVER_EMAIL", ""),
                *getattr(settings, "MAIL_OWN_ADDRESSES", ()),
            )
        )
    )
    usernames = remembered(  # once per worker snapshot, not per mail (tickets.config_snapshot)
        "channels_in.mailbox_usernames",
        lambda: list(MailAccount.objects.values_list("username", flat=True)),
    )
    found.update(name.lower() for name in usernames if "@" in name)
    return frozenset(address for address in found if "@" in address)


@functools.lru_cache(maxsize=16)
def _addresses_of(values: tuple[str, ...]) -> frozenset[str]:
    """The addresses in these settings values, parsed once per distinct set of values (asked
    twice per inbound mail: the screen and the followers)."""
    return frozenset(parseaddr(value)[1].lower() for value in values if value)


# --- storms -------------------------------------------------------------------------------


@functools.cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _count_from_sender(event: InboundEvent, address: str) -> tuple[int, int, int]:
    return count_from_senders([(event, address)])[0]


def count_from_senders(mails: list[tuple[InboundEvent, str]]) -> list[tuple[int, int, int]]:
    """For each (event, sender address), in order: how many mails that address sent in the
    window ending at this one, with the limit and the window — (count, limit, window).

    Counted per event id in a sorted set scored by arrival time, so a retried or replayed
    event counts once and at the time it really arrived. One pipelined round trip for all
    of them; each mail's commands run in order, so a mail sees exactly the mails before it,
    as one round trip per mail would. Redis down: no storm protection rather than no mail."""
    limit = int(getattr(settings, "MAIL_RATE_LIMIT", RATE_LIMIT_DEFAULT))
    window = int(getattr(settings, "MAIL_RATE_WINDOW_SECONDS", RATE_WINDOW_DEFAULT))
    if not mails:
        return []
    now = timezone.now().timestamp()
    try:
        pipe = _redis().pipeline(transaction=False)
        for event, address in mails:
            arrived = (event.received_at or timezone.now()).timestamp()
            sender = hashlib.sha256(address.lower().encode()).hexdigest()[:32]
            key = f"madoguchi:mail-rate:{settings.DATABASES['default']['NAME']}:{sender}"
            pipe.zadd(key, {str(event.pk): arrived})
            pipe.zremrangebyscore(key, "-inf", now - 2 * window)
            pipe.zrangebyscore(key, arrived - window, arrived)
            pipe.expire(key, 2 * window)
        replies = pipe.execute()
    except redis.RedisError as exc:
        log.warning("mail rate limit unavailable: %s", exc)
        return [(0, limit, window)] * len(mails)
    counted = []
    for position in range(len(mails)):
        members = replies[position * 4 + 2]
        count = len(members)
        if count > limit:
            # Over the limit: count only events that exist (one whose transaction rolled
            # back left its id in Redis), before holding anyone's mail.
            # Redis gives bytes, whose isdigit() is ASCII digits only.
            ids = [int(member) for member in members if member.isdigit()]
            count = InboundEvent.objects.filter(pk__in=ids, kind="email").count()
        counted.append((count, limit, window))
    return counted
