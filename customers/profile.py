"""Edits of a customer's profile from the API (the pages edit notes, blocks and details)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .custom_fields import customer_custom_fields_update
from .models import Customer
from .signals import customer_changed

PROFILE_FIELDS = ("name", "name_kana", "language", "time_zone", "vip", "tags")


def customer_update(*, customer: Customer, changes: dict[str, Any]) -> Customer:
    """Set the given profile fields and custom field values; others stay as they are."""
    if customer.is_erased:
        raise ValidationError(_("This customer has been erased and cannot be edited."))
    with transaction.atomic():
        custom = changes.pop("custom_fields", None)
        if custom:
            customer = customer_custom_fields_update(customer=customer, values=custom)
        profile = {k: v for k, v in changes.items() if k in PROFILE_FIELDS}
        if profile:
            for field, value in profile.items():
                setattr(customer, field, value)
            customer.full_clean(exclude=["user", "organization", "erased_by"])
            customer.save(update_fields=[*profile, "updated_at"])
            customer_changed.send(sender=Customer, customer=customer, reason="updated")
    return customer
