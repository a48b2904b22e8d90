"""Chat routing in the browser: a visitor on a shop's page starts a chat, the one online agent
gets the offer card in /agent/, accepts it, lands on the chat's ticket and answers; the
visitor is told who took the chat and gets the answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from livechat.models import ChatChannel, ChatOffer, OfferStatus
from tests.factories import UserFactory
from tickets.models import Ticket

from .test_widget import HOST_PAGE, shop_site, wait_for, widget  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_waiting_chat_is_offered_to_the_online_agent_who_accepts_and_answers(
    live_stack,
    browser,
    shop_site,  # noqa: F811
):
    folder, shop = shop_site
    channel = ChatChannel.objects.create(
        name="Shop", allowed_origins=shop, ask_name="off", ask_email="off", offer_timeout=120
    )
    (folder / "index.html").write_text(
        HOST_PAGE.format(app=live_stack.url, key=channel.public_key), encoding="utf-8"
    )
    agent = UserFactory(role="agent", email="kato@example.com", name="加藤 健")
    agent_page = browser.new_context(locale="en-US").new_page()
    live_stack.sign_in(agent_page, agent.email)  # the inbox socket makes them online
    expect(agent_page.locator("body")).to_be_visible()

    visitor = browser.new_context(locale="ja-JP").new_page()
    errors: list[str] = []
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    visitor.goto(f"{shop}/index.html")
    widget(visitor).locator("button.launcher").click()
    panel = widget(visitor).locator("section.panel")
    text = panel.locator("textarea")
    expect(text).to_be_visible(timeout=15_000)
    text.fill("サイズ交換はできますか")
    text.press("Enter")
    expect(panel.locator(".msg.me", has_text="サイズ交換はできますか")).to_be_visible()

    # The offer reaches the agent's open inbox live, with the customer's words as text.
    card = agent_page.locator("[data-chat-offer]")
    expect(card).to_be_visible(timeout=20_000)
    expect(card).to_contain_text("サイズ交換はできますか")
    offer = ChatOffer.objects.get()
    assert (offer.agent_id, offer.status) == (agent.pk, OfferStatus.PENDING)

    card.locator("[data-offer-accept]").click()
    ticket = Ticket.objects.get(channel="chat")
    agent_page.wait_for_url(f"**/agent/tickets/{ticket.pk}/", timeout=20_000)
    expect(agent_page.get_by_text("サイズ交換はできますか").first).to_be_visible()
    expect(card).to_have_count(0)
    wait_for(lambda: Ticket.objects.get(pk=ticket.pk).assignee_id == agent.pk)
    assert ChatOffer.objects.get().status == OfferStatus.ACCEPTED

    # The visitor hears who took the chat, then the answer.
    expect(panel.get_by_text("加藤 健 が対応を引き継ぎました")).to_be_visible(timeout=20_000)
    agent_page.locator("#reply-form textarea").fill("はい、交換できます")
    agent_page.locator("#reply-form button[type=submit]").click()
    expect(panel.locator(".msg", has_text="はい、交換できます")).to_be_visible(timeout=20_000)
    assert errors == []
