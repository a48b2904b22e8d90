"""`identities_resolve`: an inbound batch's senders resolved together, as one by one would."""

from __future__ import annotations

import pytest

from customers.models import Customer, Identity
from customers.services import identities_resolve, identity_resolve

pytestmark = pytest.mark.django_db


def test_known_senders_are_one_query_and_new_ones_one_insert_each(django_assert_num_queries):
    known = [identity_resolve(kind="email", handle=f"k{n}@example.jp") for n in range(5)]

    senders = [("email", f"K{n}@Example.jp ", "") for n in range(5)]  # as mail writes them
    senders += [("email", "new1@example.jp", "新規 一"), ("line", "U123", "LINE 太郎")]
    with django_assert_num_queries(1 + 2):
        found = identities_resolve(senders)

    assert [found[("email", f"k{n}@example.jp")].pk for n in range(5)] == [i.pk for i in known]
    first = found[("email", "new1@example.jp")]
    assert first.customer.name == "新規 一" and first.customer.email == "new1@example.jp"
    assert found[("line", "U123")].customer.email == ""
    assert Customer.objects.count() == 7


def test_a_sender_twice_in_a_batch_is_one_customer_named_by_its_first_mail():
    found = identities_resolve(
        [("email", "twice@example.jp", "最初"), ("email", "TWICE@example.jp", "二通目")]
    )

    assert list(found) == [("email", "twice@example.jp")]
    assert Identity.objects.get(handle="twice@example.jp").customer.name == "最初"


def test_a_nameless_known_customer_is_named_once():
    identity_resolve(kind="email", handle="nameless@example.jp")

    identities_resolve([("email", "nameless@example.jp", "名無し さん")])
    identities_resolve([("email", "nameless@example.jp", "別の名前")])

    assert Customer.objects.get(email="nameless@example.jp").name == "名無し さん"


def test_nothing_to_resolve_is_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert identities_resolve([]) == {}
