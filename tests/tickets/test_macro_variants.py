"""Macros with Japanese and English variants: the customer's language picks the text."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.api_factories import token_client
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, UserFactory
from tickets import macros

pytestmark = pytest.mark.django_db


@pytest.fixture
def macro():
    manager = UserFactory(role="manager")
    return macros.macro_save(
        actor=manager,
        name="お礼",
        body="Thanks / ありがとうございます",
        body_ja="{{customer.name}}様、ありがとうございます。",
        body_en="Thank you, {{customer.first_name}}.",
        shared=True,
    )


def ticket_for(language: str):
    customer = CustomerFactory(name="Hanako Sato", language=language)
    return TicketFactory(identity=IdentityFactory(customer=customer))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ja", "Hanako Sato様、ありがとうございます。"),
        ("en", "Thank you, Hanako."),
        ("en-US", "Thank you, Hanako."),
        ("fr", "Thanks / ありがとうございます"),  # no French variant: the main text
    ],
)
def test_the_customers_language_picks_the_variant(agent, macro, language, expected):
    rendered = macros.render_macro(macro=macro, ticket=ticket_for(language), agent=agent)
    assert rendered.body == expected


def test_without_a_customer_language_the_default_language_is_used(agent, macro, settings):
    settings.LANGUAGE_CODE = "ja"
    rendered = macros.render_macro(macro=macro, ticket=ticket_for(""), agent=agent)
    assert rendered.body.endswith("ありがとうございます。")
    settings.LANGUAGE_CODE = "en"
    rendered = macros.render_macro(macro=macro, ticket=ticket_for(""), agent=agent)
    assert rendered.body == "Thank you, Hanako."


def test_a_variant_only_macro_is_valid_and_falls_back(agent):
    manager = UserFactory(role="manager")
    only_en = macros.macro_save(actor=manager, name="EN", body="", body_en="Hello")
    assert macros.render_macro(macro=only_en, ticket=ticket_for("ja"), agent=agent).body == "Hello"


def test_unknown_placeholders_in_a_variant_are_refused():
    manager = UserFactory(role="manager")
    with translation.override("en"), pytest.raises(ValidationError, match="placeholder"):
        macros.macro_save(actor=manager, name="x", body="hi", body_en="{{customer.password}}")


def test_the_ticket_page_macro_endpoint_and_api_insert_the_variant(agent_client, agent, macro):
    ticket = ticket_for("en")
    answer = agent_client.get(f"/agent/tickets/{ticket.pk}/macros/{macro.pk}/")
    assert answer.json()["body"] == "Thank you, Hanako."
    api = token_client(agent).get(f"/api/v1/macros/{macro.pk}/?ticket={ticket.pk}").json()
    assert (api["rendered_body"], api["language"]) == ("Thank you, Hanako.", "en")
    assert api["body_ja"].startswith("{{customer.name}}様")


def test_the_macro_editor_saves_both_variants(client):
    manager = UserFactory(role="manager")
    client.force_login(manager)
    answer = client.post(
        "/agent/macros/new/",
        {"name": "両方", "body": "", "body_ja": "こんにちは", "body_en": "Hello", "active": "on"},
    )
    assert answer.status_code == 302
    saved = macros.manageable_macros(manager).get(name="両方")
    assert (saved.body_ja, saved.body_en) == ("こんにちは", "Hello")
    page = client.get(f"/agent/macros/{saved.pk}/").content.decode()
    assert "Hello" in page and "こんにちは" in page
