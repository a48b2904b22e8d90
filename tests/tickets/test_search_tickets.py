"""Searching tickets: the selector, the inbox search box and its empty state, access, bad input."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api_factories import TeamFactory
from tests.factories import (
    CustomerFactory,
    IdentityFactory,
    MessageFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Tag, Ticket
from tickets.search_index import ticket_search_refresh
from tickets.selectors import search_tickets

pytestmark = pytest.mark.django_db


def indexed(
    subject: str,
    *bodies: str,
    note: str = "",
    tags: tuple[str, ...] = (),
    email: str | None = None,
    **fields,
) -> Ticket:
    customer = CustomerFactory(**({"email": email} if email else {}))
    ticket = TicketFactory(subject=subject, identity=IdentityFactory(customer=customer), **fields)
    for body in bodies:
        MessageFactory(ticket=ticket, body_text=body)
    if note:
        MessageFactory(ticket=ticket, body_text=note, internal=True, author_kind="agent")
    if tags:
        ticket.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])
    ticket_search_refresh(ticket)
    return ticket


def found(viewer, query: str) -> list[int]:
    return [ticket.pk for ticket in search_tickets(viewer=viewer, query=query)]


# --- what is found ------------------------------------------------------------------------


def test_japanese_two_characters_find_a_longer_sentence(agent):
    ticket = indexed("ご相談", "返品したいのですが、可能でしょうか。")
    indexed("配送について", "まだ届きません")
    assert found(agent, "返品") == [ticket.pk]


def test_a_verb_phrase_finds_the_noun_in_a_title(agent):
    ticket = indexed("返品・交換について", "サイズが合いません")
    assert found(agent, "返品したい") == [ticket.pk]


def test_one_character_finds_its_word(agent):
    ticket = indexed("商品", "注文した商品が届きません")
    indexed("請求書", "再発行をお願いします")
    assert found(agent, "届") == [ticket.pk]


def test_full_width_and_half_width_unify(agent):
    latin = indexed("Code abc123 fails")
    kana = indexed("ヘンピンの件")
    assert found(agent, "ＡＢＣ１２３") == [latin.pk]
    assert found(agent, "ﾍﾝﾋﾟﾝ") == [kana.pk]


def test_english_stems(agent):
    refunds = indexed("Refunds and returns")
    refund = indexed("Question", "I would like a refund")
    indexed("Shipping times")
    assert set(found(agent, "refund")) == {refunds.pk, refund.pk}
    assert set(found(agent, "refunded")) == {refunds.pk, refund.pk}


def test_internal_notes_are_found_by_agents(agent):
    ticket = indexed(
        "Order question", "Where is my parcel?", note="Warehouse says it left on Monday"
    )
    assert found(agent, "warehouse") == [ticket.pk]


def test_customer_email_name_and_tags_are_found(agent):
    ticket = indexed("Hello", email="olivia.brown@example.com", tags=("vip",))
    assert found(agent, "olivia.brown@example.com") == [ticket.pk]
    assert found(agent, "@example.com") == [ticket.pk]
    assert found(agent, ticket.customer.name) == [ticket.pk]
    assert found(agent, "vip") == [ticket.pk]


def test_ticket_number_is_found(agent):
    ticket = indexed("Something")
    assert found(agent, f"#{ticket.pk}") == [ticket.pk]


def test_subject_matches_rank_above_body_matches(agent):
    in_body = indexed("Question", "about a refund")
    in_subject = indexed("Refund request", "see below")
    assert found(agent, "refund") == [in_subject.pk, in_body.pk]


def test_operators_combine_with_text(agent):
    team = TeamFactory(name="Support JP")
    wanted = indexed(
        "配送が遅れています", email="a@example.jp", tags=("返品",), status="open", team=team
    )
    indexed("配送が遅れています", email="b@example.jp", tags=("返品",), status="solved")
    indexed("配送が遅れています", email="c@example.com", tags=("返品",), status="open")
    indexed("配送が遅れています", email="d@example.jp", status="open")
    indexed("請求について", email="e@example.jp", tags=("返品",), status="open")

    assert found(agent, "status:open tag:返品 from:@example.jp 配送") == [wanted.pk]
    assert found(agent, 'team:"support jp"') == [wanted.pk]


def test_assignee_and_unassigned_operators(agent):
    other = UserFactory(email="ken@example.com", name="Ken")
    mine = indexed("A", assignee=agent)
    kens = indexed("B", assignee=other)
    nobodys = indexed("C")
    assert found(agent, "assignee:me") == [mine.pk]
    assert found(agent, "assignee:ken@example.com") == [kens.pk]
    assert found(agent, "assignee:ken") == [kens.pk]
    assert found(agent, "is:unassigned") == [nobodys.pk]
    assert set(found(agent, "status:new,open priority:normal")) == {mine.pk, kens.pk, nobodys.pk}


def test_from_matches_a_channel_handle(agent):
    customer = CustomerFactory(email="")
    ticket = TicketFactory(
        identity=IdentityFactory(customer=customer, kind="line", handle="U4af4980629"),
        channel="line",
    )
    ticket_search_refresh(ticket)
    assert found(agent, "from:U4af49") == [ticket.pk]


def test_unknown_operator_is_searched_as_text(agent):
    ticket = indexed("foo bar")
    assert found(agent, "foo:bar") == []  # "foo:bar" is one id-like word…
    assert found(agent, "foo: bar") == [ticket.pk]  # …"foo:" alone is just a word


# --- bad input ------------------------------------------------------------------------------

HOSTILE = [
    "'",
    "&|!():*",
    "a' | 'b",
    "\\",
    "\x00'",
    "返品\x00",
    "x" * 20_000,
    "返品 " * 3000,
    "status:",
    "tag:",
    'from:"',
    "assignee:\x00",
    "<script>alert(1)</script>",
]


def test_hostile_input_never_errors_and_never_matches_everything(agent_client):
    indexed("Refund", "返品したい")
    indexed("配送", "届きません")
    for query in HOSTILE:  # one login for all of them: each is a request of its own
        response = agent_client.get("/agent/", {"q": query})
        assert response.status_code == 200, query
        assert len(response.context["tickets"]) < Ticket.objects.count(), query
        assert b"<script>alert(1)</script>" not in response.content


def test_a_query_of_only_control_characters_is_no_search(agent_client):
    indexed("Refund")
    response = agent_client.get("/agent/", {"q": "\x00\x01"})
    assert response.status_code == 200
    assert response.context["query"] == ""  # the plain inbox, as with an empty box


def test_customers_cannot_search(client):
    client.force_login(UserFactory(role="customer"))
    assert client.get("/agent/", {"q": "返品"}).status_code == 403


# --- the inbox page ---------------------------------------------------------------------------


def test_search_box_results_reuse_the_list_and_mark_tabs_inactive(agent_client):
    ticket = indexed("返品・交換について")
    response = agent_client.get("/agent/", {"q": "返品", "view": "mine"})
    page = response.content.decode()
    assert [t.pk for t in response.context["tickets"]] == [ticket.pk]
    assert 'name="q"' in page and 'value="返品"' in page
    assert "view-tabs--inactive" in page
    assert 'aria-current="page"' not in page.split("view-tabs", 1)[1].split("</nav>")[0]
    assert "返品・交換について" in page
    assert 'href="/agent/?view=mine" data-search-clear' in page


def test_htmx_gets_just_the_list(agent_client):
    indexed("返品・交換について")
    response = agent_client.get("/agent/", {"q": "返品"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "返品・交換について" in body
    assert "<html" not in body
    assert 'data-inbox-query="返品"' in body


def test_empty_state_names_the_query(agent_client):
    indexed("Refund")
    page = agent_client.get(
        "/agent/", {"q": "存在しない言葉"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "No tickets match “存在しない言葉”" in page
    assert "status:open" in page  # the operators are listed


def test_empty_state_in_japanese(agent_client, agent):
    agent.language = "ja"
    agent.save()
    page = agent_client.get("/agent/", {"q": "zzz"}, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "「zzz」に一致するチケットはありません" in page


def test_unknown_operator_is_hinted(agent_client):
    english = agent_client.get("/agent/", {"q": "foo:bar"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "“foo:” is not a search operator" in english.content.decode()
    japanese = agent_client.get("/agent/", {"q": "foo:bar"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert "「foo:」は検索演算子ではない" in japanese.content.decode()


def test_search_query_count_does_not_grow(agent_client):
    def queries(q: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get("/agent/", {"q": q}).status_code == 200
        return len(captured)

    indexed("返品 1", tags=("a",))
    few = queries("返品 status:new")
    team = TeamFactory()
    for n in range(25):
        indexed(
            f"返品 {n}", f"返品したい {n}", tags=("a", f"t{n}"), assignee=UserFactory(), team=team
        )
    many = queries("返品 status:new")
    assert many == few
    assert many <= 10  # session, user, views, counts, rows, tags, bell, bulk-bar agents and teams
