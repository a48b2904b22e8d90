"""Light agents see masked email addresses and phone numbers on every customer page."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from customers.privacy import mask_contact, mask_email, mask_phone
from tests.customers.c360_data import yamada_with_history
from tests.factories import CustomerFactory, UserFactory


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("yamada@example.jp", "y•••@example.jp"),
        ("a@b.co", "a•••@b.co"),
        ("@example.jp", "•••@example.jp"),
        ("", ""),
    ],
)
def test_mask_email_keeps_the_first_letter_and_the_domain(address, masked):
    assert mask_email(address) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("09012345678", "•••-5678"),
        ("+81 90-1234-5678", "•••-5678"),
        ("(03) 1234 5678", "•••-5678"),
        ("1234", "•••"),  # too short to show any digit of
        ("", ""),
    ],
)
def test_mask_phone_keeps_the_last_four_digits(number, masked):
    assert mask_phone(number) == masked


def test_mask_contact_masks_by_channel_kind_or_by_the_look_of_the_value():
    assert mask_contact("yamada@example.jp", "email") == "y•••@example.jp"
    assert mask_contact("+819012345678", "sms") == "•••-5678"
    assert mask_contact("+819012345678", "whatsapp") == "•••-5678"
    assert mask_contact("U4af4980629", "line") == "U4af4980629"  # a LINE id reaches nobody
    assert mask_contact("yamada@example.jp") == "y•••@example.jp"
    assert mask_contact("090-1234-5678") == "•••-5678"
    assert mask_contact("山田 太郎") == "山田 太郎"


def test_the_template_tag_fails_closed():
    template = Template("{% load customers_tags %}{% pii value %}")

    assert template.render(Context({"value": "a@example.jp"})) == "a•••@example.jp"
    assert template.render(Context({"value": "a@example.jp", "show_contact_details": True})) == (
        "a@example.jp"
    )
    assert template.render(Context({"value": "<b>@x.jp"})) == "&lt;•••@x.jp"


@pytest.mark.django_db
def test_light_agents_never_see_an_address_or_number_on_the_customer_pages(client):
    yamada = yamada_with_history()
    # A customer known only by their address: the name falls back to it, and is masked too.
    nameless = CustomerFactory(name="", email="nameless@example.jp")
    client.force_login(UserFactory(role="light_agent"))

    pages = [
        client.get(f"/agent/customers/{yamada.customer.pk}/"),
        client.get(f"/agent/customers/{yamada.duplicate.pk}/"),
        client.get("/agent/customers/?q=example.jp"),
        client.get(f"/agent/customers/{nameless.pk}/"),
    ]

    assert [page.status_code for page in pages] == [200] * 4
    text = "".join(page.content.decode() for page in pages)
    for secret in ("yamada@example.jp", "09012345678", "nameless@example.jp"):
        assert secret not in text
    assert "y•••@example.jp" in text and "•••-5678" in text and "n•••@example.jp" in text
    assert "U4af4980629" in text  # the LINE identity stays recognisable


@pytest.mark.django_db
def test_agents_see_the_real_details(agent_client):
    yamada = yamada_with_history()

    page = agent_client.get(f"/agent/customers/{yamada.customer.pk}/").content.decode()

    assert "yamada@example.jp" in page and "09012345678" in page and "•••" not in page
