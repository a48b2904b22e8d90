"""Writes about customers: identity resolution lives here, so every channel resolves alike."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import Customer, Identity, IdentityKind


def normalize_handle(kind: str, handle: str) -> str:
    handle = handle.strip()
    # Mail addresses compare case-insensitively in practice; other platforms' ids are exact.
    return handle.lower() if kind == IdentityKind.EMAIL else handle


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
        return identity
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                name=display_name[:200], email=handle if kind == IdentityKind.EMAIL else ""
            )
            return Identity.objects.create(
                customer=customer, kind=kind, handle=handle, display_name=display_name[:200]
            )
    except IntegrityError:
        return Identity.objects.select_related("customer").get(kind=kind, handle=handle)
