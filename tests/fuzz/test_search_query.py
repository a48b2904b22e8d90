"""The search box: operators (status:, tag:, from:, …), quotes, full-width IME input, control
characters and plain junk. Parsing never raises and always gives bounded, clean values; the
search itself (the agent inbox and the API) answers every string without a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import MessageFactory, TicketFactory, UserFactory
from tickets.search_query import MAX_VALUE_CHARS, OPERATORS, parse_ticket_query, search_box_text
from tickets.selectors import search_tickets

WORDS = ["open", "solved", "pending", "urgent", "email", "line", "chat", "me", "none", "vip",
         "配送", "返品", "ｏｐｅｎ", "田中", "@example.com", "//x", '"', "'", "\\", "%", "_", "*",
         "&", "|", "!", "(", ")", ":*", "<->", "\x00", "\u200b", "🙂", "-", "OR", "AND"]  # fmt: skip
keys = st.sampled_from([*OPERATORS, "STATUS", "ｓｔａｔｕｓ", "unknown", "http", "tag", ""])
seps = st.sampled_from([":", "：", ": ", "::"])
values = st.one_of(st.sampled_from(WORDS), st.text(max_size=12))
tokens = st.one_of(
    st.builds(lambda k, s, v: f"{k}{s}{v}", keys, seps, values),
    st.builds(lambda k, s, v: f'{k}{s}"{v}"', keys, seps, values),
    st.builds(lambda v: f'"{v}', values),
    st.sampled_from(WORDS),
    st.text(max_size=20),
)
queries = st.one_of(
    st.lists(tokens, max_size=8).map(" ".join),
    st.text(max_size=300),
    st.just("a " * 2000),
)
FUZZ = settings(max_examples=200, deadline=None)


@FUZZ
@given(queries)
def test_any_search_string_parses_into_bounded_clean_values(raw):
    query = parse_ticket_query(raw)
    for values_ in (query.statuses, query.priorities, query.channels, query.tags,
                    query.assignees, query.senders, query.teams):  # fmt: skip
        assert isinstance(values_, tuple)
        for value in values_:
            assert isinstance(value, str) and value and len(value) <= MAX_VALUE_CHARS
            assert "\x00" not in value
    assert isinstance(query.text, str) and "\x00" not in query.text
    assert all(isinstance(hint, str) for hint in query.hints)
    shown = search_box_text(raw)
    assert "\x00" not in shown and "\n" not in shown


@pytest.fixture
def searchable(db):
    agent = UserFactory(role="admin")
    ticket = TicketFactory(subject="配送が遅れています status")
    MessageFactory(ticket=ticket, body_text="注文 10482 の配送について tag:vip")
    return agent


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=queries)
def test_the_search_answers_any_string(client, searchable, raw):
    assert isinstance(search_tickets(viewer=searchable, query=raw), list)
    client.force_login(searchable)
    inbox = client.get("/agent/", {"q": raw})
    assert inbox.status_code == 200
    api = client.get("/api/v1/tickets/", {"q": raw})
    assert api.status_code in (200, 400), api.content[:300]
