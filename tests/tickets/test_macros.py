"""Macros: placeholders filled per ticket, actions applied with the reply, use recorded."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from customers.models import Order
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, UserFactory
from tickets import macros, services
from tickets.models import Macro, Status, Team

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _replies_can_leave(monkeypatch):
    from tickets import outbound

    monkeypatch.setattr(outbound, "can_send", lambda channel: True)
    monkeypatch.setattr(outbound, "send", lambda message: None)


def make_macro(owner=None, **fields):
    defaults = {
        "name": "Shipping",
        "body": "{{customer.name}}様\nお問い合わせ #{{ticket.id}}",
        "shared": True,
    }
    defaults.update(fields)
    return Macro.objects.create(owner=owner, **defaults)


def ticket_for(name="山田 太郎"):
    customer = CustomerFactory(name=name)
    return TicketFactory(identity=IdentityFactory(customer=customer), status=Status.OPEN)


def test_placeholders_fill_in_customer_ticket_agent_and_latest_order(agent):
    ticket = ticket_for()
    Order.objects.create(
        customer=ticket.customer,
        external_id="1",
        number="A-100",
        ordered_at=timezone.now() - timedelta(days=9),
        status="delivered",
    )
    Order.objects.create(
        customer=ticket.customer,
        external_id="2",
        number="A-200",
        ordered_at=timezone.now(),
        status="shipped",
        tracking_number="1234-5678",
    )
    macro = make_macro(
        body="{{customer.name}}様\n{{ agent.name }}です。ご注文 {{order.number}}（{{order.status}}）"
        "の追跡番号は {{order.tracking_number}} です。#{{ticket.id}}"
    )

    rendered = macros.render_macro(macro=macro, ticket=ticket, agent=agent)

    assert rendered.body == (
        f"山田 太郎様\nAiko Agentです。ご注文 A-200（shipped）の追跡番号は 1234-5678 です。#{ticket.pk}"
    )
    assert rendered.warnings == []


def test_a_customer_without_a_name_is_still_addressed_politely(agent):
    ticket = ticket_for(name="")
    macro = make_macro(body="{{customer.name}}様、{{order.number}} {{customer.nickname}}")

    with translation.override("en"):
        rendered = macros.render_macro(macro=macro, ticket=ticket, agent=agent)

    assert rendered.body.startswith("valued customer様、")
    assert "{{customer.nickname}}" in rendered.body  # unknown placeholders stay visible
    assert len(rendered.warnings) == 2


def test_macro_save_validates_and_only_managers_share(agent):
    manager = UserFactory(role="manager")
    with pytest.raises(PermissionDenied):
        macros.macro_save(actor=agent, name="x", body="hi", shared=True)
    with translation.override("en"), pytest.raises(ValidationError, match="placeholder"):
        macros.macro_save(actor=manager, name="x", body="{{customer.password}}")
    with pytest.raises(ValidationError):
        macros.macro_save(actor=manager, name="  ", body="hi")
    with pytest.raises(ValidationError):
        macros.macro_save(actor=manager, name="nothing", body="")
    with pytest.raises(ValidationError):
        macros.macro_save(actor=manager, name="x", body="hi", set_status="vanished")

    personal = macros.macro_save(actor=agent, name="Mine", body="hi", add_tags=[" VIP ", "vip", ""])

    assert (personal.shared, personal.owner, personal.add_tags) == (False, agent, ["vip"])
    assert personal not in macros.macros_for(UserFactory(role="agent"))
    assert personal in macros.macros_for(agent)


def test_reply_with_macros_records_them_and_applies_their_actions(agent):
    team = Team.objects.create(name="配送")
    ticket = ticket_for()
    macro = make_macro(
        set_priority="high", add_tags=["shipping"], team=team, assignee_action="actor"
    )

    message = services.reply(ticket=ticket, author=agent, body_text="本文", macros=[macro])

    ticket.refresh_from_db()
    macro.refresh_from_db()
    assert list(message.macros.all()) == [macro]
    assert (ticket.priority, ticket.team, ticket.assignee) == ("high", team, agent)
    assert list(ticket.tags.values_list("name", flat=True)) == ["shipping"]
    assert macro.usage_count == 1
    assert ticket.status == Status.PENDING  # a public reply's default still holds


def test_the_status_the_agent_picked_wins_over_the_macros(agent):
    ticket = ticket_for()
    macro = make_macro(set_status=Status.SOLVED)

    services.reply(
        ticket=ticket, author=agent, body_text="x", status=Status.ON_HOLD, macros=[macro]
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD

    services.reply(ticket=ticket, author=agent, body_text="y", macros=[macro])
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


def test_picker_lists_usable_macros_and_fills_one_in(agent_client, agent):
    ticket = ticket_for()
    shared = make_macro(name="配送のお知らせ")
    make_macro(name="Someone's own", shared=False, owner=UserFactory())
    make_macro(name="Retired", active=False)

    listed = agent_client.get(f"/agent/tickets/{ticket.pk}/macros/").json()["macros"]
    found = agent_client.get(f"/agent/tickets/{ticket.pk}/macros/?q=配送").json()["macros"]
    rendered = agent_client.get(f"/agent/tickets/{ticket.pk}/macros/{shared.pk}/").json()

    assert [m["name"] for m in listed] == ["配送のお知らせ"]
    assert [m["id"] for m in found] == [shared.pk]
    assert rendered["body"] == f"山田 太郎様\nお問い合わせ #{ticket.pk}"
    private = Macro.objects.get(name="Someone's own")
    assert agent_client.get(f"/agent/tickets/{ticket.pk}/macros/{private.pk}/").status_code == 404


def test_reply_form_carries_macro_ids_and_ignores_junk(agent_client, agent):
    ticket = ticket_for()
    macro = make_macro(add_tags=["faq"])
    hidden = make_macro(name="Not yours", shared=False, owner=UserFactory(), add_tags=["secret"])

    response = agent_client.post(
        f"/agent/tickets/{ticket.pk}/reply/",
        {"body": "こんにちは", "internal": "false", "macros": f"{macro.pk},{hidden.pk},x,-1,'"},
    )

    assert response.status_code == 302
    message = ticket.messages.get()
    assert list(message.macros.all()) == [macro]
    assert list(ticket.tags.values_list("name", flat=True)) == ["faq"]


def test_actions_only_macro_applies_at_once(agent_client, agent):
    ticket = ticket_for()
    macro = make_macro(body="", set_status=Status.ON_HOLD, assignee_action="actor")

    response = agent_client.post(f"/agent/tickets/{ticket.pk}/macros/{macro.pk}/apply/")

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert (ticket.status, ticket.assignee) == (Status.ON_HOLD, agent)


def test_admins_manage_shared_macros_agents_only_their_own(client, agent):
    admin = UserFactory(role="admin")
    shared = make_macro()
    client.force_login(agent)
    assert client.get(f"/agent/macros/{shared.pk}/").status_code == 404
    created = client.post(
        "/agent/macros/new/",
        {"name": "Mine", "body": "{{customer.name}}様", "shared": "on", "active": "on"},
    )
    assert created.status_code == 302
    mine = Macro.objects.get(name="Mine")
    assert mine.shared is False  # the checkbox is not theirs to tick

    client.force_login(admin)
    page = client.get("/agent/macros/")
    assert {"Shipping", "Mine"} <= {m.name for m in page.context["macros"]}
    edited = client.post(
        f"/agent/macros/{shared.pk}/",
        {
            "name": "Shipping v2",
            "body": "{{ticket.id}}",
            "shared": "on",
            "set_priority": "urgent",
            "active": "on",
        },
    )
    assert edited.status_code == 302
    shared.refresh_from_db()
    assert (shared.name, shared.set_priority, shared.shared) == ("Shipping v2", "urgent", True)
    bad = client.post(
        "/agent/macros/new/", {"name": "Bad", "body": "{{ nope }}"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert bad.status_code == 400
    assert not Macro.objects.filter(name="Bad").exists()


def test_a_colleagues_reply_meanwhile_stops_a_blind_send_once(agent_client, agent):
    from tests.factories import MessageFactory

    ticket = ticket_for()
    seen = MessageFactory(ticket=ticket)
    MessageFactory(ticket=ticket, author_kind="agent", author=UserFactory(name="Ken"))

    with translation.override("en"):
        blocked = agent_client.post(
            f"/agent/tickets/{ticket.pk}/reply/",
            {"body": "先に確認", "internal": "false", "seen_message": seen.pk},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert blocked.status_code == 400
    assert "Ken answered while you were writing" in blocked.content.decode()
    assert 'name="send_anyway"' in blocked.content.decode()
    assert ticket.messages.filter(author=agent).count() == 0

    sent = agent_client.post(
        f"/agent/tickets/{ticket.pk}/reply/",
        {"body": "先に確認", "internal": "false", "seen_message": seen.pk, "send_anyway": "on"},
    )
    assert sent.status_code == 302
    assert ticket.messages.filter(author=agent).count() == 1


def test_tampered_hidden_fields_do_not_block_a_reply(agent_client, agent):
    ticket = ticket_for()

    response = agent_client.post(
        f"/agent/tickets/{ticket.pk}/reply/",
        {"body": "hello", "internal": "false", "seen_message": "-5x", "macros": "9" * 500},
    )

    assert response.status_code == 302
    assert ticket.messages.filter(author=agent).count() == 1
