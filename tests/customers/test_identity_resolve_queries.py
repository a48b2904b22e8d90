"""identity_resolve on ingest: every inbound message pays it, so it is bounded to 2 queries."""

import threading

import pytest
from django.db import connection

from customers.models import Customer, Identity, Organization
from customers.services import identity_resolve

pytestmark = pytest.mark.django_db


def test_first_contact_creates_customer_and_identity_in_two_queries(
    django_assert_max_num_queries,
):
    Organization.objects.create(name="Zeta", domain="example.jp")
    claimed = Organization.objects.create(name="Acme", domain="EXAMPLE.jp")

    with django_assert_max_num_queries(2):
        identity = identity_resolve(kind="email", handle=" Hanako@Example.JP ", display_name="花子")

    stored = Identity.objects.select_related("customer").get()
    assert (stored.pk, stored.handle, stored.display_name) == (
        identity.pk,
        "hanako@example.jp",
        "花子",
    )
    # The returned objects are the stored rows: no re-read needed by the caller.
    assert identity.customer.pk == stored.customer_id
    assert identity.customer.name == "花子"
    assert identity.customer.email == "hanako@example.jp"
    assert identity.customer.tags == [] and identity.customer.custom_fields == {}
    assert not identity.customer.is_blocked
    # The organization claiming the domain (case-insensitively), first by name.
    assert stored.customer.organization_id == claimed.pk
    assert identity.customer.organization_id == claimed.pk


def test_known_identity_is_one_query(django_assert_max_num_queries):
    first = identity_resolve(kind="line", handle="U123", display_name="")

    with django_assert_max_num_queries(1):
        again = identity_resolve(kind="line", handle="U123")

    assert again.pk == first.pk
    assert again.customer.pk == first.customer.pk
    assert Customer.objects.count() == 1


def test_known_nameless_customer_is_named_once():
    """Not bounded here: the rename tells `customer_changed` receivers (search index)."""
    identity_resolve(kind="email", handle="anon@example.com")

    named = identity_resolve(kind="email", handle="ANON@example.com", display_name="Anon Y.")
    identity_resolve(kind="email", handle="anon@example.com", display_name="Other")

    assert Customer.objects.get().name == "Anon Y." == named.customer.name


def test_phone_first_contact_has_no_email_and_no_organization(django_assert_max_num_queries):
    Organization.objects.create(name="Empty domain", domain="")

    with django_assert_max_num_queries(2):
        identity = identity_resolve(kind="phone", handle="+81 90-1234-5678")

    assert identity.handle == "+819012345678"
    customer = Customer.objects.get()
    assert (customer.email, customer.organization_id) == ("", None)


@pytest.mark.django_db(transaction=True)
def test_two_first_messages_at_once_make_one_customer():
    """The constraint decides; the loser's customer row is removed and the winner returned."""
    results, errors = [], []
    barrier = threading.Barrier(4)

    def resolve():
        try:
            barrier.wait()
            results.append(identity_resolve(kind="email", handle="race@example.com"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=resolve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len({identity.pk for identity in results}) == 1
    assert len({identity.customer_id for identity in results}) == 1
    assert Identity.objects.count() == 1
    assert Customer.objects.count() == 1
