"""Followers: people besides the requester who are kept in the loop on a ticket.

Inbound, everyone a customer's mail went to besides us (the To addresses that are not ours,
and every Cc) becomes an email identity and follows the ticket, as a mail client's reply-all
would keep them. Agents add and remove followers on the ticket page. Outbound, every public
agent reply by mail is copied (Cc) to the followers, and the delivery row records who was.

The mail's To/Cc are known while the adapter parses it, the ticket only once
`tickets.services.receive_message` has threaded it; the adapter leaves the participants in a
context variable and the `ticket_changed` receiver below, called inside that same transaction,
picks them up for the message they came with.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import Message as MimeMessage

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from customers.models import IdentityKind
from customers.services import identity_resolve, normalize_handle
from tickets.inbound import IncomingMessage
from tickets.models import AuthorKind, FollowerSource, Message, Ticket, TicketFollower
from tickets.signals import TicketEvent

from . import headers

FOLLOWERS_FROM_ONE_MAIL = 20  # a department's worth, not a mailing list's worth
MAX_FOLLOWERS = 50  # per ticket: an agent adding more is told so
PARTICIPANT_HEADERS = ("To", "Cc")


# (Message-ID, sender address) → the (address, display name) pairs of that mail's To/Cc.
# Keyed, not a single slot, so that parsing several mails before filing them stays right; an
# entry left by a mail that failed to file only ever matches that same mail on its retry.
_Pending = dict[tuple[str, str], tuple[tuple[str, str], ...]]
_pending: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar(
    "mail_participants", default=None
)
MAX_PENDING = 256


# --- inbound ------------------------------------------------------------------------------


def mail_participants(msg: MimeMessage, *, hints: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(address, display name) of everyone in To and Cc, each address once, in header order."""
    found: dict[str, tuple[str, str]] = {}
    for name in PARTICIPANT_HEADERS:
        for value in headers.raw_headers(msg, name):
            for address, display_name in headers.address_list(value, hints=hints):
                found.setdefault(address.lower(), (address, display_name))
    return list(found.values())


def expect_participants(incoming: IncomingMessage, msg: MimeMessage, hints: Sequence[str]) -> None:
    """Called by the email adapter for the mail it is about to hand to `receive_message`."""
    pending = _pending.get()
    if pending is None:
        pending = {}
        _pending.set(pending)
    key = (
        incoming.external_id[:500],
        normalize_handle(incoming.identity_kind, incoming.handle),
    )
    pending.pop(key, None)
    participants = mail_participants(msg, hints=hints) if _copy_cc() else []
    if participants:
        # Our own addresses and the sender never follow (`follow_from_mail` skips them):
        # left out here, most mails (sent to the support address alone) leave nothing
        # pending, and the receiver has nothing to do for them.
        from .screening import own_addresses

        skip = own_addresses() | {key[1]}
        participants = [
            (address, name)
            for address, name in participants
            if normalize_handle(IdentityKind.EMAIL, address) not in skip
        ]
    if participants:
        pending[key] = tuple(participants)
        while len(pending) > MAX_PENDING:
            pending.pop(next(iter(pending)))


def on_ticket_changed(sender, *, ticket: Ticket, event: str, message: Message | None, **kwargs):
    """`ticket_changed` receiver: the mail just stored brought its To/Cc people along."""
    if event not in (TicketEvent.CREATED, TicketEvent.CUSTOMER_MESSAGE) or message is None:
        return
    pending = _pending.get()
    if not pending or message.channel != "email" or message.identity is None:
        return
    participants = pending.pop((message.external_id, message.identity.handle), None)
    if participants:
        follow_from_mail(ticket=ticket, participants=participants, sender=message)


def follow_from_mail(
    *, ticket: Ticket, participants: Sequence[tuple[str, str]], sender: Message | None = None
) -> list[TicketFollower]:
    """Make the people a customer's mail went to followers of `ticket` (source "cc").

    Never our own addresses, the requester (or another address of the requester's customer),
    the mail's sender, a blocked customer, or something that is not an address. Idempotent.
    """
    from .screening import own_addresses

    skip = set(own_addresses())
    if sender is not None and sender.identity is not None:
        skip.add(sender.identity.handle)
    added = []
    for address, display_name in participants:
        if len(added) >= FOLLOWERS_FROM_ONE_MAIL:
            break
        handle = _valid_handle(address)
        if not handle or handle in skip:
            continue
        skip.add(handle)
        identity = identity_resolve(
            kind=IdentityKind.EMAIL, handle=handle, display_name=display_name
        )
        if identity.customer_id == ticket.customer_id or identity.customer.is_blocked:
            continue
        follower, created = _follow(ticket=ticket, identity=identity, source=FollowerSource.CC)
        if created:
            added.append(follower)
    return added


def _valid_handle(address: str) -> str:
    handle = normalize_handle(IdentityKind.EMAIL, address)
    if len(handle) > 254:
        return ""
    try:
        validate_email(handle)
    except ValidationError:
        return ""
    return handle


def _follow(*, ticket: Ticket, identity, source: str, added_by=None) -> tuple[TicketFollower, bool]:
    try:
        with transaction.atomic():
            return TicketFollower.objects.get_or_create(
                ticket=ticket,
                identity=identity,
                defaults={"source": source, "added_by": added_by},
            )
    except IntegrityError:  # a concurrent mail added the same person first
        return TicketFollower.objects.get(ticket=ticket, identity=identity), False


def _copy_cc() -> bool:
    # MAIL_REPLY_ALL=False: the people a customer copies are not copied back automatically
    # (agents can still add followers by hand).
    return bool(getattr(settings, "MAIL_REPLY_ALL", True))


# --- agents -------------------------------------------------------------------------------


def follower_add(*, ticket: Ticket, address: str, display_name: str = "", actor) -> TicketFollower:
    """An agent copies someone on the ticket's replies. Raises ValidationError with a reason
    the agent can act on (not an address, our own, the requester, already following)."""
    from .screening import own_addresses

    handle = _valid_handle(address)
    if not handle:
        raise ValidationError(_("Enter a valid email address."))
    if handle in own_addresses():
        raise ValidationError(_("That is one of our own addresses."))
    requester = ticket.identity
    if requester is not None and requester.handle == handle:
        raise ValidationError(_("That is the requester: they receive every reply already."))
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.followers.count() >= MAX_FOLLOWERS:
            raise ValidationError(
                _("A ticket can have at most %(limit)d followers.") % {"limit": MAX_FOLLOWERS}
            )
        identity = identity_resolve(
            kind=IdentityKind.EMAIL, handle=handle, display_name=display_name.strip()
        )
        if identity.customer_id == ticket.customer_id:
            raise ValidationError(_("That is the requester: they receive every reply already."))
        follower, created = _follow(
            ticket=ticket, identity=identity, source=FollowerSource.AGENT, added_by=actor
        )
    if not created:
        raise ValidationError(_("%(address)s already follows this ticket.") % {"address": handle})
    return follower


def follower_remove(*, ticket: Ticket, follower_id: int) -> bool:
    """Stop copying one follower; False when they were not (or no longer) following."""
    deleted, _rows = TicketFollower.objects.filter(ticket=ticket, pk=follower_id).delete()
    return bool(deleted)


def ticket_followers(ticket: Ticket) -> list[TicketFollower]:
    return list(
        TicketFollower.objects.filter(ticket=ticket).select_related(
            "identity__customer", "added_by"
        )
    )


# --- outbound -----------------------------------------------------------------------------


def follower_addresses(ticket: Ticket, *, recipient: str = "") -> list[str]:
    """The Cc line of a public reply: every follower, "Name <address>", minus the recipient."""
    skip = {recipient.lower()} if recipient else set()
    found = []
    for follower in ticket_followers(ticket):
        identity = follower.identity
        if identity.kind != IdentityKind.EMAIL or identity.customer.is_blocked:
            continue
        if identity.handle in skip:
            continue
        skip.add(identity.handle)
        name = identity.display_name or identity.customer.name
        # Readable as recorded; Django encodes a non-ASCII name when it writes the header.
        found.append(_mailbox(name, identity.handle))
    return found


def _mailbox(name: str, address: str) -> str:
    name = " ".join(name.split())  # no line breaks into a header
    if not name:
        return address
    try:
        return str(Address(display_name=name, addr_spec=address))
    except (HeaderParseError, ValueError, IndexError):
        return address


def copied_on(message: Message, *, recipient: str) -> list[str]:
    """Who a reply is copied to: an agent's public reply goes to the followers; automatic
    mail (acknowledgements, surveys) only to the requester it is about."""
    if message.internal or message.author_kind != AuthorKind.AGENT:
        return []
    return follower_addresses(message.ticket, recipient=recipient)


def queue_mail_delivery(message: Message):
    """The `tickets.outbound` sender for mail: the delivery row, with its Cc recorded."""
    from ..services import queue_delivery

    delivery = queue_delivery(message, kind="email")
    cc = copied_on(message, recipient=delivery.recipient)
    if cc:
        delivery.cc = cc
        delivery.save(update_fields=["cc"])
    return delivery
