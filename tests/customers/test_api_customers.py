"""GET /api/v1/customers/ (with ?q=) and /api/v1/customers/{id}/."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Organization
from customers.orders import ItemValues, OrderValues, order_upsert
from tests.api_factories import session_client, token_client
from tests.factories import CustomerFactory, IdentityFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/customers/"
CUSTOMER_FIELDS = {
    "id",
    "name",
    "name_kana",
    "email",
    "phone",
    "tags",
    "vip",
    "blocked",
    "erased",
    "custom_fields",
    "language",
    "organization",
    "identities",
    "orders",
    "created_at",
}


def detail(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/"


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def test_detail_has_the_contract_fields(agent):
    org = Organization.objects.create(name="Kaisha K.K.")
    customer = CustomerFactory(
        name="Hana Sato", email="hana@example.jp", language="ja", organization=org
    )
    IdentityFactory(customer=customer, kind="email", handle="hana@example.jp")
    IdentityFactory(customer=customer, kind="line", handle="U123", display_name="はな")

    response = token_client(agent).get(detail(customer))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == CUSTOMER_FIELDS
    assert body["id"] == customer.pk
    assert body["name"] == "Hana Sato"
    assert body["email"] == "hana@example.jp"
    assert body["language"] == "ja"
    assert body["organization"] == {"id": org.pk, "name": "Kaisha K.K."}
    assert body["identities"] == [
        {"kind": "email", "handle": "hana@example.jp", "display_name": ""},
        {"kind": "line", "handle": "U123", "display_name": "はな"},
    ]
    assert body["orders"] == []
    assert body["created_at"].endswith("Z")


def test_customer_without_organization(agent):
    body = session_client(agent).get(detail(CustomerFactory())).json()
    assert body["organization"] is None
    assert body["identities"] == []


def test_list_newest_first(agent):
    older, newer = CustomerFactory(), CustomerFactory()
    response = token_client(agent).get(LIST)
    assert response.status_code == 200
    assert ids(response) == [newer.pk, older.pk]


@pytest.mark.parametrize("q", ["sato", "HANA@EXAMPLE", "u98765"])
def test_search_by_name_email_or_handle(agent, q):
    hana = CustomerFactory(name="Hana Sato", email="hana@example.jp")
    IdentityFactory(customer=hana, kind="line", handle="U98765")
    IdentityFactory(customer=hana, kind="email", handle="hana.sato@example.jp")  # two matches
    CustomerFactory(name="Taro Suzuki", email="taro@example.com")
    assert ids(token_client(agent).get(LIST, {"q": q})) == [hana.pk]


def test_blank_search_lists_everyone(agent):
    customers = CustomerFactory.create_batch(2)
    assert len(ids(token_client(agent).get(LIST, {"q": "  "}))) == len(customers)


def test_unknown_customer_is_404_json(agent):
    response = token_client(agent).get("/api/v1/customers/999999/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_no_credentials_is_401():
    response = APIClient().get(LIST)
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("make_client", [token_client, session_client])
def test_customer_role_is_403(make_client):
    customer = CustomerFactory()
    client = make_client(UserFactory(role="customer"))
    assert client.get(LIST).status_code == 403
    assert client.get(detail(customer)).status_code == 403


def test_customers_cannot_be_deleted_through_the_api(agent):
    # Removing a customer is an erasure (APPI / GDPR): the admin pages, with confirmation.
    response = token_client(agent).delete(detail(CustomerFactory()))
    assert response.status_code == 405
    assert response.json()["detail"]


def test_patch_changes_only_what_is_sent(agent):
    customer = CustomerFactory(name="Hana", language="ja", tags=["vip"])
    response = token_client(agent).patch(detail(customer), {"name": "Hana Sato"}, format="json")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["language"]) == ("Hana Sato", "ja")
    assert response.json()["tags"] == ["vip"]


def _fill_customers(count: int) -> None:
    org = Organization.objects.create(name=f"Org {count}")
    for customer in CustomerFactory.create_batch(count, organization=org):
        IdentityFactory(customer=customer)
        IdentityFactory(customer=customer, kind="line", handle=f"U-{customer.pk}")
        for n in range(3):  # orders with items: still one query each for orders and items
            order, _ = order_upsert(
                customer=customer,
                source="test",
                values=OrderValues(
                    external_id=f"{customer.pk}-{n}",
                    number=f"{n}",
                    ordered_at=timezone.now(),
                    items=[ItemValues(name="Cup")],
                ),
            )


def test_list_query_count_does_not_grow(agent, django_assert_max_num_queries):
    client = token_client(agent)
    _fill_customers(1)
    # session/token, customers, identities, orders (sliced per customer), order items
    with django_assert_max_num_queries(5) as one:
        assert len(ids(client.get(LIST))) == 1
    _fill_customers(29)
    with django_assert_max_num_queries(5) as thirty:
        assert len(ids(client.get(LIST, {"q": "example"}))) == 30
    assert len(one.captured_queries) == len(thirty.captured_queries)


def test_orders_are_upserted_by_source_and_external_id(agent):
    client = token_client(agent)
    customer = CustomerFactory()
    order = {
        "source": "shopify",
        "external_id": "450789469",
        "number": "#1001",
        "ordered_at": "2026-11-20T14:30:00+09:00",
        "status": "paid",
        "total": "5800",
        "currency": "jpy",
        "items": [
            {"sku": "MUG-1", "name": "マグカップ", "quantity": 2, "price": "1500"},
            {"sku": "BAG-2", "name": "トートバッグ", "quantity": 1, "price": "2800"},
        ],
    }
    url = f"{detail(customer)}orders/"

    created = client.post(url, order, format="json")
    order["shipping_status"] = "shipped"
    order["tracking_number"] = "1234-5678-9012"
    updated = client.post(url, order, format="json")

    assert created.status_code == 201, created.json()
    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"]
    body = client.get(detail(customer)).json()
    assert body["orders"][0]["number"] == "#1001"
    assert body["orders"][0]["currency"] == "JPY"
    assert body["orders"][0]["shipping_status"] == "shipped"
    assert [i["name"] for i in body["orders"][0]["items"]] == ["マグカップ", "トートバッグ"]


def test_bad_orders_get_field_errors(agent):
    client = token_client(agent)
    url = f"{detail(CustomerFactory())}orders/"

    response = client.post(
        url,
        {
            "source": "shop",
            "external_id": "1",
            "number": "1",
            "ordered_at": "yesterday",
            "total": "-3",
            "surprise": 1,
        },
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()
    assert "ordered_at" in errors and "total" in errors
    assert client.post("/api/v1/customers/999999/orders/", {}, format="json").status_code == 404


def test_customers_can_be_found_by_exact_email_phone_or_handle(agent):
    client = token_client(agent)
    wanted = CustomerFactory(email="hana@example.jp", phone="09012345678")
    IdentityFactory(customer=wanted, kind="line", handle="U-hana")
    CustomerFactory(email="other@example.jp")

    assert ids(client.get(LIST, {"email": "HANA@example.jp"})) == [wanted.pk]
    assert ids(client.get(LIST, {"phone": "090-1234-5678"})) == [wanted.pk]
    assert ids(client.get(LIST, {"handle": "U-hana"})) == [wanted.pk]


def test_light_agents_get_contacts_masked_and_agents_do_not(agent):
    customer = CustomerFactory(email="hana@example.jp", phone="09012345678")
    IdentityFactory(customer=customer, kind="email", handle="hana@example.jp")
    IdentityFactory(customer=customer, kind="line", handle="U-hana")

    light = token_client(UserFactory(role="light_agent")).get(detail(customer)).json()
    full = token_client(agent).get(detail(customer)).json()
    listed = token_client(UserFactory(role="light_agent")).get(LIST).json()["results"][0]

    assert (light["email"], light["phone"]) == ("h•••@example.jp", "•••-5678")
    assert {i["handle"] for i in light["identities"]} == {"h•••@example.jp", "U-hana"}
    assert listed["email"] == "h•••@example.jp"
    assert (full["email"], full["phone"]) == ("hana@example.jp", "09012345678")
