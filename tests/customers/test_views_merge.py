"""Merging a probable duplicate from the customer page: confirm first, then one customer."""

from __future__ import annotations

import pytest

from customers.models import AccessAction, Customer, CustomerAccess, CustomerMerge
from tests.customers.c360_data import yamada_with_history
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def merge_url(into, source) -> str:
    return f"/agent/customers/{into.pk}/merge/{source.pk}/"


def test_the_page_offers_the_duplicate_and_the_confirmation_shows_what_moves(agent_client):
    yamada = yamada_with_history()

    page = agent_client.get(f"/agent/customers/{yamada.customer.pk}/").content.decode()
    confirm = agent_client.get(merge_url(yamada.customer, yamada.duplicate))

    assert merge_url(yamada.customer, yamada.duplicate) in page
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert "山田 太郎" in body and "ヤマダ" in body and "09012345678" in body
    assert confirm.context["source"].tickets_count == 1
    assert confirm.context["into"].orders_count == 2
    assert Customer.objects.count() == 2  # looking changes nothing


def test_confirming_merges_and_lands_on_the_survivor_with_both_timelines(agent_client, agent):
    yamada = yamada_with_history()

    response = agent_client.post(merge_url(yamada.customer, yamada.duplicate))

    assert response.status_code == 302
    assert response["Location"] == f"/agent/customers/{yamada.customer.pk}/"
    assert not Customer.objects.filter(pk=yamada.duplicate.pk).exists()
    survivor = Customer.objects.get()
    assert sorted(survivor.identities.values_list("kind", flat=True)) == ["email", "line", "sms"]
    assert survivor.tickets.count() == 3
    record = CustomerMerge.objects.get()
    assert record.actor == agent and record.merged_customer_id == yamada.duplicate.pk
    page = agent_client.get(response["Location"]).content.decode()
    assert "SMS：再配達の依頼" in page and f"#{yamada.duplicate.pk}" in page
    merges = CustomerAccess.objects.filter(action=AccessAction.MERGE)
    assert {(m.customer_id, m.actor_id) for m in merges} == {
        (yamada.customer.pk, agent.pk),
        (yamada.duplicate.pk, agent.pk),
    }


def test_the_other_direction_keeps_the_other_customer(agent_client):
    yamada = yamada_with_history()

    agent_client.post(merge_url(yamada.duplicate, yamada.customer))

    assert list(Customer.objects.values_list("pk", flat=True)) == [yamada.duplicate.pk]


def test_merging_a_customer_into_itself_is_refused_politely(agent_client):
    yamada = yamada_with_history()

    response = agent_client.post(merge_url(yamada.customer, yamada.customer))

    assert response.status_code == 302
    assert Customer.objects.filter(pk=yamada.customer.pk).exists()
    assert not CustomerMerge.objects.exists()


def test_light_agents_may_not_merge_and_get_no_button(client):
    yamada = yamada_with_history()
    client.force_login(UserFactory(role="light_agent"))

    page = client.get(f"/agent/customers/{yamada.customer.pk}/").content.decode()
    looked = client.get(merge_url(yamada.customer, yamada.duplicate))
    tried = client.post(merge_url(yamada.customer, yamada.duplicate))

    assert merge_url(yamada.customer, yamada.duplicate) not in page
    assert looked.status_code == 403 and tried.status_code == 403
    assert Customer.objects.count() == 2


def test_merge_needs_post_to_change_anything(agent_client):
    yamada = yamada_with_history()

    assert agent_client.put(merge_url(yamada.customer, yamada.duplicate)).status_code == 405
    assert Customer.objects.count() == 2


def test_a_profile_number_typed_with_dashes_still_finds_the_sms_sender(agent_client):
    from tests.factories import CustomerFactory, IdentityFactory

    typed = CustomerFactory(phone="090-1234-5678")
    texter = CustomerFactory(email="")
    IdentityFactory(customer=texter, kind="sms", handle="09012345678")

    page = agent_client.get(f"/agent/customers/{typed.pk}/").content.decode()

    assert merge_url(typed, texter) in page
