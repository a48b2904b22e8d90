"""Follow-up care: "did the fix work?" after solve, and agents' own follow-ups."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext

from feedback.models import FollowUp, FollowUpStatus, FollowUpTemplate
from feedback.services import followups
from feedback.services.followups import followup_url
from tests.factories import UserFactory
from tickets.models import AuthorKind, Status, Team
from tickets.services import update_ticket

from .conftest import open_ticket, solve

pytestmark = pytest.mark.django_db


def run_due(days: float = 0) -> list[FollowUp]:
    later = timezone.now() + timedelta(days=days, seconds=1)
    return [
        followups.send_followup(followup_id=pk, now=later)
        for pk in followups.due_followups(now=later)
    ]


@pytest.fixture
def template(db):
    return FollowUpTemplate.objects.create(name="Default", delay_days=3)


def path_of(url: str) -> str:
    return url.split("localhost:8000", 1)[1]


def test_most_specific_template_wins(db):
    team = Team.objects.create(name="Billing")
    FollowUpTemplate.objects.create(name="any")
    FollowUpTemplate.objects.create(name="email", channel="email")
    team_tpl = FollowUpTemplate.objects.create(name="billing", team=team)
    FollowUpTemplate.objects.create(
        name="billing-email-off", team=team, channel="email", active=False
    )
    ticket = open_ticket(ticket__team=team)
    assert followups.template_for(ticket) == team_tpl
    assert followups.template_for(open_ticket()).name == "email"


def test_solve_schedules_the_follow_up_days_later_and_reopen_cancels(agent, template):
    ticket = open_ticket()
    solve(ticket, agent)
    followup = FollowUp.objects.get(ticket=ticket)
    assert followup.status == FollowUpStatus.SCHEDULED
    assert followup.due_at > timezone.now() + timedelta(days=2, hours=23)
    assert run_due(1) == []

    update_ticket(ticket=ticket, actor=agent, status=Status.OPEN)
    assert FollowUp.objects.get(ticket=ticket).status == FollowUpStatus.CANCELLED


def test_no_template_no_follow_up(agent, db):
    ticket = open_ticket()
    solve(ticket, agent)
    assert not FollowUp.objects.exists()


def test_customer_says_it_works_and_the_ticket_closes(client, agent, template):
    ticket = open_ticket()
    solve(ticket, agent)
    [followup] = run_due(3)
    assert followup.status == FollowUpStatus.SENT
    message = ticket.messages.get(author_kind=AuthorKind.SYSTEM)
    assert "その後、問題は解決しましたか？" in message.body_text
    assert "?fixed=yes" in message.body_text and "?fixed=no" in message.body_text

    url = path_of(followup_url(followup))
    page = client.get(url + "?fixed=yes")
    assert page.status_code == 200 and "data-autosubmit" in page.content.decode()
    assert client.post(url, {"fixed": "yes"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    followup.refresh_from_db()
    assert (followup.status, followup.fixed) == (FollowUpStatus.ANSWERED, True)


def test_customer_says_it_does_not_work_and_the_ticket_reopens(client, agent, template):
    ticket = open_ticket()
    solve(ticket, agent)
    [followup] = run_due(3)
    url = path_of(followup_url(followup))
    client.post(url, {"fixed": "no"})
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.filter(internal=True).count() == 1
    # A second answer (double click, or the other link) is told it was already taken.
    client.cookies["django_language"] = "en"
    again = client.post(url, {"fixed": "yes"})
    assert again.status_code == 400
    with translation.override(followup.language or settings.LANGUAGE_CODE):
        assert gettext("Thank you, we already have your answer.") in again.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_follow_up_links_refuse_garbage(client, agent, template):
    ticket = open_ticket()
    solve(ticket, agent)
    [followup] = run_due(3)
    url = path_of(followup_url(followup))
    assert client.post(url, {"fixed": "maybe"}).status_code == 400
    assert client.get(url[:-5] + "xx/").status_code == 404
    assert FollowUp.objects.get().status == FollowUpStatus.SENT


def test_reopened_before_due_is_not_sent(agent, template):
    ticket = open_ticket()
    solve(ticket, agent)
    FollowUp.objects.update(due_at=timezone.now() - timedelta(minutes=1))
    ticket.status = Status.OPEN
    ticket.save()  # reopened by someone outside the services: the sender checks again
    [followup] = run_due()
    assert followup.status == FollowUpStatus.CANCELLED
    assert not ticket.messages.filter(author_kind=AuthorKind.SYSTEM).exists()


def test_personal_reminder_becomes_an_internal_note(agent):
    ticket = open_ticket()
    followups.schedule_personal(
        ticket=ticket,
        actor=agent,
        kind="remind",
        due_at=timezone.now() + timedelta(days=1),
        body="Check the courier",
    )
    [done] = run_due(1)
    assert done.status == FollowUpStatus.SENT
    note = ticket.messages.get(internal=True)
    assert note.author == agent and "Check the courier" in note.body_text


def test_personal_message_is_sent_as_the_agent_keeping_the_status(agent):
    ticket = open_ticket()
    solve(ticket, agent)
    followups.schedule_personal(
        ticket=ticket,
        actor=agent,
        kind="send",
        due_at=timezone.now() + timedelta(days=2),
        body="新しい部品は届きましたか？",
    )
    run_due(2)
    message = ticket.messages.get(author_kind=AuthorKind.AGENT, internal=False)
    assert message.author == agent and message.body_text == "新しい部品は届きましたか？"
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


def test_personal_follow_up_rules(agent):
    ticket = open_ticket()
    soon = timezone.now() + timedelta(hours=1)
    with pytest.raises(ValidationError):
        followups.schedule_personal(ticket=ticket, actor=agent, kind="send", due_at=soon, body="")
    with pytest.raises(ValidationError):
        followups.schedule_personal(
            ticket=ticket,
            actor=agent,
            kind="remind",
            due_at=timezone.now() - timedelta(minutes=1),
            body="",
        )
    with pytest.raises(ValidationError):
        followups.schedule_personal(ticket=ticket, actor=agent, kind="delete", due_at=soon, body="")
    with pytest.raises(PermissionDenied):
        followups.schedule_personal(
            ticket=ticket, actor=UserFactory(role="light_agent"), kind="send", due_at=soon, body="x"
        )


def test_panel_schedules_and_cancels(agent_client, agent):
    ticket = open_ticket()
    # The ticket page loads its sidebar panels from this route.
    page = agent_client.get(f"/agent/tickets/{ticket.pk}/sidebar/")
    assert page.status_code == 200 and 'id="feedback-panel"' in page.content.decode()

    when = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    reply = agent_client.post(
        f"/agent/feedback/tickets/{ticket.pk}/followups/",
        {"kind": "remind", "due_at": when, "body": "call back"},
    )
    assert reply.status_code == 302
    followup = FollowUp.objects.get()
    assert followup.created_by == agent
    sidebar = agent_client.get(f"/agent/tickets/{ticket.pk}/sidebar/").content.decode()
    assert "call back" in sidebar

    bad = agent_client.post(
        f"/agent/feedback/tickets/{ticket.pk}/followups/", {"kind": "remind", "due_at": "soon"}
    )
    assert bad.status_code == 302 and FollowUp.objects.count() == 1

    agent_client.post(f"/agent/feedback/followups/{followup.pk}/cancel/")
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.CANCELLED
    assert run_due(2) == []
