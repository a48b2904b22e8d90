"""SLA warnings and breaches land in the notification bell of the assignee and the team's
managers: once per clock run, person and kind, pushed live, worded in the reader's language."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from sla.alerts import notify_sla_alert
from sla.models import Metric, SlaClock, SlaNotice
from sla.tick import sla_tick
from tests.factories import STAFF_PASSWORD, UserFactory
from tests.sla.conftest import customer_writes
from tickets import notifications
from tickets.models import Notification, Team
from tickets.services import update_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    events = []
    monkeypatch.setattr(
        "tickets.realtime.publish", lambda event_type, **data: events.append((event_type, data))
    )
    return events


@pytest.fixture
def staffed(db):
    team = Team.objects.create(name="Support JP")
    agent = UserFactory(role="agent", name="Aiko Agent", language="en")
    lead = UserFactory(role="manager", name="Mika Manager", language="ja")
    colleague = UserFactory(role="agent", name="Other Agent")
    team.members.add(agent, lead, colleague)
    return team, agent, lead, colleague


def assigned_ticket(team, agent, lead):
    ticket = customer_writes()  # Wed 10:00 Tokyo: first reply due 11:00, warning at 10:48
    update_ticket(ticket=ticket, actor=lead, team=team, assignee=agent)
    return ticket


def bell(user):
    return list(
        Notification.objects.filter(user=user).order_by("id").values_list("kind", flat=True)
    )


def test_warning_then_breach_file_one_bell_row_per_person_and_kind(
    clock, policy, published, staffed
):
    team, agent, lead, colleague = staffed
    ticket = assigned_ticket(team, agent, lead)

    clock.set(2026, 6, 10, 10, 48)
    sla_tick()
    sla_tick()  # a second run, or a late one, files nothing again
    clock.set(2026, 6, 10, 11, 1)
    sla_tick()
    sla_tick()

    assert bell(agent) == ["sla_warning", "sla_breach"]
    assert bell(lead) == ["sla_warning", "sla_breach"]
    assert bell(colleague) == []
    assert notifications.unread_count(agent) == 2
    nudges = [data for event, data in published if event == "notification.created"]
    assert sorted((n["user"], n["kind"]) for n in nudges) == sorted(
        [
            (agent.pk, "sla_warning"),
            (lead.pk, "sla_warning"),
            (agent.pk, "sla_breach"),
            (lead.pk, "sla_breach"),
        ]
    )
    assert {n["ticket"] for n in nudges} == {ticket.pk}
    warning = SlaNotice.objects.get(user=agent, kind="sla_warning")
    assert (warning.metric, warning.minutes_left) == (Metric.FIRST_REPLY, 12)


def test_a_repeated_alert_for_the_same_clock_files_nothing_and_the_key_holds(
    clock, policy, published, staffed
):
    team, agent, lead, _ = staffed
    ticket = assigned_ticket(team, agent, lead)
    first = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_REPLY)

    assert notify_sla_alert(first, breached=False) == [agent.pk, lead.pk]
    # The tick re-running after a crash between its steps calls this again for the clock.
    assert notify_sla_alert(first, breached=False) == []
    assert Notification.objects.filter(kind="sla_warning").count() == 2

    notice = SlaNotice.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaNotice.objects.create(
            clock=first,
            user=notice.user,
            kind=notice.kind,
            notification=Notification.objects.create(
                user=notice.user, kind=notice.kind, ticket=ticket
            ),
            metric=first.metric,
        )


def test_a_crashed_tick_files_nothing_and_the_next_files_once(
    clock, policy, published, staffed, monkeypatch
):
    team, agent, lead, _ = staffed
    assigned_ticket(team, agent, lead)
    clock.set(2026, 6, 10, 10, 48)

    real_bulk_update = SlaClock.objects.bulk_update
    crashing = [True]

    def bulk_update(*args, **kwargs):
        if crashing[0]:
            raise RuntimeError("worker died")
        return real_bulk_update(*args, **kwargs)

    monkeypatch.setattr(SlaClock.objects, "bulk_update", bulk_update)
    with pytest.raises(RuntimeError):
        sla_tick()
    assert Notification.objects.count() == 0  # rolled back with the clock's mark
    crashing[0] = False

    sla_tick()
    sla_tick()
    assert bell(agent) == ["sla_warning"] and bell(lead) == ["sla_warning"]


def test_the_bell_words_sla_alerts_in_english_and_japanese(client, clock, policy, staffed):
    team, agent, lead, _ = staffed
    ticket = assigned_ticket(team, agent, lead)
    clock.set(2026, 6, 10, 10, 48)
    sla_tick()
    clock.set(2026, 6, 10, 11, 1)
    sla_tick()

    client.login(email=agent.email, password=STAFF_PASSWORD)
    english = client.get(
        "/agent/notifications/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    client.cookies["django_language"] = "ja"
    japanese = client.get("/agent/notifications/", HTTP_HX_REQUEST="true").content.decode()

    assert f"SLA first reply due in 12 min on #{ticket.pk}" in english
    assert f"SLA first reply overdue on #{ticket.pk}" in english
    assert 'data-kind="sla_breach"' in english and 'data-unread="2"' in english
    assert ticket.subject in english
    assert "通知" in japanese and f"#{ticket.pk}" in japanese  # wording: the ja catalogue


def test_mentions_still_read_as_mentions_next_to_sla_rows(client, clock, policy, staffed, agent):
    team, assignee, lead, _ = staffed
    ticket = assigned_ticket(team, assignee, lead)
    Notification.objects.create(user=assignee, kind="mention", ticket=ticket, actor=lead)
    clock.set(2026, 6, 10, 10, 48)
    sla_tick()

    client.login(email=assignee.email, password=STAFF_PASSWORD)
    html = client.get(
        "/agent/notifications/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "Mika Manager mentioned you on" in html
    assert "SLA first reply due in" in html
