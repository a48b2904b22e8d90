"""The customer 360 page: who may see it, what it shows, notes, blocking, query bound."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import AccessAction, CustomerAccess, CustomerNote
from customers.orders import ItemValues, OrderValues, order_upsert
from customers.selectors import TICKETS_ON_360, customer_360
from customers.services import customer_merge, customer_note_add
from tests.customers.c360_data import yamada_with_history
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


def page_of(client, role: str, customer) -> tuple[object, str]:
    client.force_login(UserFactory(role=role))
    response = client.get(f"/agent/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    return response, response.content.decode()


@pytest.mark.parametrize("role", ["admin", "manager", "agent", "light_agent"])
def test_every_staff_role_sees_the_whole_customer(client, role):
    yamada = yamada_with_history()

    response, page = page_of(client, role, yamada.customer)

    assert response.status_code == 200
    for text in (
        "山田 太郎",
        "ヤマダ タロウ",
        "VIP",
        "注文した商品が届きません",
        "LINEから：配送先の変更",
        "#10482",
        "有田焼マグカップ",
        "トートバッグ",
        "1234-5678-9012",
        "¥9,000",
        "配送遅延で一度お詫び済み。",
        "ヤマダ",
    ):
        assert text in page, text
    assert 'href="/agent/tickets/' in page


def test_a_customer_account_gets_403_and_anonymous_is_sent_to_log_in(client):
    customer = CustomerFactory()
    client.force_login(UserFactory(role="customer"))

    assert client.get(f"/agent/customers/{customer.pk}/").status_code == 403
    assert client.get("/agent/customers/").status_code == 403
    client.logout()
    assert client.get(f"/agent/customers/{customer.pk}/").status_code == 302
    assert not CustomerAccess.objects.exists()


def test_an_unknown_customer_is_404(agent_client):
    assert agent_client.get("/agent/customers/999999/").status_code == 404


def test_the_list_searches_by_name_email_and_handle(agent_client):
    yamada = yamada_with_history()
    CustomerFactory(name="Olivia Brown", email="olivia@example.com")

    by_name = agent_client.get("/agent/customers/?q=山田").content.decode()
    by_handle = agent_client.get("/agent/customers/?q=U4af4980629").content.decode()
    nobody = agent_client.get("/agent/customers/?q=zzz-nobody").content.decode()

    assert f"/agent/customers/{yamada.customer.pk}/" in by_name and "Olivia" not in by_name
    assert f"/agent/customers/{yamada.customer.pk}/" in by_handle
    assert "zzz-nobody" in nobody and "/agent/customers/" + str(yamada.customer.pk) not in nobody


def test_agent_adds_a_note_and_pins_and_unpins_it(agent_client):
    customer = CustomerFactory()

    response = agent_client.post(
        f"/agent/customers/{customer.pk}/notes/", {"body": "電話は夕方のみ希望"}
    )
    note = CustomerNote.objects.get()
    pinned = agent_client.post(
        f"/agent/customers/{customer.pk}/notes/{note.pk}/pin/", {"pinned": "on"}
    )
    pinned_state = CustomerNote.objects.get().pinned
    agent_client.post(f"/agent/customers/{customer.pk}/notes/{note.pk}/pin/", {})

    assert (
        response.status_code == 302 and response["Location"] == f"/agent/customers/{customer.pk}/"
    )
    assert note.body == "電話は夕方のみ希望" and note.author.role == "agent" and not note.pinned
    assert pinned.status_code == 302 and pinned_state is True
    assert CustomerNote.objects.get().pinned is False
    assert (
        CustomerAccess.objects.filter(action=AccessAction.NOTE, customer_id=customer.pk).count()
        == 3
    )


def test_an_empty_note_is_refused_on_the_page(agent_client):
    customer = CustomerFactory()

    response = agent_client.post(f"/agent/customers/{customer.pk}/notes/", {"body": "   "})

    assert response.status_code == 400
    assert not CustomerNote.objects.exists()
    assert 'aria-invalid="true"' in response.content.decode()


def test_a_note_of_another_customer_cannot_be_pinned_through_this_one(agent_client):
    mine, other = CustomerFactory(), CustomerFactory()
    note = customer_note_add(customer=other, author=None, body="x")

    response = agent_client.post(
        f"/agent/customers/{mine.pk}/notes/{note.pk}/pin/", {"pinned": "on"}
    )

    assert response.status_code == 404
    assert not CustomerNote.objects.get().pinned


@pytest.mark.parametrize("role", ["agent", "light_agent"])
def test_agents_cannot_block_or_unblock(client, role):
    customer = CustomerFactory()
    client.force_login(UserFactory(role=role))

    blocked = client.post(f"/agent/customers/{customer.pk}/block/", {"reason": "暴言"})
    unblocked = client.post(f"/agent/customers/{customer.pk}/unblock/")
    page = client.get(f"/agent/customers/{customer.pk}/").content.decode()

    assert blocked.status_code == 403 and unblocked.status_code == 403
    customer.refresh_from_db()
    assert not customer.is_blocked
    assert f"/agent/customers/{customer.pk}/block/" not in page


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_block_with_a_reason_and_unblock(client, role):
    customer = CustomerFactory()
    client.force_login(UserFactory(role=role))

    no_reason = client.post(f"/agent/customers/{customer.pk}/block/", {"reason": ""})
    blocked = client.post(f"/agent/customers/{customer.pk}/block/", {"reason": "繰り返しの暴言"})
    customer.refresh_from_db()
    was_blocked, reason = customer.is_blocked, customer.blocked_reason
    page = client.get(f"/agent/customers/{customer.pk}/").content.decode()
    client.post(f"/agent/customers/{customer.pk}/unblock/")
    customer.refresh_from_db()

    assert no_reason.status_code == 400
    assert blocked.status_code == 302
    assert was_blocked and reason == "繰り返しの暴言"
    assert "繰り返しの暴言" in page and "badge--blocked" in page
    assert not customer.is_blocked
    actions = list(
        CustomerAccess.objects.filter(customer_id=customer.pk).values_list("action", flat=True)
    )
    assert AccessAction.BLOCK in actions and AccessAction.UNBLOCK in actions


def test_customer_360_takes_a_bounded_number_of_queries():
    viewer = UserFactory(role="agent")
    customer = CustomerFactory(email="busy@example.jp", phone="0312345678")
    email = IdentityFactory(customer=customer, kind="email", handle="busy@example.jp")
    line = IdentityFactory(customer=customer, kind="line", handle="Ubusy")
    for n in range(60):
        TicketFactory(
            customer=customer,
            identity=email if n % 2 else line,
            channel="email" if n % 2 else "line",
        )
    for n in range(40):
        order_upsert(
            customer=customer,
            source="shop",
            values=OrderValues(
                external_id=str(n),
                number=f"#{n}",
                ordered_at=datetime(2026, 1, 1 + n % 28, tzinfo=UTC),
                total=Decimal(1000),
                currency="JPY" if n % 4 else "USD",
                items=[ItemValues(name=f"item {n}", price=Decimal(500), quantity=2)] * 2,
            ),
        )
    for n in range(25):
        customer_note_add(customer=customer, author=viewer, body=f"note {n}", pinned=n < 3)
    twin = CustomerFactory(email="busy@example.jp")
    IdentityFactory(customer=twin, kind="sms", handle="0312345678")
    customer_merge(source=CustomerFactory(), into=customer, actor=viewer)

    with CaptureQueriesContext(connection) as captured:
        data = customer_360(customer_id=customer.pk, viewer=viewer)

    assert len(captured) <= 12, [q["sql"] for q in captured]
    assert data.ticket_count == 60 and len(data.tickets) == TICKETS_ON_360
    assert data.order_count == 40 and len(data.recent_orders) == 10
    assert {(v.currency, v.total, v.orders) for v in data.lifetime_value} == {
        ("JPY", Decimal(30000), 30),
        ("USD", Decimal(10000), 10),
    }
    assert all(len(order.items.all()) == 2 for order in data.recent_orders)
    assert len(data.pinned_notes) == 3 and len(data.recent_notes) == 22
    assert [d.pk for d in data.duplicates] == [twin.pk]
    assert len(data.merges) == 1 and sorted(i.kind for i in data.identities) == ["email", "line"]
    updated = [t.updated_at for t in data.tickets]
    assert updated == sorted(updated, reverse=True)  # newest activity first


def test_the_page_makes_the_same_number_of_queries_for_a_small_and_a_big_customer(agent_client):
    def queries(customer) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get(f"/agent/customers/{customer.pk}/").status_code == 200
        return len(captured)

    small = yamada_with_history().customer
    big = CustomerFactory(email="big@example.jp")
    identity = IdentityFactory(customer=big, handle="big@example.jp")
    CustomerFactory(email="big@example.jp")  # a probable duplicate, as Yamada has one
    for _n in range(15):
        TicketFactory(customer=big, identity=identity)
    for n in range(12):
        order_upsert(
            customer=big,
            source="shop",
            values=OrderValues(
                external_id=f"b{n}",
                number=f"B{n}",
                ordered_at=datetime(2026, 2, 1, tzinfo=UTC),
                items=[ItemValues(name="x")],
            ),
        )
        customer_note_add(customer=big, author=None, body=f"n{n}")

    assert queries(big) == queries(small)


def test_the_list_page_query_count_does_not_grow_with_the_customers_shown(agent_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get("/agent/customers/").status_code == 200
        return len(captured)

    yamada_with_history()
    few = queries()
    for n in range(20):
        IdentityFactory(customer=CustomerFactory(), kind="line", handle=f"U{n}")

    assert queries() == few
