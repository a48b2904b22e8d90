"""Bulk changes on selected inbox rows, and merging two tickets."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from tests.factories import MessageFactory, TicketFactory, UserFactory
from tickets import bulk, selectors
from tickets.models import Message, Status, Tag, Team, Ticket, TicketMerge
from tickets.signals import ticket_changed

pytestmark = pytest.mark.django_db


def test_bulk_update_changes_each_ticket_and_sends_one_event_each(agent):
    team = Team.objects.create(name="Returns")
    tickets = [TicketFactory(status=Status.NEW) for _ in range(3)]
    tickets[0].tags.set([Tag.objects.create(name="keep")])
    events = []

    def listen(sender, ticket, **kwargs):
        events.append(ticket.pk)

    ticket_changed.connect(listen)
    try:
        count = bulk.bulk_update_tickets(
            ticket_ids=[t.pk for t in tickets],
            actor=agent,
            status=Status.PENDING,
            assignee=agent,
            team=team,
            add_tags=["返品", " Urgent "],
        )
    finally:
        ticket_changed.disconnect(listen)

    assert count == 3
    assert sorted(events) == sorted(t.pk for t in tickets)
    for ticket in Ticket.objects.filter(pk__in=[t.pk for t in tickets]):
        assert (ticket.status, ticket.assignee, ticket.team) == (Status.PENDING, agent, team)
    assert sorted(tickets[0].tags.values_list("name", flat=True)) == ["keep", "urgent", "返品"]


@pytest.mark.parametrize(
    "ids, changes, message",
    [
        ([], {"status": "open"}, "Select at least one"),
        ([1], {}, "Choose a change"),
        (list(range(1, 300)), {"status": "open"}, "at most"),
        ([999999], {"status": "open"}, "no longer exist"),
    ],
)
def test_bulk_update_refuses_bad_requests(agent, ids, changes, message):
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        bulk.bulk_update_tickets(ticket_ids=ids, actor=agent, **changes)


def test_bulk_update_is_all_or_nothing(agent):
    ok = TicketFactory(status=Status.NEW)
    with pytest.raises(ValidationError):
        bulk.bulk_update_tickets(ticket_ids=[ok.pk], actor=agent, status="vanished")
    ok.refresh_from_db()
    assert ok.status == Status.NEW


def test_bulk_form_from_the_inbox(agent_client, agent):
    tickets = [TicketFactory(status=Status.NEW) for _ in range(2)]

    response = agent_client.post(
        "/agent/bulk/",
        {
            "tickets": ",".join(str(t.pk) for t in tickets),
            "priority": "urgent",
            "assignee": "none",
            "next": "/agent/?view=all",
        },
    )

    assert response.status_code == 302 and response["Location"] == "/agent/?view=all"
    assert set(Ticket.objects.values_list("priority", flat=True)) == {"urgent"}


@pytest.mark.parametrize(
    "data",
    [
        {"tickets": "1,two", "status": "open"},
        {"tickets": "", "status": "open"},
        {"tickets": "1", "assignee": "everyone"},
        {"tickets": "1", "team": "999999"},
        {"tickets": "1", "next": "https://evil.example/"},
    ],
)
def test_bulk_form_bad_input_changes_nothing_and_never_redirects_offsite(agent_client, data):
    TicketFactory(pk=1, status=Status.NEW)

    response = agent_client.post("/agent/bulk/", data)

    assert response.status_code == 302
    assert response["Location"].startswith("/agent/")
    assert Ticket.objects.get(pk=1).status == Status.NEW


def test_merge_moves_messages_closes_the_source_and_records_it(agent):
    target = TicketFactory(subject="メール", status=Status.OPEN)
    source = TicketFactory(
        subject="チャット", channel="chat", customer=target.customer, status=Status.NEW
    )
    MessageFactory(ticket=target, body_text="最初のメール")
    MessageFactory(ticket=source, body_text="チャットでの続き")
    source.tags.set([Tag.objects.create(name="chat")])

    record = bulk.merge_tickets(source=source, target=target, actor=agent)

    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.status, source.merged_into) == (Status.CLOSED, target)
    assert record.moved_messages == 1 and TicketMerge.objects.count() == 1
    bodies = list(target.messages.values_list("body_text", flat=True))
    assert "チャットでの続き" in bodies and "最初のメール" in bodies
    assert any(f"#{source.pk}" in b for b in bodies)  # a note says where it came from
    note = source.messages.get()
    assert note.author_kind == "system" and f"#{target.pk}" in note.body_text
    assert list(target.tags.values_list("name", flat=True)) == ["chat"]
    found = selectors.search_tickets(viewer=agent, query="チャットでの続き")
    assert target in found


def test_merge_refuses_self_twice_and_light_agents(agent):
    a, b, c = TicketFactory(), TicketFactory(), TicketFactory()
    with pytest.raises(ValidationError):
        bulk.merge_tickets(source=a, target=a, actor=agent)
    bulk.merge_tickets(source=a, target=b, actor=agent)
    with pytest.raises(ValidationError):
        bulk.merge_tickets(source=a, target=c, actor=agent)
    with pytest.raises(ValidationError):
        bulk.merge_tickets(source=c, target=a, actor=agent)
    with pytest.raises(PermissionDenied):
        bulk.merge_tickets(source=c, target=b, actor=UserFactory(role="light_agent"))


def test_merge_page_confirms_then_merges(agent_client):
    target, source = TicketFactory(subject="target"), TicketFactory(subject="source")
    MessageFactory(ticket=source)

    confirm = agent_client.get(f"/agent/tickets/{source.pk}/merge/?into={target.pk}")
    unknown = agent_client.post(f"/agent/tickets/{source.pk}/merge/", {"target": "999999"})
    junk = agent_client.post(f"/agent/tickets/{source.pk}/merge/", {"target": "#12; drop"})
    done = agent_client.post(
        f"/agent/tickets/{source.pk}/merge/", {"target": target.pk, "confirm": "yes"}
    )

    assert confirm.status_code == 200 and "target" in confirm.content.decode()
    assert unknown.status_code == 400 and junk.status_code == 400
    assert done.status_code == 302 and done["Location"] == f"/agent/tickets/{target.pk}/"
    assert Message.objects.filter(ticket=target).count() == 2  # moved + the note
    page = agent_client.get(f"/agent/tickets/{source.pk}/").content.decode()
    assert f"/agent/tickets/{target.pk}/" in page
