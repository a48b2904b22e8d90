"""The access audit: every staff read or change of a customer's data is logged; admins search it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.audit import customer_access_record
from customers.models import AccessAction, CustomerAccess
from tests.api_factories import token_client
from tests.customers.c360_data import yamada_with_history
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

AUDIT = "/agent/customers/audit/"


def actions_for(customer_id: int) -> list[str]:
    return list(
        CustomerAccess.objects.filter(customer_id=customer_id)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_viewing_the_customer_page_is_logged_with_who_when_and_from_where(agent_client, agent):
    customer = CustomerFactory()
    before = timezone.now()

    agent_client.get(f"/agent/customers/{customer.pk}/", REMOTE_ADDR="203.0.113.7")

    entry = CustomerAccess.objects.get()
    assert (entry.customer_id, entry.actor, entry.action) == (customer.pk, agent, AccessAction.VIEW)
    assert entry.ip == "203.0.113.7" and entry.at >= before


def test_a_forwarded_for_header_does_not_rewrite_the_address(agent_client):
    customer = CustomerFactory()

    agent_client.get(
        f"/agent/customers/{customer.pk}/",
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )

    assert CustomerAccess.objects.get().ip == "203.0.113.7"


def test_reading_a_customer_through_the_api_is_logged(agent):
    customer = CustomerFactory()

    assert token_client(agent).get(f"/api/v1/customers/{customer.pk}/").status_code == 200

    entry = CustomerAccess.objects.get()
    assert (entry.customer_id, entry.actor, entry.action) == (customer.pk, agent, "view")
    assert entry.detail == {"via": "api"}


def test_merge_block_unblock_and_note_are_logged_in_order(client):
    yamada = yamada_with_history()
    manager = UserFactory(role="manager")
    client.force_login(manager)
    page = f"/agent/customers/{yamada.customer.pk}/"

    client.get(page)
    client.post(f"{page}notes/", {"body": "メモ"})
    client.post(f"{page}merge/{yamada.duplicate.pk}/")
    client.post(f"{page}block/", {"reason": "暴言"})
    client.post(f"{page}unblock/")

    assert actions_for(yamada.customer.pk) == ["view", "note", "merge", "block", "unblock"]
    # The merged customer's number stays in the log, pointing at where it went.
    merged = CustomerAccess.objects.get(customer_id=yamada.duplicate.pk)
    assert merged.action == "merge" and merged.detail == {"into": yamada.customer.pk}
    assert set(CustomerAccess.objects.values_list("actor", flat=True)) == {manager.pk}


def test_a_merge_leaves_earlier_log_entries_on_their_own_customer(agent_client):
    yamada = yamada_with_history()
    agent_client.get(f"/agent/customers/{yamada.duplicate.pk}/")

    agent_client.post(f"/agent/customers/{yamada.customer.pk}/merge/{yamada.duplicate.pk}/")

    assert actions_for(yamada.duplicate.pk)[0] == "view"


@pytest.mark.parametrize("role", ["manager", "agent", "light_agent", "customer"])
def test_only_admins_read_the_log(client, role):
    client.force_login(UserFactory(role=role))

    assert client.get(AUDIT).status_code == 403


def test_admins_read_and_filter_the_log(client):
    admin = UserFactory(role="admin", name="Ada Admin")
    sato, emma = UserFactory(role="agent", name="佐藤 花子"), UserFactory(role="agent", name="Emma")
    yamada, olivia = CustomerFactory(name="山田 太郎"), CustomerFactory(name="Olivia Brown")
    customer_access_record(actor=sato, action="view", customer_id=yamada.pk, ip="192.0.2.1")
    customer_access_record(actor=emma, action="view", customer_id=olivia.pk)
    old = customer_access_record(actor=emma, action="block", customer_id=olivia.pk)
    CustomerAccess.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=40))
    customer_access_record(actor=emma, action="import", detail={"orders": 3})
    client.force_login(admin)

    everything = client.get(AUDIT)
    by_customer = client.get(AUDIT, {"customer": yamada.pk})
    by_actor = client.get(AUDIT, {"actor": emma.pk})
    by_action = client.get(AUDIT, {"action": "block"})
    recent = client.get(
        AUDIT, {"date_from": (timezone.localdate() - timedelta(days=7)).isoformat()}
    )
    old_only = client.get(
        AUDIT, {"date_to": (timezone.localdate() - timedelta(days=30)).isoformat()}
    )

    def rows(response):
        return [entry.pk for entry, _customer in response.context["rows"]]

    assert everything.status_code == 200 and len(rows(everything)) == 4
    page = everything.content.decode()
    assert "山田 太郎" in page and "佐藤 花子" in page and "192.0.2.1" in page
    assert len(rows(by_customer)) == 1
    assert len(rows(by_actor)) == 3
    assert rows(by_action) == [old.pk]
    assert old.pk not in rows(recent) and len(rows(recent)) == 3
    assert rows(old_only) == [old.pk]
    assert not CustomerAccess.objects.filter(
        actor=admin
    ).exists()  # reading the log is not a read of a customer


def test_the_log_is_paginated_and_keeps_the_filter_across_pages(client):
    agent = UserFactory(role="agent")
    customer = CustomerFactory()
    CustomerAccess.objects.bulk_create(
        CustomerAccess(actor=agent, action="view", customer_id=customer.pk) for _ in range(120)
    )
    client.force_login(UserFactory(role="admin"))

    first = client.get(AUDIT, {"customer": customer.pk})
    third = client.get(AUDIT, {"customer": customer.pk, "page": 3})

    assert len(first.context["rows"]) == 50 and first.context["page"].paginator.num_pages == 3
    assert len(third.context["rows"]) == 20
    assert f"customer={customer.pk}&amp;page=2" in first.content.decode()


def test_a_removed_customer_still_shows_by_number(client):
    agent = UserFactory(role="agent")
    customer_access_record(actor=agent, action="view", customer_id=424242)
    client.force_login(UserFactory(role="admin"))

    page = client.get(AUDIT, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "#424242 (merged or removed)" in page


def test_log_details_read_as_words_not_keys():
    from django.utils import translation

    from customers.templatetags.customers_tags import audit_detail

    with translation.override("en"):
        rows = audit_detail({"merged_customer": 12, "pinned": True, "errors": 3, "odd": "x"})

    assert rows == [
        ("rows skipped", "3"),
        ("merged customer", "#12"),
        ("pinned", "yes"),
        ("odd", "x"),
    ]
