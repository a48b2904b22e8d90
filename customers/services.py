"""Writes about customers: identity resolution, merge, blocking, notes.

Identity resolution lives here so every channel resolves alike. `customers` imports none of the
other apps: a merge moves every row that points at the customer by walking the model's
relations, so tickets (or anything added later) follow without this module naming them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Customer, CustomerMerge, CustomerNote, Identity, IdentityKind, Organization
from .signals import customer_changed

PHONE_KINDS = frozenset({IdentityKind.PHONE, IdentityKind.SMS, IdentityKind.WHATSAPP})


def normalize_handle(kind: str, handle: str) -> str:
    handle = handle.strip()
    if kind == IdentityKind.EMAIL:
        # Mail addresses compare case-insensitively in practice.
        return handle.lower()
    if kind in PHONE_KINDS:
        return normalize_phone(handle)
    return handle  # platform user ids are exact


def normalize_phone(number: str) -> str:
    """ "+81 90-1234-5678", "(090) 1234 5678" → "+819012345678" / "09012345678": punctuation
    never makes two people of one number."""
    number = number.strip()
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"+{digits}" if number.startswith("+") else digits


def identity_resolve(*, kind: str, handle: str, display_name: str = "") -> Identity:
    """The identity for (kind, handle), creating it and a new customer on first contact.

    Safe under concurrency: two first messages from the same sender at once end with one
    identity (the unique constraint decides, the loser re-reads).
    """
    handle = normalize_handle(kind, handle)
    identity = Identity.objects.select_related("customer").filter(kind=kind, handle=handle).first()
    if identity:
        if display_name and not identity.customer.name:
            identity.customer.name = display_name[:200]
            identity.customer.save(update_fields=["name", "updated_at"])
            customer_changed.send(sender=Customer, customer=identity.customer, reason="renamed")
        return identity
    email = handle if kind == IdentityKind.EMAIL else ""
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                name=display_name[:200], email=email, organization=_organization_for(email)
            )
            return Identity.objects.create(
                customer=customer, kind=kind, handle=handle, display_name=display_name[:200]
            )
    except IntegrityError:
        return Identity.objects.select_related("customer").get(kind=kind, handle=handle)


def _organization_for(email: str) -> Organization | None:
    """New customers whose mail domain an organization claims join it."""
    domain = email.rpartition("@")[2]
    if not domain:
        return None
    return Organization.objects.filter(domain__iexact=domain).exclude(domain="").first()


def customer_merge(*, source: Customer, into: Customer, actor=None) -> CustomerMerge:
    """Fold `source` into `into`: identities, tickets, orders, notes … all move; `source` goes.

    Recorded as a CustomerMerge (who, when, what moved). Profile fields `into` lacks are
    taken from `source`, so nothing an agent typed is lost.
    """
    if source.pk == into.pk:
        raise ValidationError(_("A customer cannot be merged into itself."))
    with transaction.atomic():
        source = Customer.objects.select_for_update().get(pk=source.pk)
        into = Customer.objects.select_for_update().get(pk=into.pk)
        snapshot = {
            "name": source.name,
            "email": source.email,
            "phone": source.phone,
            "created_at": source.created_at.isoformat(),
        }
        moved = _move_related_rows(source, into)
        _fill_blanks(into, source)
        if source.user_id and not into.user_id:
            into.user_id, source.user_id = source.user_id, None
            source.save(update_fields=["user"])
        into.save()
        record = CustomerMerge.objects.create(
            into=into,
            merged_customer_id=source.pk,
            merged_snapshot=snapshot,
            moved=moved,
            actor=actor,
        )
        source.delete()
        customer_changed.send(sender=Customer, customer=into, reason="merged")
    return record


def _move_related_rows(source: Customer, into: Customer) -> dict[str, int]:
    moved: dict[str, int] = {}
    for relation in Customer._meta.related_objects:
        if relation.one_to_one or relation.many_to_many or relation.related_model is CustomerMerge:
            continue
        manager = relation.related_model._base_manager
        count = manager.filter(**{relation.field.name: source}).update(
            **{relation.field.name: into}
        )
        if count:
            moved[relation.related_model._meta.model_name] = count
    return moved


def _fill_blanks(into: Customer, source: Customer) -> None:
    for field in ("name", "name_kana", "email", "phone", "language", "time_zone"):
        if not getattr(into, field) and getattr(source, field):
            setattr(into, field, getattr(source, field))
    into.organization_id = into.organization_id or source.organization_id
    into.tags = sorted(set(into.tags) | set(source.tags))
    into.vip = into.vip or source.vip


def customer_block(*, customer: Customer, reason: str, actor=None) -> Customer:
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the customer is blocked."))
    customer.blocked_at = timezone.now()
    customer.blocked_reason = reason[:500]
    customer.save(update_fields=["blocked_at", "blocked_reason", "updated_at"])
    return customer


def customer_unblock(*, customer: Customer, actor=None) -> Customer:
    customer.blocked_at = None
    customer.blocked_reason = ""
    customer.save(update_fields=["blocked_at", "blocked_reason", "updated_at"])
    return customer


def customer_note_add(
    *, customer: Customer, author, body: str, pinned: bool = False
) -> CustomerNote:
    body = body.strip()
    if not body:
        raise ValidationError(_("Write the note first."))
    return CustomerNote.objects.create(customer=customer, author=author, body=body, pinned=pinned)


def customer_note_pin(*, note: CustomerNote, pinned: bool) -> CustomerNote:
    """Pinned notes show on every ticket of the customer; unpinning keeps the note."""
    note.pinned = pinned
    note.save(update_fields=["pinned"])
    return note


def organization_sharing_set(*, organization: Organization, shared: bool) -> Organization:
    """Whether members see each other's requests in the help center (read only)."""
    organization.shared_requests = shared
    organization.save(update_fields=["shared_requests"])
    return organization
