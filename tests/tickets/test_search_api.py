"""GET /api/v1/tickets/?q=…: the inbox's search through the API, with its other filters."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

from tests.api_factories import token_client
from tests.factories import MessageFactory, TicketFactory, UserFactory
from tickets.search_index import ticket_search_refresh

pytestmark = pytest.mark.django_db

LIST = "/api/v1/tickets/"


def indexed(subject: str, body: str = "", **fields):
    ticket = TicketFactory(subject=subject, **fields)
    if body:
        MessageFactory(ticket=ticket, body_text=body)
    ticket_search_refresh(ticket)
    return ticket


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def test_q_searches_best_match_first(agent):
    in_body = indexed("Question", "I want a refund")
    in_subject = indexed("Refund request")
    indexed("Shipping")
    response = token_client(agent).get(LIST, {"q": "refunded"})
    assert response.status_code == 200
    assert ids(response) == [in_subject.pk, in_body.pk]
    assert response.json()["next"] is None


def test_q_in_japanese_with_operators_and_other_filters(agent):
    wanted = indexed("返品・交換について", status="open", channel="web")
    indexed("返品・交換について", status="solved", channel="web")
    indexed("返品・交換について", status="open", channel="email")
    client = token_client(agent)
    assert ids(client.get(LIST, {"q": "返品したい status:open", "channel": "web"})) == [wanted.pk]
    assert ids(client.get(LIST, {"q": "返品", "status": "open", "channel": "web"})) == [wanted.pk]


def test_q_respects_page_size(agent):
    for n in range(4):
        indexed(f"refund {n}")
    assert len(ids(token_client(agent).get(LIST, {"q": "refund", "page_size": 2}))) == 2


def test_blank_q_is_the_plain_list(agent):
    tickets = [indexed("a"), indexed("b")]
    assert sorted(ids(token_client(agent).get(LIST, {"q": "  "}))) == sorted(t.pk for t in tickets)


@pytest.mark.parametrize("q", ["'", "&|!():*", "a' | 'b", "\\", "x" * 1000, "status:bogus"])
def test_hostile_q_is_not_an_error_nor_everything(agent, q):
    indexed("Refund")
    response = token_client(agent).get(LIST, {"q": q})
    assert response.status_code == 200
    assert ids(response) == []


def test_nul_and_overlong_q_are_400(agent):
    client = token_client(agent)
    for q in ("a\x00b", "x" * 1001):
        response = client.get(LIST, {"q": q})
        assert response.status_code == 400
        assert response.json()["q"]


def test_customer_role_cannot_search(db):
    response = token_client(UserFactory(role="customer")).get(LIST, {"q": "refund"})
    assert response.status_code == 403


def test_search_query_count_does_not_grow(agent, django_assert_max_num_queries):
    client = token_client(agent)
    indexed("refund 0")
    with django_assert_max_num_queries(4) as one:
        assert len(ids(client.get(LIST, {"q": "refund"}))) == 1
    for n in range(20):
        indexed(f"refund {n}", "refund please")
    with django_assert_max_num_queries(4) as many:
        assert len(ids(client.get(LIST, {"q": "refund"}))) == 21
    assert len(one.captured_queries) == len(many.captured_queries)


def test_schema_documents_q(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    operation = yaml.safe_load(target.read_text())["paths"]["/api/v1/tickets/"]["get"]
    q = next(p for p in operation["parameters"] if p["name"] == "q")
    assert "status:open" in q["description"]
