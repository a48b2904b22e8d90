"""Customer 360 in Chromium: an agent finds a customer who wrote by email and LINE, sees both
conversations and what they bought, merges the SMS duplicate, and sees one customer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer, CustomerAccess
from tests.customers.c360_data import yamada_with_history
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_agent_sees_every_channel_and_the_orders_then_merges_the_duplicate(live_stack, browser):
    agent = UserFactory(role="agent", email="emma@example.com", name="Emma Wilson")
    yamada = yamada_with_history()
    page = browser.new_context(locale="en-US").new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    live_stack.sign_in(page, agent.email)

    # Find the customer by their LINE id, the way an agent looks someone up from a chat.
    page.goto(f"{live_stack.url}/agent/customers/")
    page.fill("input[name=q]", "U4af4980629")
    page.locator("form[role=search] button[type=submit]").click()
    page.get_by_role("link", name="山田 太郎").click()
    page.wait_for_url(re.compile(rf".*/agent/customers/{yamada.customer.pk}/$"))

    tickets = page.locator("#tickets")
    expect(tickets.get_by_text("注文した商品が届きません")).to_be_visible()
    expect(tickets.get_by_text("LINEから：配送先の変更")).to_be_visible()
    expect(tickets.locator(".chan--email")).to_have_count(1)
    expect(tickets.locator(".chan--line")).to_have_count(1)
    orders = page.locator("#orders")
    expect(orders.get_by_text("#10482")).to_be_visible()
    expect(orders.get_by_text("有田焼マグカップ")).to_be_visible()
    expect(orders.get_by_text("1234-5678-9012")).to_be_visible()
    expect(page.locator(".ltv__amount")).to_have_text("¥9,000")

    # The SMS sender with the same number is offered as a duplicate; merge after confirming.
    duplicates = page.locator("#duplicates")
    expect(duplicates.get_by_text("ヤマダ")).to_be_visible()
    duplicates.get_by_role("link", name="Merge…").click()
    page.wait_for_url(re.compile(rf".*/merge/{yamada.duplicate.pk}/$"))
    expect(page.locator(".merge-side--source")).to_contain_text("09012345678")
    page.get_by_role(
        "button", name=f"Merge #{yamada.duplicate.pk} into #{yamada.customer.pk}"
    ).click()

    page.wait_for_url(re.compile(rf".*/agent/customers/{yamada.customer.pk}/$"))
    expect(
        page.get_by_text(f"Customer #{yamada.duplicate.pk} was merged into this one.")
    ).to_be_visible()
    identities = page.locator(".c360-identities")
    expect(identities.locator("li")).to_have_count(3)
    expect(identities.get_by_text("09012345678")).to_be_visible()
    expect(page.locator("#tickets").get_by_text("SMS：再配達の依頼")).to_be_visible()
    expect(page.locator("#duplicates .dupe")).to_have_count(0)

    assert list(Customer.objects.values_list("pk", flat=True)) == [yamada.customer.pk]
    assert {"view", "merge"} <= set(CustomerAccess.objects.values_list("action", flat=True))
    assert not [e for e in errors if "Content Security Policy" in e], errors
