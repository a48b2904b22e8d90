"""The customer 360 page and the ticket page's customer panel stay cheap: "show more" pages of
tickets and messages, a fixed number of queries, and the rows carried as JSON coming back as
the same values the ORM would load."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import AccessAction, CustomerAccess, CustomField
from customers.orders import ItemValues, OrderValues, order_upsert, ticket_order_link
from customers.selectors import (
    TICKETS_ON_360,
    TIMELINE_MESSAGES,
    customer_360,
    customer_panel,
    order_picker,
)
from customers.services import customer_merge, customer_note_add
from tests.factories import (
    CustomerFactory,
    IdentityFactory,
    MessageFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
MORE_LINK = re.compile(r'hx-get="([^"]+)"')
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _busy_customer(tickets: int = 45):
    customer = CustomerFactory(name="多忙 花子", email="busy@example.jp")
    identity = IdentityFactory(customer=customer, kind="email", handle="busy@example.jp")
    made = [
        TicketFactory(customer=customer, identity=identity, subject=f"件名 {n}")
        for n in range(tickets)
    ]
    for n, ticket in enumerate(made):
        # Two tickets share each moment: the cursor must still neither repeat nor skip one.
        type(ticket).objects.filter(pk=ticket.pk).update(updated_at=START + timedelta(hours=n // 2))
    return customer, made


def _follow(client, html: str) -> tuple[str, str | None]:
    found = MORE_LINK.search(html)
    if not found:
        return html, None
    url = found.group(1).replace("&amp;", "&")
    response = client.get(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode(), url


def test_show_more_walks_every_conversation_once_newest_first(agent_client):
    customer, made = _busy_customer()

    page = agent_client.get(f"/agent/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "Show older conversations" in html
    seen = [int(n) for n in re.findall(r'c360-ticket__meta">#(\d+)', html)]
    assert len(seen) == TICKETS_ON_360
    while True:
        html, url = _follow(agent_client, html.split('id="timeline"')[0])
        if url is None:
            break
        seen += [int(n) for n in re.findall(r'c360-ticket__meta">#(\d+)', html)]
        if "Show older conversations" not in html:
            break

    newest_first = [
        t.pk for t in type(made[0]).objects.filter(customer=customer).order_by("-updated_at", "-pk")
    ]
    assert seen == newest_first and len(set(seen)) == 45
    # Each further page shows personal data: audited like the page itself.
    more = CustomerAccess.objects.filter(customer_id=customer.pk, action=AccessAction.VIEW)
    assert more.filter(detail__part="tickets").count() == 2


def test_show_more_walks_the_message_timeline(agent_client):
    customer, made = _busy_customer(tickets=3)
    for n in range(30):
        message = MessageFactory(ticket=made[n % 3], body_text=f"メッセージ {n}")
        type(message).objects.filter(pk=message.pk).update(created_at=START + timedelta(minutes=n))

    html = agent_client.get(f"/agent/customers/{customer.pk}/").content.decode()
    timeline = html.split('id="timeline"')[1]
    assert "メッセージ 29" in timeline and "メッセージ 10" in timeline
    assert "メッセージ 9<" not in timeline
    rest, url = _follow(agent_client, timeline)
    assert url and "/more/timeline/" in url
    assert "メッセージ 9<" in rest and "メッセージ 0<" in rest
    assert "メッセージ 10<" not in rest  # nothing twice
    assert TIMELINE_MESSAGES == 20


@pytest.mark.parametrize(
    "before",
    [
        "abc",
        "1.2.3",
        "9" * 40,
        "1" * 30 + "." + "1" * 30,
        "-99999999999999999999.1",
        ".",
        "1.",
        "1e5.3",
        "<script>.1",
    ],
)
def test_a_forged_cursor_gets_a_clear_400(agent_client, before):
    customer, _made = _busy_customer(tickets=2)

    for part in ("tickets", "timeline"):
        response = agent_client.get(
            f"/agent/customers/{customer.pk}/more/{part}/",
            {"before": before},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 400, (part, before)
        assert "not valid" in response.content.decode()


def test_show_more_for_an_unknown_list_or_customer_is_404_and_customers_get_403(client):
    customer, _made = _busy_customer(tickets=2)
    client.force_login(UserFactory(role="agent"))
    assert client.get(f"/agent/customers/{customer.pk}/more/orders/").status_code == 404
    assert client.get("/agent/customers/999999/more/tickets/").status_code == 404
    last = client.get(f"/agent/customers/{customer.pk}/more/tickets/")
    assert last.status_code == 200 and "Show older" not in last.content.decode()
    client.force_login(UserFactory(role="customer"))
    assert client.get(f"/agent/customers/{customer.pk}/more/tickets/").status_code == 403


def _customer_with_everything():
    viewer = UserFactory(role="agent")
    customer, _made = _busy_customer(tickets=30)
    IdentityFactory(customer=customer, kind="line", handle="Ubusy", display_name="はなこ")
    for n in range(15):
        order_upsert(
            customer=customer,
            source="shop",
            values=OrderValues(
                external_id=f"o{n}",
                number=f"#{1000 + n}",
                ordered_at=START + timedelta(days=n),
                total=Decimal("1234.56") if n % 5 == 0 else Decimal(3000),
                currency="USD" if n % 5 == 0 else "JPY",
                items=[ItemValues(name=f"商品 {n}", sku=f"SKU-{n}", price=Decimal("19.99"))],
            ),
        )
    for n in range(8):
        customer_note_add(customer=customer, author=viewer, body=f"メモ {n}", pinned=n < 2)
    customer_merge(source=CustomerFactory(), into=customer, actor=viewer)
    CustomerFactory(email="busy@example.jp")  # a probable duplicate
    CustomField.objects.create(key="plan", label="契約プラン", kind="text")
    customer.custom_fields = {"plan": "ゴールド"}
    customer.save(update_fields=["custom_fields"])
    return viewer, customer


def test_the_whole_page_stays_within_twelve_queries(client):
    viewer, customer = _customer_with_everything()
    client.force_login(viewer)

    with CaptureQueriesContext(connection) as captured:
        page = client.get(f"/agent/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    assert len(captured) <= 12, [q["sql"][:100] for q in captured]
    html = page.content.decode()
    for text in ("契約プラン", "ゴールド", "メモ 0", "#1014", "商品 14", "SKU-14", "$1,234.56"):
        assert text in html, text
    assert "Customer #" in html  # the merge record
    assert 'class="chan chan--email' in html and "Show older conversations" in html


def test_the_rows_carried_as_json_come_back_as_the_orm_loads_them():
    viewer, customer = _customer_with_everything()

    data = customer_360(customer_id=customer.pk, viewer=viewer)

    latest = data.recent_orders[0]
    assert latest.number == "#1014" and latest.ordered_at == START + timedelta(days=14)
    assert latest.ordered_at.tzinfo is not None
    usd = next(o for o in data.recent_orders if o.currency == "USD")
    assert usd.total == Decimal("1234.56") and isinstance(usd.total, Decimal)
    with CaptureQueriesContext(connection) as captured:
        items = list(latest.items.all())
        kinds = sorted(i.kind for i in data.customer.identities.all())
    assert len(captured) == 0
    assert [(i.name, i.sku, i.price) for i in items] == [("商品 14", "SKU-14", Decimal("19.99"))]
    assert kinds == ["email", "line"]
    assert {(v.currency, v.total, v.orders) for v in data.lifetime_value} == {
        ("JPY", Decimal(36000), 12),
        ("USD", Decimal("3703.68"), 3),
    }
    assert data.order_count == 15 and data.ticket_count == 30
    assert [f.key for f in data.custom_fields] == ["plan"]
    assert latest._state.adding is False and latest.pk


def test_the_ticket_panel_is_one_query_and_the_order_picker_one_more():
    viewer, customer = _customer_with_everything()
    ticket = customer.tickets.first()
    order = customer.orders.get(number="#1010")
    ticket_order_link(ticket_id=ticket.pk, customer=customer, order_id=order.pk, actor=viewer)

    with CaptureQueriesContext(connection) as captured:
        panel = customer_panel(customer=customer)
        identities = list(customer.identities.all())
        items = [list(o.items.all()) for o in panel.recent_orders]
    assert len(captured) == 1
    assert [o.number for o in panel.recent_orders] == ["#1014", "#1013", "#1012"]
    assert all(len(i) == 1 for i in items)
    assert [n.body for n in panel.pinned_notes] == ["メモ 1", "メモ 0"]
    assert panel.order_count == 15 and len(panel.lifetime_value) == 2
    assert (
        sorted(i.kind for i in identities)
        == ["email", "line"]
        == sorted(i.kind for i in panel.identities)
    )

    with CaptureQueriesContext(connection) as captured:
        picker = order_picker(ticket_id=ticket.pk, customer=customer)
    assert len(captured) == 1
    assert picker.linked == order and picker.linked.items.all()[0].name == "商品 10"
    assert len(picker.orders) == 15


def test_a_customer_without_history_gets_an_empty_panel_in_one_query():
    customer = CustomerFactory()
    with CaptureQueriesContext(connection) as captured:
        panel = customer_panel(customer=customer)
        picker = order_picker(ticket_id=123456, customer=customer)
    assert len(captured) == 2
    assert (panel.recent_orders, panel.pinned_notes, panel.order_count) == ([], [], 0)
    assert (picker.linked, picker.orders) == (None, [])


def test_hostile_note_and_order_text_stay_escaped_on_the_page(client):
    viewer = UserFactory(role="agent")
    customer = CustomerFactory()
    customer_note_add(
        customer=customer, author=viewer, body="<script>alert(1)</script>", pinned=True
    )
    order_upsert(
        customer=customer,
        source="shop",
        values=OrderValues(
            external_id="x",
            number="<img src=x onerror=alert(2)>",
            ordered_at=timezone.now(),
            items=[ItemValues(name="<b>bold</b>")],
        ),
    )
    client.force_login(viewer)
    html = client.get(f"/agent/customers/{customer.pk}/").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html and "<b>bold</b>" not in html
    panel = customer_panel(customer=customer)
    assert panel.pinned_notes[0].body == "<script>alert(1)</script>"  # stored as given


def test_duplicates_are_found_by_profile_and_identity_contact_points():
    viewer = UserFactory(role="agent")
    customer = CustomerFactory(email="Same@Example.jp", phone="090-1111-2222")
    by_profile_email = CustomerFactory(email="same@example.jp")
    by_identity_phone = CustomerFactory()
    IdentityFactory(customer=by_identity_phone, kind="sms", handle="09011112222")
    by_profile_phone = CustomerFactory(phone="09011112222")
    CustomerFactory(email="other@example.jp")

    data = customer_360(customer_id=customer.pk, viewer=viewer)

    assert {d.pk for d in data.duplicates} == {
        by_profile_email.pk,
        by_identity_phone.pk,
        by_profile_phone.pk,
    }
    sms = next(d for d in data.duplicates if d.pk == by_identity_phone.pk)
    assert [kind for kind, _label in sms.channels] == ["sms"]
