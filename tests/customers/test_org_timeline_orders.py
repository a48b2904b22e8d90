"""Organization shared view, the 360 timeline, linking a ticket to an order, order placeholders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import AccessAction, CustomerAccess, Organization, TicketOrder
from customers.orders import ItemValues, OrderValues, order_upsert, ticket_order_link
from customers.selectors import (
    customer_timeline,
    order_placeholders,
    organization_view,
    ticket_order,
)
from tests.customers.c360_data import yamada_with_history
from tests.factories import (
    CustomerFactory,
    IdentityFactory,
    MessageFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


def test_the_timeline_has_every_message_across_channels_newest_first():
    yamada = yamada_with_history().customer
    by_mail, by_line = yamada.tickets.order_by("pk")
    MessageFactory(ticket=by_mail, body_text="メールで：届きません")
    MessageFactory(ticket=by_line, channel="line", body_text="LINEで：住所を変えたい")
    MessageFactory(ticket=by_mail, author_kind="agent", internal=True, body_text="調査中")

    timeline = customer_timeline(customer=yamada)

    assert [m.body_text for m in timeline] == [
        "調査中",
        "LINEで：住所を変えたい",
        "メールで：届きません",
    ]
    assert {m.channel for m in timeline} == {"email", "line"}


def test_the_customer_page_shows_the_timeline_in_a_bounded_number_of_queries(agent_client):
    yamada = yamada_with_history().customer
    for ticket in yamada.tickets.all():
        for n in range(30):
            MessageFactory(ticket=ticket, body_text=f"{ticket.channel} メッセージ {n}")

    newest = MessageFactory._meta.model.objects.filter(ticket__customer=yamada)
    newest = newest.order_by("-created_at", "-pk").first()

    with CaptureQueriesContext(connection) as queries:
        page = agent_client.get(f"/agent/customers/{yamada.pk}/").content.decode()

    assert newest.body_text.endswith("メッセージ 29") and newest.body_text in page
    assert len(queries) <= 12, [q["sql"][:80] for q in queries]
    # Older messages, from every ticket, come page by page ("show more").
    timeline = page.split('id="timeline"')[1]
    seen = timeline
    while 'hx-get="' in timeline:
        url = timeline.split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
        timeline = agent_client.get(url, HTTP_HX_REQUEST="true").content.decode()
        seen += timeline
    assert "line メッセージ 29" in seen and "email メッセージ 29" in seen
    assert seen.count("メッセージ 0<") == 2  # each ticket's first message, once


def test_an_organization_shows_everyone_and_all_their_tickets(client):
    acme = Organization.objects.create(name="株式会社アクメ", domain="acme.co.jp")
    sato = CustomerFactory(name="佐藤", email="sato@acme.co.jp", organization=acme)
    suzuki = CustomerFactory(name="鈴木", email="suzuki@acme.co.jp", organization=acme)
    outsider = CustomerFactory(name="部外者")
    TicketFactory(customer=sato, identity=IdentityFactory(customer=sato), subject="請求書の再発行")
    TicketFactory(
        customer=suzuki,
        identity=IdentityFactory(customer=suzuki),
        subject="ログインできない",
        status="solved",
    )
    TicketFactory(customer=outsider, identity=IdentityFactory(customer=outsider), subject="無関係")

    view = organization_view(organization_id=acme.pk)
    assert {t.subject for t in view.tickets} == {"請求書の再発行", "ログインできない"}
    assert (view.ticket_count, view.open_ticket_count, view.customer_count) == (2, 1, 2)

    client.force_login(UserFactory(role="light_agent"))
    page = client.get(f"/agent/customers/organizations/{acme.pk}/").content.decode()
    assert "請求書の再発行" in page and "佐藤" in page and "無関係" not in page
    assert "sato@acme.co.jp" not in page  # light agents see addresses masked
    logged = CustomerAccess.objects.get(action=AccessAction.VIEW, customer_id=None)
    assert logged.detail["organization"] == acme.pk
    listing = client.get("/agent/customers/organizations/").content.decode()
    assert "株式会社アクメ" in listing


def test_an_agent_links_a_ticket_to_one_of_the_customers_orders(agent_client):
    yamada = yamada_with_history()
    ticket = yamada.customer.tickets.order_by("pk").first()
    order = yamada.customer.orders.get(number="#10482")
    stranger_order, _ = order_upsert(
        customer=yamada.duplicate,
        source="csv",
        values=OrderValues(
            external_id="X1", number="X1", ordered_at=datetime(2026, 1, 1, tzinfo=TOKYO)
        ),
    )

    # The ticket page's side panels arrive in their own request.
    sidebar = agent_client.get(
        reverse("tickets:sidebar", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Order for this ticket" in sidebar.content.decode()
    assert "#10482" in sidebar.content.decode()

    response = agent_client.post(
        f"/agent/customers/tickets/{ticket.pk}/order/",
        {"order": order.pk, "next": f"/agent/tickets/{ticket.pk}/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/agent/tickets/{ticket.pk}/"
    assert TicketOrder.objects.get(ticket_id=ticket.pk).order == order

    agent_client.post(f"/agent/customers/tickets/{ticket.pk}/order/", {"order": stranger_order.pk})
    assert TicketOrder.objects.get(ticket_id=ticket.pk).order == order  # refused

    evil = agent_client.post(
        f"/agent/customers/tickets/{ticket.pk}/order/",
        {"order": "", "next": "https://evil.example/"},
    )
    assert evil["Location"] == f"/agent/tickets/{ticket.pk}/"
    assert not TicketOrder.objects.exists()  # an empty choice unlinks
    assert (
        agent_client.post("/agent/customers/tickets/999999/order/", {"order": order.pk}).status_code
        == 404
    )


def test_order_placeholders_for_macros():
    yamada = yamada_with_history().customer
    latest = order_placeholders(yamada)
    assert latest == {
        "number": "#10482",
        "status": "paid",
        "shipping_status": "発送済み",
        "tracking": "1234-5678-9012",
        "tracking_url": "",
        "carrier": "",
        "total": "¥5,800",
        "date": "2026-11-20",
    }
    older = yamada.orders.get(number="#10311")
    ticket = yamada.tickets.first()
    ticket_order_link(ticket_id=ticket.pk, customer=yamada, order_id=older.pk)
    assert order_placeholders(yamada, ticket_order(ticket_id=ticket.pk))["number"] == "#10311"
    nobody = CustomerFactory()
    assert set(order_placeholders(nobody).values()) == {""}


def test_an_order_with_a_carrier_and_dollar_total():
    customer = CustomerFactory()
    order, _ = order_upsert(
        customer=customer,
        source="api",
        values=OrderValues(
            external_id="9",
            number="US-9",
            ordered_at=datetime(2026, 5, 1, 23, 30, tzinfo=TOKYO),
            total=Decimal("32.5"),
            currency="usd",
            carrier="UPS",
            tracking_number="1Z999",
            items=[ItemValues(name="Mug", price=Decimal("32.5"))],
        ),
    )
    values = order_placeholders(customer, order)
    assert (values["carrier"], values["total"], values["tracking"]) == ("UPS", "$32.50", "1Z999")


def test_the_customer_page_shows_csat_history(agent_client):
    from django.utils import timezone

    from feedback.models import Survey, SurveyResponse

    yamada = yamada_with_history().customer
    for n, ticket in enumerate(yamada.tickets.order_by("pk")):
        survey = Survey.objects.create(
            ticket=ticket,
            customer=yamada,
            channel=ticket.channel,
            language="ja",
            scale="five",
            send_at=timezone.now(),
            nonce=f"n{n}",
        )
        SurveyResponse.objects.create(
            survey=survey,
            ticket=ticket,
            customer=yamada,
            channel=ticket.channel,
            scale="five",
            rating=5 if n == 0 else 2,
            is_good=n == 0,
            comment="対応が早くて助かりました" if n == 0 else "",
        )

    page = agent_client.get(f"/agent/customers/{yamada.pk}/", HTTP_ACCEPT_LANGUAGE="en")

    text = page.content.decode()
    assert "50%" in text and "1 of 2 answers good" in text
    assert "5/5" in text and "2/5" in text and "対応が早くて助かりました" in text
