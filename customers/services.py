"""Writes about customers: identity resolution, merge, blocking, notes.

Identity resolution lives here so every channel resolves alike. `customers` imports none of the
other apps: a merge moves every row that points at the customer by walking the model's
relations, so tickets (or anything added later) follow without this module naming them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
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
    digits = "".join(ch for ch in number if ch.isdecimal())
    return f"+{digits}" if number.startswith("+") else digits


def identity_resolve(*, kind: str, handle: str, display_name: str = "") -> Identity:
    """The identity for (kind, handle), creating it and a new customer on first contact.

    Every inbound message comes through here, so it costs at most two queries: a known
    sender is one SELECT joined to the customer (plus the UPDATE that names a still nameless
    customer); a first contact is that SELECT and one INSERT statement that creates the
    customer (in the organization claiming its mail domain) and the identity together.
    Safe under concurrency: two first messages from the same sender at once end with one
    identity (the unique constraint decides, the loser re-reads).
    """
    handle = normalize_handle(kind, handle)
    identity = _identity_known(kind, handle)
    if identity:
        if display_name and not identity.customer.name:
            identity.customer.name = display_name[:200]
            identity.customer.save(update_fields=["name", "updated_at"])
            customer_changed.send(sender=Customer, customer=identity.customer, reason="renamed")
        return identity
    created = _identity_first_contact(kind=kind, handle=handle, display_name=display_name[:200])
    if created is not None:
        return created
    return Identity.objects.select_related("customer").get(kind=kind, handle=handle)


def identities_resolve(
    senders: Sequence[tuple[str, str, str]],
) -> dict[tuple[str, str], Identity]:
    """`identity_resolve` for many (kind, handle, display_name) at once — an inbound batch:
    every known sender in ONE SELECT; each first contact (and each nameless customer named)
    exactly as `identity_resolve` does it. Keyed by (kind, normalized handle); a sender listed
    twice is resolved once (the first display name wins, as one-by-one would)."""
    wanted: dict[tuple[str, str], str] = {}
    for kind, handle, display_name in senders:
        wanted.setdefault((kind, normalize_handle(kind, handle)), display_name)
    if not wanted:
        return {}
    using = router.db_for_read(Identity)
    connection = connections[using]
    kinds, handles = zip(*wanted, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            _known_identities_sql(connection.ops.quote_name), [list(kinds), list(handles)]
        )
        rows = cursor.fetchall()
    split = len(Identity._meta.concrete_fields)
    found: dict[tuple[str, str], Identity] = {}
    for row in rows:
        identity = _from_row(Identity, using, row[:split])
        identity.customer = _from_row(Customer, using, row[split:])
        found[(identity.kind, identity.handle)] = identity
    for (kind, handle), display_name in wanted.items():
        identity = found.get((kind, handle))
        if identity is not None:
            if display_name and not identity.customer.name:  # as identity_resolve names it
                identity.customer.name = display_name[:200]
                identity.customer.save(update_fields=["name", "updated_at"])
                customer_changed.send(sender=Customer, customer=identity.customer, reason="renamed")
            continue
        found[(kind, handle)] = _identity_first_contact(
            kind=kind, handle=handle, display_name=display_name[:200]
        ) or Identity.objects.select_related("customer").get(kind=kind, handle=handle)
    return found


@functools.cache
def _known_identities_sql(qn) -> str:
    one = _known_identity_sql(qn)
    where = one.index(" WHERE ")
    return (
        f"{one[:where]} WHERE (i.{qn('kind')}, i.{qn('handle')}) IN "  # noqa: S608 - identifiers from the models
        "(SELECT * FROM unnest(%s::text[], %s::text[]))"
    )


def _identity_known(kind: str, handle: str) -> Identity | None:
    """The identity joined to its customer, as `select_related` would read it, from SQL built
    once: the ORM's query building cost more CPU than the query, once per inbound message."""
    using = router.db_for_read(Identity)
    with connections[using].cursor() as cursor:
        cursor.execute(_known_identity_sql(connections[using].ops.quote_name), [kind, handle])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(Identity._meta.concrete_fields)
    identity = _from_row(Identity, using, row[:split])
    identity.customer = _from_row(Customer, using, row[split:])
    return identity


@functools.cache
def _known_identity_sql(qn) -> str:
    identity, customer = Identity._meta, Customer._meta
    columns = [f"i.{qn(f.column)}" for f in identity.concrete_fields]
    columns += [f"c.{qn(f.column)}" for f in customer.concrete_fields]
    return (
        f"SELECT {', '.join(columns)} FROM {qn(identity.db_table)} i "  # noqa: S608 - identifiers from the models
        f"JOIN {qn(customer.db_table)} c ON c.{qn(customer.pk.column)} = "
        f"i.{qn(identity.get_field('customer').column)} "
        f"WHERE i.{qn('kind')} = %s AND i.{qn('handle')} = %s LIMIT 1"
    )


def _identity_first_contact(*, kind: str, handle: str, display_name: str) -> Identity | None:
    """Customer and identity in one statement (a CTE); None when a concurrent first message
    won the (kind, handle) constraint — its customer stands, ours is removed again."""
    email = handle if kind == IdentityKind.EMAIL else ""
    customer = Customer(name=display_name, email=email)
    identity = Identity(kind=kind, handle=handle, display_name=display_name)
    using = router.db_for_write(Identity)
    sql, params = _first_contact_sql(customer, identity, email, connections[using])
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    split = len(Customer._meta.concrete_fields)
    customer = _from_row(Customer, using, row[:split])
    if row[split] is None:
        Customer.objects.filter(pk=customer.pk).delete()
        return None
    identity = _from_row(Identity, using, row[split:])
    identity.customer = customer
    return identity


def _from_row(model, using: str, values):
    """An instance from raw column values, converted as the ORM would (JSON, arrays)."""
    connection = connections[using]
    fields = model._meta.concrete_fields
    converted = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, values, strict=True)
    ]
    return model.from_db(using, [f.attname for f in fields], converted)


def _first_contact_sql(customer: Customer, identity: Identity, email: str, connection):
    """INSERT customer … INSERT identity … ON CONFLICT DO NOTHING, returning both rows
    (identity columns NULL when the identity existed). Identifiers come from the models;
    every value is a parameter."""
    qn = connection.ops.quote_name
    # New customers whose mail domain an organization claims join it.
    domain = email.rpartition("@")[2]
    organization_sql, organization_params = (
        Organization.objects.filter(domain__iexact=domain)
        .exclude(domain="")
        .order_by("name", "id")
        .values("id")[:1]
        .query.sql_with_params()
    )

    def inserted(model, instance, special: dict[str, tuple[str, list]]):
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        values, params = [], []
        for field in fields:
            if field.name in special:
                value_sql, value_params = special[field.name]
            else:
                prepared = field.get_db_prep_save(field.pre_save(instance, True), connection)
                value_sql, value_params = "%s", [prepared]
            values.append(value_sql)
            params += value_params
        names = ", ".join(qn(f.column) for f in fields)
        returned = ", ".join(qn(f.column) for f in model._meta.concrete_fields)
        return qn(model._meta.db_table), names, ", ".join(values), returned, params

    c_table, c_names, c_values, c_returned, c_params = inserted(
        Customer, customer, {"organization": (f"({organization_sql})", list(organization_params))}
    )
    i_table, i_names, i_values, i_returned, i_params = inserted(
        Identity, identity, {"customer": ("new_customer.id", [])}
    )
    both = ", ".join(
        [f"new_customer.{qn(f.column)}" for f in Customer._meta.concrete_fields]
        + [f"new_identity.{qn(f.column)}" for f in Identity._meta.concrete_fields]
    )
    sql = (
        f"WITH new_customer AS (INSERT INTO {c_table} ({c_names}) SELECT {c_values} "  # noqa: S608 - identifiers from the models, values are parameters
        f"RETURNING {c_returned}), new_identity AS (INSERT INTO {i_table} ({i_names}) "
        f"SELECT {i_values} FROM new_customer ON CONFLICT (kind, handle) DO NOTHING "
        f"RETURNING {i_returned}) SELECT {both} FROM new_customer LEFT JOIN new_identity ON true"
    )
    return sql, c_params + i_params


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
