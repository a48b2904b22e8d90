"""Data subject requests (APPI / GDPR): export everything about a customer, erase it, and the
retention policy that redacts old conversations.

Tickets, messages, attachments and raw inbound events belong to other apps; they take part
through `customers.erasure` handlers, called inside the same transaction.
"""

from __future__ import annotations

import json
import tempfile
import unicodedata
import zipfile
from datetime import datetime, timedelta
from typing import IO, Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.models import User

from .audit import customer_access_record
from .erasure import ErasureSubject, ExportFile, personal_data_handlers
from .models import AccessAction, Customer, CustomerAccess, CustomerMerge, CustomField
from .signals import customer_changed

EXPORT_FORMAT_VERSION = 1


# --- export -------------------------------------------------------------------------------
def customer_export_data(customer: Customer) -> tuple[dict[str, Any], list[ExportFile]]:
    """The JSON document and the files of an access request, before zipping."""
    fields = {f.key: f.label for f in CustomField.objects.all()}
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now(),
        "customer": {
            "id": customer.pk,
            "name": customer.name,
            "name_kana": customer.name_kana,
            "email": customer.email,
            "phone": customer.phone,
            "language": customer.language,
            "time_zone": customer.time_zone,
            "organization": customer.organization.name if customer.organization else None,
            "tags": customer.tags,
            "vip": customer.vip,
            "blocked_at": customer.blocked_at,
            "blocked_reason": customer.blocked_reason,
            "custom_fields": {
                fields.get(key, key): value for key, value in customer.custom_fields.items()
            },
            "created_at": customer.created_at,
        },
        "identities": [
            {
                "channel": i.kind,
                "handle": i.handle,
                "display_name": i.display_name,
                "created_at": i.created_at,
            }
            for i in customer.identities.order_by("id")
        ],
        "orders": [
            {
                "source": o.source,
                "number": o.number,
                "ordered_at": o.ordered_at,
                "status": o.status,
                "total": o.total,
                "currency": o.currency,
                "shipping_status": o.shipping_status,
                "carrier": o.carrier,
                "tracking_number": o.tracking_number,
                "tracking_url": o.tracking_url,
                "items": [
                    {"sku": i.sku, "name": i.name, "quantity": i.quantity, "price": i.price}
                    for i in o.items.all()
                ],
            }
            for o in customer.orders.prefetch_related("items").order_by("ordered_at", "id")
        ],
        "notes": [
            {
                "body": n.body,
                "pinned": n.pinned,
                "created_at": n.created_at,
                "author": n.author.display_name if n.author else None,
            }
            for n in customer.notes.select_related("author").order_by("created_at", "id")
        ],
        "merges": [
            {
                "merged_customer": m.merged_customer_id,
                "merged": m.merged_snapshot,
                "at": m.created_at,
            }
            for m in CustomerMerge.objects.filter(into=customer).order_by("created_at")
        ],
    }
    files: list[ExportFile] = []
    for handler in personal_data_handlers():
        part = handler.export(customer)
        data[handler.name] = part.data
        files.extend(part.files)
    return data, files


def customer_export(*, customer: Customer, actor: User, ip: str | None = None) -> IO[bytes]:
    """A zip (`customer.json` + attachments) in a temporary file, positioned at its start.

    Recorded in the access audit before the first byte leaves, with what was handed out.
    """
    data, files = customer_export_data(customer)
    archive = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(
            "customer.json",
            json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        )
        missing = []
        for item in files:
            try:
                with item.open() as source, zipped.open(item.path, "w") as target:
                    while chunk := source.read(1 << 20):
                        target.write(chunk)
            except FileNotFoundError:
                missing.append(item.path)
        if missing:
            zipped.writestr("missing-files.txt", "\n".join(missing))
    archive.seek(0)
    customer_access_record(
        actor=actor,
        action=AccessAction.EXPORT,
        customer_id=customer.pk,
        ip=ip,
        detail={"files": len(files)},
    )
    return archive


# --- erasure ------------------------------------------------------------------------------
def erasure_confirmation_phrase(customer: Customer) -> str:
    """What the admin types to confirm: the name, else the email address, else the number."""
    return customer.name or customer.email or f"#{customer.pk}"


def _comparable(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def customer_erase(
    *, customer: Customer, actor: User, confirmation: str, ip: str | None = None
) -> dict[str, int]:
    """Anonymise the customer everywhere; keep ticket and order rows for statistics.

    Irreversible. The customer row stays (tickets point at it) with no name, address, number,
    tags, custom field values, notes or identities; orders keep date, status and amounts but
    lose tracking; other apps redact messages, delete attachments and raw payloads through
    their erasure handlers; the help-center account is deactivated and anonymised.
    """
    if customer.is_erased:
        raise ValidationError(_("This customer has already been erased."))
    if _comparable(confirmation) != _comparable(erasure_confirmation_phrase(customer)):
        raise ValidationError(_("Type the customer's name exactly as shown to confirm."))
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        contacts = _contacts_of(customer)
        counts = {
            "identities": customer.identities.all().delete()[0],
            "notes": customer.notes.all().delete()[0],
            "orders_anonymised": customer.orders.update(
                tracking_number="", tracking_url="", carrier=""
            ),
        }
        CustomerMerge.objects.filter(into=customer).update(merged_snapshot={})
        # Block reasons quote the customer; the rest of the log is numbers and stays.
        CustomerAccess.objects.filter(customer_id=customer.pk, action=AccessAction.BLOCK).update(
            detail={}
        )
        if customer.user_id:
            _anonymise_account(customer.user)
            counts["accounts"] = 1
        for field in (
            "name",
            "name_kana",
            "email",
            "phone",
            "language",
            "time_zone",
            "blocked_reason",
        ):
            setattr(customer, field, "")
        customer.tags = []
        customer.custom_fields = {}
        customer.vip = False
        customer.organization = None
        customer.user = None
        customer.erased_at = timezone.now()
        customer.erased_by = actor
        customer.save()
        customer_changed.send(sender=Customer, customer=customer, reason="erased")
        subject = ErasureSubject(customer=customer, contacts=tuple(sorted(contacts)))
        for handler in personal_data_handlers():
            counts.update(handler.erase(subject))
        customer_access_record(
            actor=actor, action=AccessAction.ERASE, customer_id=customer.pk, ip=ip, detail=counts
        )
    return counts


def _contacts_of(customer: Customer) -> set[str]:
    contacts = {customer.name, customer.name_kana, customer.email, customer.phone}
    for identity in customer.identities.all():
        contacts |= {identity.handle, identity.display_name}
    if customer.user_id:
        contacts |= {customer.user.email, customer.user.name}
    # Two-letter fragments would match half the database.
    return {c.strip() for c in contacts if c and len(c.strip()) >= 3}


def _anonymise_account(user: User) -> None:
    user.email = f"erased-{user.pk}@erased.invalid"
    user.name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    # allauth keeps its own copy of the address (and of social logins, when installed).
    for model in ("account.EmailAddress", "socialaccount.SocialAccount"):
        try:
            apps.get_model(model).objects.filter(user=user).delete()
        except LookupError:
            continue


# --- retention ----------------------------------------------------------------------------
def personal_data_expire(*, days: int, now: datetime | None = None) -> dict[str, int]:
    """Redact conversations solved more than `days` days ago (and what hangs off them)."""
    if days <= 0:
        return {}
    before = (now or timezone.now()) - timedelta(days=days)
    counts: dict[str, int] = {}
    for handler in personal_data_handlers():
        with transaction.atomic():
            counts.update(handler.expire(before))
    return counts
