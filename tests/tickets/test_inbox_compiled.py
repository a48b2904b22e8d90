"""The inbox keeps each built-in view's compiled SQL per viewer (tickets.inbox._compiled): what
the viewer may see must still follow their role and the visibility setting at once, and the
first page must be the same as the one the ORM would give."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api_factories import TeamFactory
from tests.factories import TicketFactory, UserFactory
from tickets import saved_views, selectors
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db


def listed(user, view: str) -> set[int]:
    return {row.pk for row in selectors.inbox_tickets(viewer=user, view=view)}


def test_a_change_of_role_or_setting_changes_the_view_at_once(settings):
    settings.TICKET_VISIBILITY = "team"
    mine, other = TeamFactory(name="A"), TeamFactory(name="B")
    user = UserFactory(role="agent")
    user.teams.add(mine)
    ours = TicketFactory(team=mine, status=Status.OPEN)
    theirs = TicketFactory(team=other, status=Status.OPEN)

    assert listed(user, "open") == {ours.pk}
    assert selectors.inbox_counts(viewer=user)["open"] == 1

    user.role = "manager"
    user.save()
    assert listed(user, "open") == {ours.pk, theirs.pk}
    assert selectors.inbox_counts(viewer=user)["open"] == 2

    user.role = "agent"
    user.save()
    assert listed(user, "open") == {ours.pk}
    settings.TICKET_VISIBILITY = "all"
    assert listed(user, "open") == {ours.pk, theirs.pk}


def test_my_open_is_each_viewers_own():
    aiko, ken = UserFactory(role="agent"), UserFactory(role="agent")
    hers = TicketFactory(assignee=aiko, status=Status.OPEN)
    his = TicketFactory(assignee=ken, status=Status.PENDING)

    assert listed(aiko, "mine") == {hers.pk}
    assert listed(ken, "mine") == {his.pk}
    assert selectors.inbox_counts(viewer=aiko)["mine"] == 1


def test_every_built_in_first_page_matches_the_orm_in_order():
    agent = UserFactory(role="agent")
    now = timezone.now()
    for n in range(12):
        TicketFactory(
            status=[Status.NEW, Status.OPEN, Status.PENDING, Status.SOLVED][n % 4],
            assignee=agent if n % 3 == 0 else None,
            channel="chat" if n % 2 else "email",
        )
    # Solved a week and more ago: out of "Solved recently" however often the page is read.
    old = TicketFactory(status=Status.SOLVED)
    Ticket.objects.filter(pk=old.pk).update(solved_at=now - timedelta(days=8))
    Ticket.objects.exclude(pk=old.pk).filter(status=Status.SOLVED).update(solved_at=now)
    for view in ("mine", "unassigned", "open", "pending", "solved", "chats", "all"):
        expected = list(
            Ticket.objects.filter(saved_views.built_in_filter(view, agent))
            .order_by("-updated_at", "-id")
            .values_list("pk", flat=True)[:5]
        )
        for _ in range(2):  # compiled the first time, reused the second
            page = selectors.inbox_page(
                viewer=agent, inbox=selectors.inbox_for(viewer=agent, view=view), limit=5
            )
            assert [row.pk for row in page.tickets] == expected, view
    assert old.pk not in listed(agent, "solved")
