"""Customer 360 writes: identity resolution, organizations, merge, blocking, notes."""

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer, CustomerMerge, CustomerNote, Identity, Order, Organization
from customers.orders import OrderValues, order_upsert
from customers.selectors import probable_duplicates
from customers.services import (
    customer_block,
    customer_merge,
    customer_note_add,
    customer_unblock,
    identity_resolve,
    normalize_phone,
)
from tests.factories import UserFactory
from tickets.inbound import IncomingMessage
from tickets.services import receive_message

pytestmark = pytest.mark.django_db


def message(kind: str, handle: str, text: str, external_id: str, channel: str | None = None):
    return receive_message(
        IncomingMessage(
            channel=channel or kind,
            identity_kind=kind,
            handle=handle,
            body_text=text,
            subject=text,
            external_id=external_id,
        )
    )


def test_new_customers_join_the_organization_that_claims_their_domain():
    acme = Organization.objects.create(name="株式会社アクメ", domain="acme.co.jp")

    identity = identity_resolve(kind="email", handle="Hanako@ACME.co.jp")

    assert identity.customer.organization == acme
    assert identity_resolve(kind="email", handle="x@other.jp").customer.organization is None


def test_phone_numbers_are_one_identity_whatever_the_punctuation():
    first = identity_resolve(kind="sms", handle="+81 90-1234-5678")
    second = identity_resolve(kind="sms", handle="+819012345678")

    assert first.pk == second.pk
    assert normalize_phone("(090) 1234 5678") == "09012345678"


def test_merging_makes_one_customer_with_one_timeline_across_channels():
    by_mail = message("email", "yamada@example.jp", "注文について", "<m1@x>").ticket.customer
    by_line = message("line", "U4af49806292", "LINEからです", "line-1").ticket.customer
    by_line.phone = "09012345678"
    by_line.save()
    order_upsert(
        customer=by_line,
        source="shopify",
        values=OrderValues(
            external_id="1001", number="#1001", ordered_at="2026-11-01T10:00:00+09:00"
        ),
    )
    customer_note_add(customer=by_line, author=None, body="VIP対応", pinned=True)
    agent = UserFactory(role="agent")

    record = customer_merge(source=by_line, into=by_mail, actor=agent)

    assert not Customer.objects.filter(pk=by_line.pk).exists()
    survivor = Customer.objects.get(pk=by_mail.pk)
    assert sorted(survivor.identities.values_list("kind", flat=True)) == ["email", "line"]
    assert survivor.tickets.count() == 2  # email and LINE conversations in one history
    assert survivor.orders.get().number == "#1001"
    assert survivor.notes.get().body == "VIP対応"
    assert survivor.phone == "09012345678"  # blanks filled from the merged profile
    assert record.actor == agent and record.merged_customer_id == by_line.pk
    assert record.moved == {"identity": 1, "ticket": 1, "order": 1, "customernote": 1}
    # The next LINE message lands with the merged customer.
    again = message("line", "U4af49806292", "追伸", "line-2")
    assert again.ticket.customer_id == survivor.pk


def test_a_customer_cannot_be_merged_into_itself():
    customer = identity_resolve(kind="email", handle="a@example.jp").customer

    with pytest.raises(ValidationError):
        customer_merge(source=customer, into=customer)
    assert not CustomerMerge.objects.exists()


def test_probable_duplicates_share_an_address_or_phone_across_channels():
    mail = identity_resolve(kind="email", handle="kenji@example.jp").customer
    mail.phone = "09011112222"
    mail.save()
    sms = identity_resolve(kind="sms", handle="090-1111-2222").customer
    typed = Customer.objects.create(name="Kenji", email="KENJI@example.jp".lower())
    stranger = identity_resolve(kind="email", handle="someone@example.jp").customer

    found = set(probable_duplicates(customer=mail))

    assert found == {sms, typed}
    assert stranger not in found


def test_blocking_needs_a_reason_and_can_be_undone():
    customer = identity_resolve(kind="email", handle="angry@example.jp").customer

    with pytest.raises(ValidationError):
        customer_block(customer=customer, reason="  ")
    customer_block(customer=customer, reason="暴言が続いたため")
    assert Customer.objects.get(pk=customer.pk).is_blocked
    customer_unblock(customer=customer)
    assert not Customer.objects.get(pk=customer.pk).is_blocked


def test_pinned_notes_come_first():
    customer = identity_resolve(kind="email", handle="n@example.jp").customer
    customer_note_add(customer=customer, author=None, body="older")
    customer_note_add(customer=customer, author=None, body="pinned", pinned=True)
    customer_note_add(customer=customer, author=None, body="newer")

    assert [n.body for n in CustomerNote.objects.filter(customer=customer)] == [
        "pinned",
        "newer",
        "older",
    ]
    with pytest.raises(ValidationError):
        customer_note_add(customer=customer, author=None, body="")


def test_order_upsert_updates_in_place_and_replaces_items():
    from customers.orders import ItemValues

    customer = identity_resolve(kind="email", handle="o@example.jp").customer
    values = OrderValues(
        external_id="A1",
        number="A1",
        ordered_at="2026-11-01T10:00:00+09:00",
        items=[ItemValues(name="マグカップ", quantity=2, price=1500)],
    )
    first, created = order_upsert(customer=customer, source="api", values=values)
    values.status = "shipped"
    values.items = [ItemValues(name="マグカップ", quantity=1, price=1500)]
    second, created_again = order_upsert(customer=customer, source="api", values=values)

    assert created and not created_again
    assert first.pk == second.pk
    assert Order.objects.get().status == "shipped"
    assert [(i.name, i.quantity) for i in second.items.all()] == [("マグカップ", 1)]
    assert Identity.objects.count() == 1
