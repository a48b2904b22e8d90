"""The ticket page's "insert article link" panel and the staff-only search behind it."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import CustomerFactory, TicketFactory, UserFactory

from .conftest import make_article

pytestmark = pytest.mark.django_db

SEARCH = "/help/manage/link-search/"


@pytest.fixture
def agent_client():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(role="agent"))
    return client


def _ticket_page_and_panels(client, ticket) -> str:
    """The ticket page, and its side panels if the page fetches them after showing."""
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    sidebar = client.get(f"/agent/tickets/{ticket.pk}/sidebar/")
    return page + (sidebar.content.decode() if sidebar.status_code == 200 else "")


def test_the_ticket_page_shows_the_panel_in_the_customers_language(agent_client):
    ticket = TicketFactory(customer=CustomerFactory(language="en-US"))

    page = _ticket_page_and_panels(agent_client, ticket)

    assert "data-kb-link-panel" in page and 'data-search-url="/help/manage/link-search/"' in page
    assert '<option value="en" selected>' in page
    assert "/static/js/help-link.js" in page or "js/help-link" in page


def test_a_customer_without_a_language_gets_japanese(agent_client):
    ticket = TicketFactory(customer=CustomerFactory(language=""))

    page = _ticket_page_and_panels(agent_client, ticket)

    assert '<option value="ja" selected>' in page


def test_search_gives_absolute_public_urls_of_what_customers_can_open(agent_client, section):
    public = make_article(section, en=("Tracking a parcel", "Use the tracking number."))
    make_article(section, internal=True, en=("Parcel claims (internal)", "Internal parcel steps."))
    make_article(section, published=False, en=("Parcel draft", "Draft about a parcel."))

    data = agent_client.get(SEARCH, {"q": "parcel", "lang": "en"}).json()

    assert [r["id"] for r in data["results"]] == [public.pk]
    assert data["results"][0]["url"].startswith("http://testserver/help/en/a/")
    assert data["results"][0]["title"] == "Tracking a parcel"


def test_a_half_typed_title_still_finds_its_article(agent_client, section):
    article = make_article(section, en=("Resetting your password", "Use the link."))

    data = agent_client.get(SEARCH, {"q": "passw", "lang": "en"}).json()

    assert [r["id"] for r in data["results"]] == [article.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "", "lang": "en"},
        {"q": "x" * 10_000, "lang": "en"},
        {"q": "<script>'; --", "lang": "ja"},
        {"q": "a\x00b", "lang": "en"},
    ],
)
def test_empty_huge_and_hostile_queries_are_only_text(agent_client, section, params):
    response = agent_client.get(SEARCH, params)

    assert response.status_code == 200
    assert response.json()["results"] == []
    assert response["Cache-Control"].startswith("private") or "private" in response["Cache-Control"]


def test_an_unknown_language_is_a_clear_error(agent_client):
    response = agent_client.get(SEARCH, {"q": "parcel", "lang": "fr"})
    assert response.status_code == 400 and response.json()["detail"]


def test_the_search_is_for_staff_only(client, section):
    make_article(section, en=("Tracking a parcel", "Use the tracking number."))
    customer = Client()
    customer.force_login(UserFactory(role="customer"))

    assert client.get(SEARCH, {"q": "parcel", "lang": "en"}).status_code == 302
    assert customer.get(SEARCH, {"q": "parcel", "lang": "en"}).status_code == 403
