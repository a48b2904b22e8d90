"""The inbox shell's statements kept per process (tickets.templatetags, tickets.inbox): what they
show must still follow the data at once — a new agent or team in the bulk bar, the bell's unread
count, saved views, and "Solved recently"'s seven-day cut-off as the days go by."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from tests.api_factories import TeamFactory
from tests.factories import TicketFactory, UserFactory
from tickets import selectors
from tickets.models import Notification, SavedView, Status

pytestmark = pytest.mark.django_db


def _select(html: str, name: str) -> list[str]:
    block = re.search(rf'<select id="bulk-{name}" name="{name}">(.*?)</select>', html, re.S)
    assert block, name
    return re.findall(r"<option value=\"[^\"]*\">([^<]*)</option>", block.group(1))


def test_the_bulk_bar_lists_agents_and_teams_as_they_are_now(client):
    viewer = UserFactory(role="agent", name="Aiko")
    UserFactory(role="agent", name="Ken")
    UserFactory(role="agent", name="Gone", is_active=False)
    UserFactory(role="customer", name="Buyer")
    TeamFactory(name="Billing")
    client.force_login(viewer)

    html = client.get("/agent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assignees = _select(html, "assignee")
    assert "Ken" in assignees and "Billing" in _select(html, "team")
    assert not {"Aiko", "Gone", "Buyer"} & set(assignees)  # the viewer is "Me" above

    UserFactory(role="agent", name="Newcomer", email="newcomer@example.com")
    UserFactory(role="manager", name="", email="nameless@example.com")
    TeamFactory(name="Returns")
    html = client.get("/agent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert {"Newcomer", "nameless"} <= set(_select(html, "assignee"))
    assert _select(html, "team")[-2:] == ["Billing", "Returns"]


def test_the_bell_counts_only_the_viewers_unread_notifications(client):
    viewer, other = UserFactory(role="agent"), UserFactory(role="agent")
    ticket = TicketFactory()
    Notification.objects.create(user=viewer, kind="mention", ticket=ticket)
    Notification.objects.create(user=viewer, kind="mention", ticket=ticket, read_at=timezone.now())
    Notification.objects.create(user=other, kind="mention", ticket=ticket)
    client.force_login(viewer)

    html = client.get("/agent/").content.decode()
    assert re.search(r"data-bell-count>1</span>", html)

    Notification.objects.filter(user=viewer).update(read_at=timezone.now())
    html = client.get("/agent/").content.decode()
    assert re.search(r"data-bell-count hidden>0</span>", html)


def test_saved_views_appear_and_go_at_once():
    viewer, colleague = UserFactory(role="agent"), UserFactory(role="agent")
    assert not selectors.inbox_for(viewer=viewer, view=None).saved

    mine = SavedView.objects.create(owner=viewer, name="VIP", filters={"priority": ["urgent"]})
    SavedView.objects.create(owner=colleague, name="Theirs")
    shared = SavedView.objects.create(owner=colleague, name="Team queue", shared=True)
    box = selectors.inbox_for(viewer=viewer, view=str(mine.pk))
    assert set(box.saved) == {str(mine.pk), str(shared.pk)}
    assert box.current == str(mine.pk)
    assert box.saved[str(mine.pk)].filters == {"priority": ["urgent"]}  # JSON, not text

    mine.delete()
    assert set(selectors.inbox_for(viewer=viewer, view=None).saved) == {str(shared.pk)}


def test_solved_recently_moves_its_cut_off_with_the_clock():
    agent = UserFactory(role="manager")
    start = timezone.now()
    solved = TicketFactory(status=Status.SOLVED)
    solved.solved_at = start - timedelta(days=6)
    solved.save(update_fields=["solved_at"])

    def listed():
        return [row.pk for row in selectors.inbox_tickets(viewer=agent, view="solved")]

    assert listed() == [solved.pk]
    assert selectors.inbox_counts(viewer=agent)["solved"] == 1
    # Two days later the same kept statements no longer hold it: eight days ago is not recent.
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(days=2)):
        assert listed() == []
        assert selectors.inbox_counts(viewer=agent)["solved"] == 0
    assert listed() == [solved.pk]
