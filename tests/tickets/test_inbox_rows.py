"""Inbox row labels worked out in Python: SLA countdowns, masked contacts, times."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from tests.factories import CustomerFactory, IdentityFactory, TicketFactory
from tickets.inbox_rows import build_rows
from tickets.models import Status

pytestmark = pytest.mark.django_db


def row_for(ticket, **kwargs):
    return build_rows([ticket], show_contact_details=kwargs.get("show", True), presence={})[0]


def test_sla_badges_overdue_soon_ok_and_none_once_solved():
    now = timezone.now()
    overdue = TicketFactory(
        sla_due_at=now - timedelta(hours=2, minutes=5), sla_target="first_reply"
    )
    breached = TicketFactory(sla_due_at=now + timedelta(hours=3), sla_breached=True)
    soon = TicketFactory(sla_due_at=now + timedelta(minutes=35), sla_target="next_reply")
    later = TicketFactory(sla_due_at=now + timedelta(days=2, hours=3))
    solved = TicketFactory(sla_due_at=now - timedelta(hours=1), status=Status.SOLVED)
    none = TicketFactory()

    with translation.override("en"):
        rows = {t.pk: row_for(t) for t in (overdue, breached, soon, later, solved, none)}

    assert (rows[overdue.pk].sla_state, rows[overdue.pk].sla_label) == ("overdue", "−2h 5m")
    assert rows[overdue.pk].sla_title.startswith("First reply was due")
    assert rows[breached.pk].sla_state == "overdue"
    assert rows[soon.pk].sla_state == "soon" and rows[soon.pk].sla_label in {"34m", "35m"}
    assert rows[later.pk].sla_state == "ok" and rows[later.pk].sla_label.startswith("2d")
    assert rows[solved.pk].sla_state == rows[none.pk].sla_state == ""


def test_sla_badge_is_rendered_on_the_inbox(agent_client):
    TicketFactory(sla_due_at=timezone.now() - timedelta(minutes=10), status=Status.OPEN)

    html = agent_client.get("/agent/?view=all").content.decode()

    assert 'class="sla sla--overdue"' in html


def test_contacts_are_masked_for_light_agents():
    customer = CustomerFactory(name="山田", email="yamada@example.jp")
    ticket = TicketFactory(identity=IdentityFactory(customer=customer))

    assert row_for(ticket, show=True).customer_line == "yamada@example.jp"
    assert "yamada@" not in row_for(ticket, show=False).customer_line
