"""Inbox views: built-in and saved custom views filter, sort and count as agents expect."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from customers.models import Organization
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, UserFactory
from tickets import saved_views, selectors
from tickets.models import SavedView, Status, Tag, Team, Ticket

pytestmark = pytest.mark.django_db


def keys(tickets):
    return sorted(t.subject for t in tickets)


def test_built_in_views_solved_recently_and_chats_waiting(agent):
    TicketFactory(
        subject="old", status=Status.SOLVED, solved_at=timezone.now() - timedelta(days=30)
    )
    TicketFactory(
        subject="fresh", status=Status.SOLVED, solved_at=timezone.now() - timedelta(days=1)
    )
    TicketFactory(subject="chat", channel="chat", status=Status.OPEN)
    TicketFactory(subject="chat done", channel="chat", status=Status.SOLVED)

    assert keys(selectors.inbox_tickets(viewer=agent, view="solved")) == ["fresh"]
    assert keys(selectors.inbox_tickets(viewer=agent, view="chats")) == ["chat"]


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"colour": ["red"]}, "Unknown filter"),
        ({"status": ["opened"]}, "Unknown status"),
        ({"status": "open; DROP TABLE"}, "Unknown status"),
        ({"assignee": ["someone"]}, "assignee must be ids"),
        ({"team": [True]}, "team must be ids"),
        ({"created_after": "yesterday"}, "created_after must be a date"),
        ({"customer": "1 OR 1=1"}, "customer must be an id"),
        ({"tags": [{"$ne": 1}]}, "tags must be a list of words"),
        ({"status": ["open"] * 51}, "Too many values"),
        ({"created_after": "2026-05-02", "created_before": "2026-05-01"}, "ends before it starts"),
        (["status"], "Filters must be an object"),
    ],
)
def test_hostile_or_malformed_filters_are_refused_with_a_message(raw, message):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        saved_views.clean_view_filters(raw)
    assert message in error.value.messages[0]


def test_custom_view_applies_every_filter_together(agent):
    org = Organization.objects.create(name="Acme", domain="acme.example")
    team = Team.objects.create(name="Billing")
    acme = CustomerFactory(organization=org)
    match = TicketFactory(
        subject="match",
        identity=IdentityFactory(customer=acme, handle="a1@acme.example"),
        status=Status.OPEN,
        priority="high",
        team=team,
        assignee=agent,
    )
    match.tags.set([Tag.objects.create(name="refund")])
    TicketFactory(
        subject="wrong org", status=Status.OPEN, priority="high", team=team, assignee=agent
    )
    other = TicketFactory(
        subject="no tag",
        identity=IdentityFactory(customer=acme, handle="a2@acme.example"),
        status=Status.OPEN,
        priority="high",
        team=team,
        assignee=agent,
    )
    assert other.pk
    view = saved_views.saved_view_create(
        owner=agent,
        name="Acme refunds",
        filters={
            "status": ["open", "new"],
            "priority": ["high"],
            "team": [team.pk],
            "assignee": ["me"],
            "tags": ["Refund"],
            "organization": org.pk,
            "created_after": timezone.localdate().isoformat(),
            "created_before": timezone.localdate().isoformat(),
        },
        sort="-created_at",
    )

    assert keys(selectors.inbox_tickets(viewer=agent, view=str(view.pk))) == ["match"]
    assert selectors.inbox_counts(viewer=agent)[str(view.pk)] == 1


def test_unassigned_and_no_team_choices_and_sorting_by_priority(agent):
    TicketFactory(subject="low", priority="low", status=Status.OPEN)
    TicketFactory(subject="urgent", priority="urgent", status=Status.OPEN)
    TicketFactory(subject="mine", priority="urgent", status=Status.OPEN, assignee=agent)
    view = saved_views.saved_view_create(
        owner=agent,
        name="Triage",
        filters={"assignee": ["none"], "team": ["none"]},
        sort="priority",
    )

    rows = selectors.inbox_tickets(viewer=agent, view=str(view.pk))

    assert [t.subject for t in rows] == ["urgent", "low"]


def test_private_views_are_invisible_to_others_and_shared_ones_need_a_manager(agent):
    other = UserFactory(role="agent")
    private = saved_views.saved_view_create(owner=other, name="Mine only", filters={}, sort="")

    assert str(private.pk) not in {v.key for v in saved_views.views_for(agent)}
    with pytest.raises(PermissionDenied):
        saved_views.saved_view_create(owner=agent, name="For all", filters={}, sort="", shared=True)
    manager = UserFactory(role="manager")
    shared = saved_views.saved_view_create(
        owner=manager, name="Team view", filters={}, sort="", shared=True
    )
    assert str(shared.pk) in {v.key for v in saved_views.views_for(agent)}
    with pytest.raises(PermissionDenied):
        saved_views.saved_view_update(
            view=shared, actor=agent, name="Hijack", filters={}, sort="", shared=True
        )


def test_inbox_queries_stay_constant_with_custom_views_and_rows(agent_client, agent):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get("/agent/?view=all").status_code == 200
        return len(captured)

    TicketFactory()
    few = queries()
    for n in range(5):
        saved_views.saved_view_create(
            owner=agent, name=f"v{n}", filters={"priority": ["high"]}, sort=""
        )
    for n in range(20):
        ticket = TicketFactory(
            subject=f"t{n}", assignee=UserFactory(), team=Team.objects.create(name=f"T{n}")
        )
        ticket.tags.set([Tag.objects.get_or_create(name=f"tag{n % 3}")[0]])
    many = queries()

    assert many == few
    assert many <= 10


def test_view_editor_creates_and_edits_a_view_from_the_inbox(agent_client, agent):
    TicketFactory(subject="high one", priority="high", status=Status.OPEN)
    TicketFactory(subject="normal one", priority="normal", status=Status.OPEN)

    created = agent_client.post(
        "/agent/views/new/",
        {
            "name": "High",
            "priority": ["high"],
            "sort": "-updated_at",
            "tags": "",
            "status": ["open"],
        },
    )

    view = SavedView.objects.get(owner=agent)
    assert created.status_code == 302
    assert created["Location"].endswith(f"/agent/?view={view.pk}")
    page = agent_client.get(f"/agent/?view={view.pk}")
    assert [t.subject for t in page.context["tickets"]] == ["high one"]
    assert "High" in page.content.decode()

    edited = agent_client.post(
        f"/agent/views/{view.pk}/",
        {"name": "Normal", "priority": ["normal"], "sort": "-updated_at"},
    )
    assert edited.status_code == 302
    view.refresh_from_db()
    assert (view.name, view.filters) == ("Normal", {"priority": ["normal"]})


def test_view_editor_rejects_bad_input_and_keeps_what_was_typed(agent_client):
    response = agent_client.post(
        "/agent/views/new/",
        {"name": "", "priority": ["galactic"], "created_after": "not a date"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert SavedView.objects.count() == 0
    errors = response.context["form"].errors
    assert set(errors) >= {"name", "priority", "created_after"}


def test_someone_elses_private_view_is_not_found(agent_client):
    view = SavedView.objects.create(owner=UserFactory(), name="Secret", filters={})

    assert agent_client.get(f"/agent/views/{view.pk}/").status_code == 404
    assert agent_client.post(f"/agent/views/{view.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_deleting_ones_own_view(agent_client, agent):
    view = SavedView.objects.create(owner=agent, name="Temp", filters={})

    response = agent_client.post(f"/agent/views/{view.pk}/delete/")

    assert response.status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_unknown_view_key_falls_back_to_all_open(agent_client):
    TicketFactory(subject="open one", status=Status.OPEN)

    response = agent_client.get("/agent/?view=<script>")

    assert response.status_code == 200
    assert response.context["current_view"] == "open"
    assert Ticket.objects.count() == 1
