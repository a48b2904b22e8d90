"""“My requests”: a signed-in customer's own tickets, read and answered from the help center.

A customer account reaches tickets only through its *verified* email addresses: each one that
is a known email identity gives that identity's customer, and that customer's tickets on every
channel. An unverified address gives nothing (anyone can type someone else's address at
sign-up). When that customer's organization shares requests, the colleagues' tickets are
readable too, but only their requester replies. Replies go in through `tickets.services.receive_message` like any inbound message.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from customers.models import Identity, IdentityKind
from customers.services import normalize_handle
from helpdesk.models import User
from tickets import services as ticket_services
from tickets.inbound import IncomingAttachment, IncomingMessage
from tickets.models import Attachment, Message, Status, Ticket

MAX_REPLY_CHARS = 20_000


@dataclass(frozen=True)
class PortalAccess:
    verified_emails: list[str]
    identities: list[Identity]
    # Organizations of these customers that share requests among their members (read only).
    shared_organization_ids: tuple[int, ...] = ()

    @property
    def customer_ids(self) -> list[int]:
        return sorted({identity.customer_id for identity in self.identities})

    def owns(self, ticket: Ticket) -> bool:
        """The ticket is this person's own request (not a colleague's shared one)."""
        return ticket.customer_id in self.customer_ids


def portal_access(user: User) -> PortalAccess:
    emails = sorted(
        {
            normalize_handle(IdentityKind.EMAIL, address)
            for address in EmailAddress.objects.filter(user=user, verified=True).values_list(
                "email", flat=True
            )
        }
    )
    identities = (
        list(
            Identity.objects.filter(kind=IdentityKind.EMAIL, handle__in=emails).select_related(
                "customer__organization"
            )
        )
        if emails
        else []
    )
    shared = sorted(
        {
            identity.customer.organization_id
            for identity in identities
            if identity.customer.organization and identity.customer.organization.shared_requests
        }
    )
    return PortalAccess(
        verified_emails=emails, identities=identities, shared_organization_ids=tuple(shared)
    )


def _readable(access: PortalAccess) -> Q:
    """Tickets of these customers, and of their colleagues where the organization shares."""
    readable = Q(customer_id__in=access.customer_ids)
    if access.shared_organization_ids:
        readable |= Q(customer__organization_id__in=access.shared_organization_ids)
    return readable


def customer_tickets(access: PortalAccess) -> QuerySet[Ticket]:
    if not access.customer_ids:
        return Ticket.objects.none()
    return (
        Ticket.objects.filter(_readable(access))
        .select_related("customer")
        .order_by("-updated_at", "-id")
    )


def customer_ticket(access: PortalAccess, pk: int) -> Ticket:
    """The ticket if it is this customer's, else 404 exactly like a ticket that does not exist."""
    ticket = customer_tickets(access).filter(pk=pk).first()
    if ticket is None:
        raise Http404("No such request")
    return ticket


def public_conversation(ticket: Ticket) -> list[Message]:
    """What the customer may read: public messages only, never internal notes."""
    return list(
        ticket.messages.filter(internal=False)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def customer_attachment(access: PortalAccess, ticket_pk: int, attachment_pk: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("message")
        .filter(
            pk=attachment_pk,
            message__ticket_id=ticket_pk,
            message__internal=False,
        )
        .filter(message__ticket__in=customer_tickets(access))
        .first()
    )
    if attachment is None:
        raise Http404("No such file")
    return attachment


# Statuses as a customer reads them: our internal steps are not theirs.
CUSTOMER_STATUS = {
    Status.NEW: "open",
    Status.OPEN: "open",
    Status.ON_HOLD: "open",
    Status.PENDING: "awaiting",
    Status.SOLVED: "solved",
    Status.CLOSED: "closed",
}


def can_reply(ticket: Ticket) -> bool:
    # A closed ticket is finished: a new message would open a new ticket, so ask for one.
    return ticket.status != Status.CLOSED


def reply_as_customer(
    *,
    access: PortalAccess,
    ticket: Ticket,
    user: User,
    body: str,
    reply_token: str,
    attachments: tuple[IncomingAttachment, ...] = (),
) -> Message:
    """Add the customer's reply to their ticket (channel "web"), once per `reply_token`."""
    body = body.strip()
    if not body:
        raise ValidationError(_("Write a message first."))
    if len(body) > MAX_REPLY_CHARS:
        raise ValidationError(_("The message is too long."))
    if not access.owns(ticket):
        raise ValidationError(_("Only the person who sent this request can reply to it."))
    if not can_reply(ticket):
        raise ValidationError(_("This request is closed. Please send a new one."))
    identity = next(i for i in access.identities if i.customer_id == ticket.customer_id)
    message = ticket_services.receive_message(
        IncomingMessage(
            channel="web",
            identity_kind=IdentityKind.EMAIL,
            handle=identity.handle,
            display_name=user.name,
            body_text=body,
            ticket_hint=ticket.pk,
            external_id=f"web:portal:{ticket.pk}:{reply_token}",
            attachments=attachments,
        )
    )
    if message is None:  # a blocked customer: nothing is filed
        raise ValidationError(_("Your message could not be sent. Please contact us by email."))
    return message
