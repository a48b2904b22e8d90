"""Custom fields: admins define them; values are checked, shown, masked, edited, filtered."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from customers.custom_fields import (
    custom_field_save,
    customer_custom_fields_update,
    customers_with_field,
)
from customers.models import AccessAction, Customer, CustomerAccess, CustomField
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields():
    return {
        "rank": custom_field_save(
            key="rank", label="会員ランク", kind="choice", choices=["gold", "silver"]
        ),
        "points": custom_field_save(key="points", label="ポイント", kind="number", choices=[]),
        "birthday": custom_field_save(
            key="birthday", label="誕生日", kind="date", choices=[], sensitive=True
        ),
        "newsletter": custom_field_save(
            key="newsletter", label="メルマガ", kind="checkbox", choices=[]
        ),
        "memo": custom_field_save(key="memo", label="メモ", kind="text", choices=[]),
    }


def test_values_are_typed_and_stored_by_key(fields):
    customer = CustomerFactory()

    customer_custom_fields_update(
        customer=customer,
        values={
            "rank": "gold",
            "points": "1,200",
            "birthday": "1990/04/01",
            "newsletter": "on",
            "memo": " 午前中希望 ",
        },
    )

    assert Customer.objects.get(pk=customer.pk).custom_fields == {
        "rank": "gold",
        "points": 1200,
        "birthday": "1990-04-01",
        "newsletter": True,
        "memo": "午前中希望",
    }
    customer_custom_fields_update(customer=customer, values={"memo": "", "points": "2.5"})
    assert Customer.objects.get(pk=customer.pk).custom_fields["points"] == 2.5
    assert "memo" not in Customer.objects.get(pk=customer.pk).custom_fields


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("rank", "platinum"),
        ("points", "many"),
        ("birthday", "someday"),
        ("newsletter", "maybe"),
        ("memo", "x" * 1001),
        ("nope", "1"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(fields, key, value):
    customer = CustomerFactory(custom_fields={"rank": "silver"})
    with pytest.raises(ValidationError) as caught:
        customer_custom_fields_update(customer=customer, values={"memo": "ok", key: value})
    assert key in caught.value.message_dict
    assert Customer.objects.get(pk=customer.pk).custom_fields == {"rank": "silver"}


def test_a_choice_field_needs_choices():
    with pytest.raises(ValidationError):
        custom_field_save(key="x", label="X", kind="choice", choices=[" "])


def test_filter_by_a_field_value(fields):
    gold = CustomerFactory(custom_fields={"rank": "gold", "newsletter": True})
    CustomerFactory(custom_fields={"rank": "silver"})
    plain = CustomerFactory()

    assert list(customers_with_field(Customer.objects.all(), "rank", "gold")) == [gold]
    assert list(customers_with_field(Customer.objects.all(), "newsletter", "true")) == [gold]
    assert not customers_with_field(Customer.objects.all(), "unknown", "x").exists()
    assert plain in customers_with_field(Customer.objects.all(), "rank", "")


def test_the_customer_page_shows_and_edits_fields(client, fields):
    customer = CustomerFactory(custom_fields={"rank": "gold", "birthday": "1990-04-01"})
    client.force_login(UserFactory(role="agent"))

    page = client.get(f"/agent/customers/{customer.pk}/").content.decode()
    assert "会員ランク" in page and "gold" in page and "1990-04-01" in page

    response = client.post(
        f"/agent/customers/{customer.pk}/fields/",
        {
            "cf-rank": "silver",
            "cf-points": "30",
            "cf-birthday": "1990-04-01",
            "cf-memo": "",
        },
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).custom_fields == {
        "rank": "silver",
        "points": 30,
        "birthday": "1990-04-01",
        "newsletter": False,
    }
    assert CustomerAccess.objects.filter(action=AccessAction.EDIT, customer_id=customer.pk).exists()

    bad = client.post(
        f"/agent/customers/{customer.pk}/fields/",
        {"cf-points": "lots"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "is not a number" in bad.content.decode()
    assert Customer.objects.get(pk=customer.pk).custom_fields["points"] == 30


def test_light_agents_see_sensitive_values_masked_and_cannot_overwrite_them(client, fields):
    customer = CustomerFactory(custom_fields={"birthday": "1990-04-01", "rank": "gold"})
    client.force_login(UserFactory(role="light_agent"))

    page = client.get(f"/agent/customers/{customer.pk}/").content.decode()
    assert "1990-04-01" not in page and "•••" in page and "gold" in page

    client.post(
        f"/agent/customers/{customer.pk}/fields/",
        {"cf-birthday": "2000-01-01", "cf-rank": "silver"},
    )
    values = Customer.objects.get(pk=customer.pk).custom_fields
    assert values["birthday"] == "1990-04-01" and values["rank"] == "silver"


def test_admins_define_fields_others_may_not(client):
    client.force_login(UserFactory(role="admin"))
    response = client.post(
        "/agent/customers/fields/",
        {
            "key": "plan",
            "label": "プラン",
            "kind": "choice",
            "choices": "free\npro\n",
            "position": 1,
            "active": "on",
        },
    )
    assert response.status_code == 302
    plan = CustomField.objects.get(key="plan")
    assert plan.choices == ["free", "pro"]
    edit = client.post(
        f"/agent/customers/fields/{plan.pk}/",
        {
            "key": "hacked",
            "kind": "text",
            "label": "料金プラン",
            "choices": "free\npro\nteam",
            "position": 1,
            "active": "on",
        },
    )
    assert edit.status_code == 302
    plan.refresh_from_db()
    assert (plan.key, plan.kind, plan.label) == ("plan", "choice", "料金プラン")
    bad = client.post(
        "/agent/customers/fields/", {"key": "plan", "label": "again", "kind": "text", "position": 0}
    )
    assert bad.status_code == 400  # the key is taken

    client.force_login(UserFactory(role="manager"))
    assert client.get("/agent/customers/fields/").status_code == 403


def test_the_api_shows_filters_and_updates_custom_fields(fields):
    gold = CustomerFactory(custom_fields={"rank": "gold", "birthday": "1990-04-01"})
    CustomerFactory(custom_fields={"rank": "silver"})
    api = APIClient()
    api.force_authenticate(UserFactory(role="agent"))

    listed = api.get("/api/v1/customers/?cf_rank=gold").json()["results"]
    assert [c["id"] for c in listed] == [gold.pk]
    assert listed[0]["custom_fields"] == {"rank": "gold", "birthday": "1990-04-01"}

    patched = api.patch(
        f"/api/v1/customers/{gold.pk}/",
        {"custom_fields": {"points": 10, "rank": None}, "name_kana": "キン"},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    assert patched.json()["custom_fields"] == {"birthday": "1990-04-01", "points": 10}
    assert patched.json()["name_kana"] == "キン"

    refused = api.patch(
        f"/api/v1/customers/{gold.pk}/", {"custom_fields": {"rank": "bronze"}}, format="json"
    )
    assert refused.status_code == 400
    unknown = api.patch(f"/api/v1/customers/{gold.pk}/", {"favourite": "tea"}, format="json")
    assert unknown.status_code == 400

    light = APIClient()
    light.force_authenticate(UserFactory(role="light_agent"))
    shown = light.get(f"/api/v1/customers/{gold.pk}/").json()
    assert shown["custom_fields"]["birthday"] == "•••"
    assert (
        light.patch(f"/api/v1/customers/{gold.pk}/", {"vip": True}, format="json").status_code
        == 403
    )
