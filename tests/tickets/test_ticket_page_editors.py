"""The ticket page's inline editors (status, priority, assignee, team, tags, @mentions) come from
one query on every view, so a change to an agent, a team or the ticket's tags is on the next
page; the page's fixed markup is kept per language and never carries one request's form into
another's."""

from __future__ import annotations

import json
import re

import pytest

from tests.api_factories import TeamFactory
from tests.factories import TicketFactory, UserFactory
from tickets.models import Tag, TicketLink

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _select(page: str, name: str) -> str:
    found = re.search(rf'<select id="prop-{name}" name="{name}">(.*?)</select>', page, re.S)
    assert found, name
    return found.group(1)


def _mentions(page: str) -> list[dict]:
    found = re.search(r'<script id="mention-agents" type="application/json">(.*?)</script>', page)
    return json.loads(found.group(1))


def _page(client, ticket, **headers) -> str:
    response = client.get(f"/agent/tickets/{ticket.pk}/", **{**EN, **headers})
    assert response.status_code == 200
    return response.content.decode()


def test_the_selects_show_the_tickets_values_and_every_choice(client):
    me = UserFactory(role="agent", name="Me Myself", email="me@example.com")
    ken = UserFactory(role="agent", name="Ken", email="ken@example.com")
    UserFactory(role="light_agent", name="Light One")
    UserFactory(role="agent", name="Gone", is_active=False)
    nameless = UserFactory(role="agent", name="", email="aiko.t@example.com")
    team = TeamFactory(name="Returns")
    TeamFactory(name="Billing")
    ticket = TicketFactory(status="pending", priority="high", assignee=ken, team=team)
    ticket.tags.add(Tag.objects.create(name="refund"), Tag.objects.create(name="vip"))
    client.force_login(me)

    page = _page(client, ticket)

    assert '<option value="pending" selected>Pending</option>' in _select(page, "status")
    assert '<option value="high" selected>High</option>' in _select(page, "priority")
    assignees = _select(page, "assignee")
    assert f'<option value="{ken.pk}" selected>Ken</option>' in assignees
    assert f'<option value="{me.pk}">Me Myself (me)</option>' in assignees
    assert f'<option value="{nameless.pk}">aiko.t</option>' in assignees
    assert "Light One" not in assignees and "Gone" not in assignees
    assert assignees.index("aiko.t") < assignees.index("Ken") < assignees.index("Me Myself")
    teams = _select(page, "team")
    assert f'<option value="{team.pk}" selected>Returns</option>' in teams
    assert teams.index("Billing") < teams.index("Returns")
    assert 'name="base_tags" value="refund,vip"' in page
    assert 'value="refund, vip"' in page
    assert {"handle": "ken", "name": "Ken"} in _mentions(page)
    assert all(m["handle"] != "me" for m in _mentions(page))


def test_agent_team_and_tag_changes_are_on_the_next_view(client):
    ken = UserFactory(role="agent", name="Ken")
    client.force_login(UserFactory(role="agent"))
    ticket = TicketFactory(assignee=ken)
    _page(client, ticket)

    ken.name = "Ken Sato"
    ken.save()
    newcomer = UserFactory(role="agent", name="Newcomer")
    team = TeamFactory(name="Night shift")
    ticket.tags.add(Tag.objects.create(name="urgent-return"))
    page = _page(client, ticket)

    assignees = _select(page, "assignee")
    assert f'<option value="{ken.pk}" selected>Ken Sato</option>' in assignees
    assert f'<option value="{newcomer.pk}">Newcomer</option>' in assignees
    assert f'<option value="{team.pk}">Night shift</option>' in _select(page, "team")
    assert 'value="urgent-return"' in page
    assert {"handle": newcomer.email.split("@")[0], "name": "Newcomer"} in _mentions(page)

    ken.is_active = False
    ken.save()
    team.delete()
    page = _page(client, ticket)
    assert "Ken Sato" not in _select(page, "assignee") and "Night shift" not in page


def test_hostile_names_stay_text_in_the_editors(client):
    evil = UserFactory(role="agent", name='<img src=x onerror="alert(1)">')
    TeamFactory(name="<script>alert(2)</script>")
    ticket = TicketFactory()
    ticket.tags.add(Tag.objects.create(name='"><b>tag'))
    client.force_login(UserFactory(role="agent"))

    page = _page(client, ticket)

    assert "<img src=x" not in page and "<script>alert(2)" not in page and "><b>tag" not in page
    assert f'<option value="{evil.pk}">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</option>' in (
        _select(page, "assignee")
    )
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in _select(page, "team")
    assert {"handle": evil.email.split("@")[0], "name": evil.name} in _mentions(page)


def test_a_refused_reply_keeps_its_choices_and_the_next_page_is_clean(client):
    """The composer's fixed markup is kept per language; a form sent back with an error shows
    what the agent chose, and never leaks it into the next agent's page."""
    ticket = TicketFactory()
    client.force_login(UserFactory(role="agent"))

    refused = client.post(
        f"/agent/tickets/{ticket.pk}/reply/", {"body": "  ", "status": "solved", "internal": "on"}
    )
    page = _page(client, ticket)

    assert refused.status_code == 400
    refused_html = refused.content.decode()
    assert '<option value="solved" selected>' in refused_html
    assert 'value="on" id="mode-note" checked' in refused_html
    assert 'value="false" id="mode-reply">' in refused_html
    assert (
        '<option value="solved" selected>'
        not in page.split('id="reply-form"')[1].split("</form>")[0]
    )
    assert 'value="false" id="mode-reply" checked>' in page


def test_the_fixed_markup_follows_the_language(client):
    ticket = TicketFactory()
    client.force_login(UserFactory(role="agent"))

    english = _page(client, ticket)
    japanese = _page(client, ticket, HTTP_ACCEPT_LANGUAGE="ja")

    assert "Separate tags with commas." in english and "Send reply" in english
    assert "Separate tags with commas." not in japanese and "Send reply" not in japanese


def test_linked_tickets_are_listed_only_where_the_viewer_may_see_them(client, settings):
    settings.TICKET_VISIBILITY = "team"
    mine, theirs = TeamFactory(), TeamFactory()
    agent = UserFactory(role="agent")
    agent.teams.add(mine)
    origin = TicketFactory(team=mine, subject="The first question")
    ticket = TicketFactory(team=mine)
    hidden = TicketFactory(team=theirs, subject="Another team's split")
    alone = TicketFactory(team=mine)
    TicketLink.objects.create(ticket=ticket, origin=origin, kind="follow_up")
    TicketLink.objects.create(ticket=hidden, origin=ticket, kind="split")
    client.force_login(agent)

    page = _page(client, ticket)
    origin_page = _page(client, origin)

    assert "Follow-up of the closed ticket" in page and "The first question" in page
    assert "Another team's split" not in page
    assert "The customer wrote again after it was closed:" in origin_page
    assert 'class="ticket-links"' not in _page(client, alone)
