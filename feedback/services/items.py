"""The feedback loop: items customers asked for, the tickets that asked, and "you said, we did".

Votes are the distinct customers linked. When an item is done or declined, each linked customer
is told once, on the channel of their latest linked ticket; a FeedbackNotification row (unique
per item and customer) is written in the same transaction as the message, so a retried or
concurrent run can never tell anyone twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from customers.models import Customer
from helpdesk.models import User
from tickets import services as ticket_services
from tickets.models import Ticket

from ..models import (
    CLOSING_STATUSES,
    FeedbackItem,
    FeedbackLink,
    FeedbackNotification,
    FeedbackOptOut,
    ItemStatus,
)
from ..tokens import OPT_OUT_SALT, make_token
from .common import absolute_url, customer_language

log = logging.getLogger(__name__)

MAX_TITLE_CHARS = 200
MAX_TEXT_CHARS = 5000


def _check_text(*, title: str, description: str, public_note: str) -> None:
    if not title:
        raise ValidationError(_("Give the item a title."))
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError(_("The title is too long."))
    if len(description) > MAX_TEXT_CHARS or len(public_note) > MAX_TEXT_CHARS:
        raise ValidationError(
            _("Please keep the text under %(count)s characters.") % {"count": MAX_TEXT_CHARS}
        )


@transaction.atomic
def create_item(
    *, actor: User, title: str, description: str = "", ticket: Ticket | None = None
) -> FeedbackItem:
    if not actor.is_staff_member:
        raise PermissionDenied
    title, description = title.strip(), description.strip()
    _check_text(title=title, description=description, public_note="")
    item = FeedbackItem.objects.create(title=title, description=description, created_by=actor)
    if ticket is not None:
        link_ticket(item=item, ticket=ticket, actor=actor)
    return item


def link_ticket(*, item: FeedbackItem, ticket: Ticket, actor: User) -> FeedbackLink:
    """Link a ticket (and so its customer, one more vote) to the item; linking twice is a no-op.

    Linking to an item that is already done tells that customer on the next sweep.
    """
    if not actor.is_staff_member:
        raise PermissionDenied
    link, _created = FeedbackLink.objects.get_or_create(
        item=item,
        ticket=ticket,
        defaults={"customer_id": ticket.customer_id, "linked_by": actor},
    )
    if _created:
        FeedbackItem.objects.filter(pk=item.pk).update(updated_at=timezone.now())
    return link


def unlink_ticket(*, link: FeedbackLink, actor: User) -> None:
    if not actor.is_staff_member:
        raise PermissionDenied
    link.delete()


@transaction.atomic
def update_item(
    *,
    item: FeedbackItem,
    actor: User,
    title: str,
    description: str,
    status: str,
    public_note: str,
) -> FeedbackItem:
    """Edit the item; becoming done or declined queues "you said, we did" after commit."""
    if not actor.is_staff_member:
        raise PermissionDenied
    if status not in ItemStatus.values:
        raise ValidationError(_("Unknown status."))
    title, description, public_note = title.strip(), description.strip(), public_note.strip()
    _check_text(title=title, description=description, public_note=public_note)
    if status in CLOSING_STATUSES and not public_note:
        raise ValidationError(
            _("Write the public note the customers will get before closing the item.")
        )
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    closing = status in CLOSING_STATUSES and item.status not in CLOSING_STATUSES
    item.title, item.description, item.public_note = title, description, public_note
    item.status = status
    item.closed_at = (item.closed_at or timezone.now()) if status in CLOSING_STATUSES else None
    item.save()
    if closing:
        transaction.on_commit(lambda: _queue_notifications(item.pk))
    return item


def _queue_notifications(item_id: int) -> None:
    from ..tasks import notify_feedback_item

    try:
        notify_feedback_item.delay(item_id)
    except Exception:  # noqa: BLE001 - the beat sweep sends them later
        log.warning("could not queue notifications for item %s; the sweep will", item_id)


def items_with_pending_notifications(limit: int = 50) -> list[int]:
    """Closed items with a linked customer not told yet (the sweep's safety net)."""
    told = FeedbackNotification.objects.filter(
        item_id=OuterRef("item_id"), customer_id=OuterRef("customer_id")
    )
    pending = FeedbackLink.objects.filter(
        item__status__in=CLOSING_STATUSES,
        customer__blocked_at__isnull=True,
        customer__feedback_opt_out__isnull=True,
    ).filter(~Exists(told))
    return sorted(set(pending.values_list("item_id", flat=True)[: limit * 20]))[:limit]


def notify_item_customers(*, item_id: int) -> int:
    """Tell every linked customer not told yet; returns how many were told now."""
    item = FeedbackItem.objects.get(pk=item_id)
    if item.status not in CLOSING_STATUSES:
        return 0
    told = set(FeedbackNotification.objects.filter(item=item).values_list("customer_id", flat=True))
    latest: dict[int, int] = {}
    for customer_id, ticket_id in (
        FeedbackLink.objects.filter(
            item=item, customer__blocked_at__isnull=True, customer__feedback_opt_out__isnull=True
        )
        .order_by("ticket__created_at", "ticket_id")
        .values_list("customer_id", "ticket_id")
    ):
        latest[customer_id] = ticket_id  # the customer's most recent linked conversation
    sent = 0
    for customer_id, ticket_id in latest.items():
        if customer_id in told:
            continue
        if _notify_one(item=item, customer_id=customer_id, ticket_id=ticket_id):
            sent += 1
    return sent


def _notify_one(*, item: FeedbackItem, customer_id: int, ticket_id: int) -> bool:
    try:
        with transaction.atomic():
            notification = FeedbackNotification.objects.create(
                item=item, customer_id=customer_id, ticket_id=ticket_id, status=item.status
            )
            ticket = Ticket.objects.select_related("customer").get(pk=ticket_id)
            text, html = item_message(item=item, ticket=ticket)
            try:
                notification.message = ticket_services.post_system_message(
                    ticket=ticket, body_text=text, body_html=html
                )
            except ValidationError:
                # No way to reach them on that channel: recorded as handled, not retried forever.
                log.info("item %s: customer %s cannot be reached", item.pk, customer_id)
            notification.save(update_fields=["message"])
    except IntegrityError:
        return False  # someone else told them a moment ago
    return notification.message_id is not None


def item_message(*, item: FeedbackItem, ticket: Ticket) -> tuple[str, str]:
    language = customer_language(ticket.customer)
    with translation.override(language or settings.LANGUAGE_CODE):
        told = _("You told us: “%(title)s”.") % {"title": item.title}
        if item.status == ItemStatus.DONE:
            heard = _("We heard you, and here is what we did:")
        else:
            heard = _("We looked at it carefully and decided not to do it for now:")
        thanks = _("Thank you for taking the time to tell us.")
        stop = _("No more updates like this:")
    stop_url = opt_out_url(ticket.customer)
    text = f"{told}\n\n{heard}\n{item.public_note}\n\n{thanks}\n\n{stop}\n{stop_url}\n"
    html = (
        f"<p>{escape(told)}</p><p>{escape(heard)}</p>{linebreaks(escape(item.public_note))}"
        f"<p>{escape(thanks)}</p>"
        f'<p><small>{escape(stop)} <a href="{escape(stop_url)}">{escape(stop_url)}</a></small></p>'
    )
    return text, html


def opt_out_url(customer: Customer) -> str:
    token = make_token(pk=customer.pk, nonce="", salt=OPT_OUT_SALT)
    return absolute_url("feedback:opt_out", token=token)


def opt_out(*, customer: Customer) -> FeedbackOptOut:
    """The customer hears no more "you said, we did" updates; asking twice is fine."""
    return FeedbackOptOut.objects.get_or_create(customer=customer)[0]
