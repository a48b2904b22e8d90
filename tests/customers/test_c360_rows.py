"""The 360 page's long lists (conversations, messages, orders) are written in Python and its
lists ride in one customer query: outside text stays escaped, every fact still shows, and the
audit row of each view is written as before."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import AccessAction, CustomerAccess
from customers.orders import ItemValues, OrderValues, order_upsert
from customers.selectors import customer_360
from customers.services import customer_merge, customer_note_add
from tests.factories import (
    CustomerFactory,
    IdentityFactory,
    MessageFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
HOSTILE = '<img src=x onerror="alert(1)">'


def _page(client, customer, **headers) -> str:
    response = client.get(f"/agent/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en", **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_outside_text_in_every_row_stays_escaped(client):
    viewer = UserFactory(role="agent", name=HOSTILE)
    customer = CustomerFactory()
    identity = IdentityFactory(customer=customer)
    ticket = TicketFactory(customer=customer, identity=identity, subject=HOSTILE, assignee=viewer)
    MessageFactory(ticket=ticket, body_text=f"body {HOSTILE}")
    MessageFactory(ticket=ticket, author_kind="agent", author=viewer, body_text="reply")
    order_upsert(
        customer=customer,
        source="shop",
        values=OrderValues(
            external_id="x1",
            number=HOSTILE,
            ordered_at=timezone.now(),
            status=HOSTILE,
            shipping_status=HOSTILE,
            carrier=HOSTILE,
            tracking_number=HOSTILE,
            tracking_url='https://track.example/?n=1"><script>alert(3)</script>',
            items=[ItemValues(name=HOSTILE, sku=HOSTILE, price=Decimal(1))],
        ),
    )
    client.force_login(viewer)

    html = _page(client, customer)

    assert "<img src=x" not in html and "<script>alert(3)" not in html
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    tickets = html.split('id="tickets"')[1].split('id="orders"')[0]
    orders = html.split('id="orders"')[1].split('id="timeline"')[0]
    timeline = html.split('id="timeline"')[1]
    assert tickets.count(escaped) == 2  # subject and assignee
    assert orders.count(escaped) == 7  # number, status, shipping, carrier, tracking, name, sku
    assert 'href="https://track.example/?n=1&quot;&gt;&lt;script&gt;' in orders
    assert f"body {escaped}" in timeline and timeline.count(escaped) >= 3


def test_rows_show_every_fact_the_templates_showed(client):
    viewer = UserFactory(role="agent", name="佐藤 一郎")
    customer = CustomerFactory(name="山田 花子")
    line = IdentityFactory(customer=customer, kind="line", handle="Uyamada")
    ticket = TicketFactory(
        customer=customer, identity=line, channel="line", subject="返品について", status="pending"
    )
    MessageFactory(ticket=ticket, body_text="届いた商品が違います")
    MessageFactory(
        ticket=ticket, author_kind="agent", author=viewer, internal=True, body_text="確認中"
    )
    MessageFactory(ticket=ticket, author_kind="system", author=None, body_text="自動返信")
    MessageFactory(ticket=ticket, body_text="長" * 450)
    order_upsert(
        customer=customer,
        source="shopify",
        values=OrderValues(
            external_id="o1",
            number="#1001",
            ordered_at=timezone.now() - timedelta(days=3),
            total=Decimal("12.50"),
            currency="USD",
            shipping_status="shipped",
            carrier="Yamato",
            tracking_number="1234-5678",
            tracking_url="https://track.example/1234",
            items=[ItemValues(name="Tシャツ", sku="TEE-M", quantity=2, price=Decimal("6.25"))],
        ),
    )
    client.force_login(viewer)

    html = _page(client, customer)

    row = re.search(r'<a href="/agent/tickets/(\d+)/" class="c360-ticket">(.*?)</a>', html, re.S)
    assert row and int(row.group(1)) == ticket.pk
    assert "chan--line" in row.group(2) and "返品について" in row.group(2)
    assert 'badge--pending">Pending<' in row.group(2)
    assert f"#{ticket.pk} · LINE" in row.group(2) and 'title="20' in row.group(2)
    timeline = html.split('id="timeline"')[1]
    assert "timeline__item--internal" in timeline and "· internal note" in timeline
    assert "佐藤 一郎" in timeline and "System" in timeline and "Customer" in timeline
    assert "長" * 399 + "…" in timeline and "長" * 400 not in timeline
    orders = html.split('id="orders"')[1].split('id="timeline"')[0]
    for text in ("#1001", "shipped", "· Yamato", "Tracking", ">1234-5678</a>", "$12.50", "$6.25"):
        assert text in orders, text
    assert 'href="https://track.example/1234" rel="noopener noreferrer"' in orders
    assert '<td class="num">2</td>' in orders and "TEE-M" in orders


def test_the_profile_reads_in_two_queries_and_each_view_is_audited_once(client):
    viewer = UserFactory(role="agent")
    customer = CustomerFactory(email="same@example.jp")
    twin = CustomerFactory(email="same@example.jp")
    IdentityFactory(customer=twin, kind="line", handle="Utwin")
    identity = IdentityFactory(customer=customer)
    for _n in range(3):
        TicketFactory(customer=customer, identity=identity)
    customer_note_add(customer=customer, author=viewer, body="ピン留め", pinned=True)
    customer_merge(source=CustomerFactory(name="旧 顧客"), into=customer, actor=viewer)

    with CaptureQueriesContext(connection) as captured:
        data = customer_360(customer_id=customer.pk, viewer=viewer)
        # Everything the page reads of these rows is already loaded.
        names = [t.assignee for t in data.tickets] + [n.author.name for n in data.pinned_notes]
        actors = [m.actor.name for m in data.merges]
    assert len(captured) == 2, [q["sql"][:80] for q in captured]
    assert names[-1] == viewer.name and actors == [viewer.name]
    assert [d.pk for d in data.duplicates] == [twin.pk]
    assert data.duplicates[0].channels == [("line", "LINE")]
    assert data.ticket_count == 3 and len(data.tickets) == 3

    client.force_login(viewer)
    CustomerAccess.objects.all().delete()
    _page(client, customer, REMOTE_ADDR="192.0.2.7")
    client.get(f"/agent/customers/{customer.pk}/more/tickets/?before=1.1")
    views = list(CustomerAccess.objects.order_by("id"))
    assert [(v.actor_id, v.customer_id, v.action) for v in views] == [
        (viewer.pk, customer.pk, AccessAction.VIEW)
    ] * 2
    assert str(views[0].ip) == "192.0.2.7" and views[0].detail == {}
    assert views[1].detail == {"part": "tickets"} and views[0].at <= views[1].at
