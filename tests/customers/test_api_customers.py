"""GET /api/v1/customers/ (with ?q=) and /api/v1/customers/{id}/."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from customers.models import Organization
from tests.api_factories import session_client, token_client
from tests.factories import CustomerFactory, IdentityFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/customers/"
CUSTOMER_FIELDS = {
    "id",
    "name",
    "email",
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


def test_read_only(agent):
    response = token_client(agent).patch(detail(CustomerFactory()), {"name": "x"}, format="json")
    assert response.status_code == 405
    assert response.json()["detail"]


def _fill_customers(count: int) -> None:
    org = Organization.objects.create(name=f"Org {count}")
    for customer in CustomerFactory.create_batch(count, organization=org):
        IdentityFactory(customer=customer)
        IdentityFactory(customer=customer, kind="line", handle=f"U-{customer.pk}")


def test_list_query_count_does_not_grow(agent, django_assert_max_num_queries):
    client = token_client(agent)
    _fill_customers(1)
    with django_assert_max_num_queries(3) as one:
        assert len(ids(client.get(LIST))) == 1
    _fill_customers(29)
    with django_assert_max_num_queries(3) as thirty:
        assert len(ids(client.get(LIST, {"q": "example"}))) == 30
    assert len(one.captured_queries) == len(thirty.captured_queries)
