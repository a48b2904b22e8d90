"""The inbox rows read as plain values and written as HTML in Python (tickets.inbox_html):
every column is still there, outside text is escaped, and the page costs the same few queries
whatever its size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api_factories import TeamFactory
from tests.factories import (
    CustomerFactory,
    IdentityFactory,
    MessageFactory,
    TicketFactory,
    UserFactory,
)
from tickets import selectors
from tickets.inbox import ticket_rows
from tickets.models import Status, Tag, TicketSeen

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _ticket(subject="Parcel", *, customer_name="山田 花子", email=None, **fields):
    customer = CustomerFactory(name=customer_name, **({"email": email} if email else {}))
    return TicketFactory(
        subject=subject, identity=IdentityFactory(customer=customer), status=Status.OPEN, **fields
    )


def test_a_row_has_every_column(agent):
    owner = UserFactory(role="agent", name="", email="ken.sato@example.com")
    team = TeamFactory(name="Support JP")
    ticket = _ticket(
        "届かない", email="hanako@example.jp", assignee=owner, team=team, channel="line"
    )
    ticket.tags.set([Tag.objects.create(name="vip"), Tag.objects.create(name="refund")])
    MessageFactory(ticket=ticket, body_text="最初")
    MessageFactory(ticket=ticket, body_text="二通目です")
    MessageFactory(ticket=ticket, body_text="社内メモ", internal=True, author_kind="agent")

    (row,) = ticket_rows([ticket.pk], agent)

    assert (row.pk, row.subject, row.status, row.channel) == (ticket.pk, "届かない", "open", "line")
    assert (row.customer__name, row.customer__email) == ("山田 花子", "hanako@example.jp")
    assert (row.assignee__email, row.team__name) == ("ken.sato@example.com", "Support JP")
    assert row.tag_names == ["refund", "vip"]  # sorted by name
    assert row.message_count == 2  # public messages only
    assert row.preview == "二通目です"  # the latest public one, never the note


def test_unread_follows_what_this_agent_has_seen(agent):
    now = timezone.now()
    fresh = _ticket("fresh", customer_activity_at=now)
    seen = _ticket("seen", customer_activity_at=now - timedelta(hours=1))
    quiet = _ticket("quiet", customer_activity_at=None)
    TicketSeen.objects.create(ticket=seen, user=agent, seen_at=now)

    rows = {row.subject: row.unread for row in ticket_rows([fresh.pk, seen.pk, quiet.pk], agent)}

    assert rows == {"fresh": True, "seen": False, "quiet": False}


def test_rows_come_back_in_the_order_asked_and_skip_missing_ids(agent):
    first, second = _ticket("one"), _ticket("two")

    assert [row.pk for row in ticket_rows([second.pk, 999999, first.pk], agent)] == [
        second.pk,
        first.pk,
    ]
    assert ticket_rows([], agent) == []


def test_the_inbox_shows_every_column(agent_client):
    owner = UserFactory(role="agent", name="佐藤 健")
    ticket = _ticket(
        "注文が届かない",
        assignee=owner,
        team=TeamFactory(name="Support JP"),
        channel="line",
        customer_activity_at=timezone.now(),
        sla_due_at=timezone.now() - timedelta(minutes=5),
    )
    ticket.tags.set([Tag.objects.create(name="vip")])
    MessageFactory(ticket=ticket, body_text="まだ届きません")

    html = agent_client.get("/agent/?view=open", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f'data-ticket="{ticket.pk}"' in html
    assert 'class="ticket-row is-unread"' in html and 'class="unread-dot"' in html
    assert 'class="chan chan--line"' in html and "#i-line" in html
    for text in ("注文が届かない", "まだ届きません", "山田 花子", "佐藤 健", "Support JP", "vip"):
        assert text in html
    assert f'href="/agent/tickets/{ticket.pk}/"' in html
    assert 'class="sla sla--overdue"' in html and "SLA overdue" in html
    assert 'class="badge badge--open"' in html


def test_outside_text_is_escaped_in_every_column(agent_client):
    owner = UserFactory(role="agent", name=HOSTILE)
    ticket = _ticket(
        HOSTILE,
        customer_name=HOSTILE,
        email="a@example.jp",
        assignee=owner,
        team=TeamFactory(name=HOSTILE),
    )
    ticket.tags.set([Tag.objects.create(name=HOSTILE[:60])])
    MessageFactory(ticket=ticket, body_text=HOSTILE)

    html = agent_client.get("/agent/?view=open").content.decode()

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_a_long_preview_is_cut_with_an_ellipsis(agent):
    from tickets.inbox_rows import PREVIEW_CHARS, build_rows

    ticket = _ticket()
    MessageFactory(ticket=ticket, body_text="あ" * 500)

    (row,) = build_rows(ticket_rows([ticket.pk], agent), show_contact_details=True, presence={})

    assert row.preview == "あ" * (PREVIEW_CHARS - 1) + "…"


def test_the_view_page_costs_the_same_queries_for_one_row_or_fifty(agent_client):
    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get(url).status_code == 200
        return len(captured)

    _ticket()
    few = {view: queries(f"/agent/?view={view}") for view in ("open", "all", "unassigned")}
    for n in range(55):
        ticket = _ticket(f"t{n}", assignee=UserFactory(role="agent"), team=TeamFactory())
        ticket.tags.set([Tag.objects.get_or_create(name=f"tag{n % 3}")[0]])
        MessageFactory(ticket=ticket)
    many = {view: queries(f"/agent/?view={view}") for view in ("open", "all", "unassigned")}

    assert many == few
    assert max(many.values()) <= 10


def test_bulk_bar_lists_other_agents_escaped(agent_client, agent):
    UserFactory(role="agent", name=HOSTILE)

    html = agent_client.get("/agent/").content.decode()

    assert "&lt;script&gt;" in html and "<script>alert" not in html
    # the viewer is "Me", not listed again by name
    assert f'<option value="{agent.pk}">{agent.display_name}</option>' not in html


def test_pages_still_follow_each_other_by_keyset(agent):
    for n in range(7):
        _ticket(f"p{n}")
    inbox = selectors.inbox_for(viewer=agent, view="open")

    first = selectors.inbox_page(viewer=agent, inbox=inbox, limit=4)
    second = selectors.inbox_page(viewer=agent, inbox=inbox, limit=4, after=first.next_cursor)

    assert len(first.tickets) == 4 and first.next_cursor
    assert len(second.tickets) == 3 and not second.next_cursor
    assert not {t.pk for t in first.tickets} & {t.pk for t in second.tickets}


def test_tab_counts_stop_at_the_cap_and_say_so(agent, agent_client):
    from tickets.templatetags.inbox_tags import count_for

    for n in range(4):
        _ticket(f"c{n}")
    inbox = selectors.inbox_for(viewer=agent, view="open")

    capped = selectors.inbox_counts(viewer=agent, inbox=inbox, cap=2)
    exact = selectors.inbox_counts(viewer=agent, inbox=inbox)

    assert (capped["open"], exact["open"]) == (3, 4)  # 3 means "more than 2"
    assert capped["pending"] == exact["pending"] == 0
    assert count_for({"open": selectors.INBOX_COUNT_CAP + 1}, "open") == "1,000+"
    assert count_for({"open": 4}, "open") == "4" and count_for({}, "open") == ""
    html = agent_client.get("/agent/?view=open").content.decode()
    assert '<span class="count" data-count-for="open">4</span>' in html
