"""The widget when nobody can answer (email follow-up), the full article inside it, and the
end of a chat (rating, transcript) — real Chromium on a shop page of another origin."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from livechat.models import ChatChannel, ChatConversation
from tests.knowledge.conftest import make_article
from tickets.models import Ticket

from .test_widget import HOST_PAGE, SHOTS, shop_site, wait_for, widget  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_offline_chat_becomes_email_then_ends_with_rating_and_transcript(
    live_stack,
    browser,
    shop_site,  # noqa: F811 - the fixture imported above
    nobody_online,
):
    from knowledge import services as kb

    category = kb.upsert_category(slug="orders", name_ja="ご注文", name_en="Orders")
    section = kb.upsert_section(
        category=category, slug="returns", name_ja="返品", name_en="Returns"
    )
    make_article(
        section,
        ja=("返品の方法", "商品到着から**30日以内**にご連絡ください。\n\n- 未使用品に限ります"),
    )
    folder, shop = shop_site
    channel = ChatChannel.objects.create(
        name="Shop", allowed_origins=shop, greeting_ja="ご用件をどうぞ", ask_email="off"
    )
    (folder / "index.html").write_text(
        HOST_PAGE.format(app=live_stack.url, key=channel.public_key), encoding="utf-8"
    )
    page = browser.new_context(locale="ja-JP", viewport={"width": 900, "height": 760}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{shop}/index.html")
    widget(page).locator("button.launcher").click()
    panel = widget(page).locator("section.panel")

    # Nobody online: the widget says so and asks for an email address first.
    expect(panel.locator(".away")).to_contain_text("メールでご返信します", timeout=15_000)
    email = panel.locator("form input[type=email]")
    expect(email).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/chat2-widget-offline-ja.png")
    email.fill("hanako@example.jp")
    panel.locator("form button[type=submit]").click()
    text = panel.locator("textarea").first
    expect(text).to_be_visible(timeout=15_000)

    # Self-service: the suggested article opens whole inside the widget.
    text.fill("返品")
    panel.locator(".sugg button", has_text="返品の方法").click()
    article = panel.locator(".article")
    expect(article.locator("strong", has_text="30日以内")).to_be_visible(timeout=15_000)
    expect(article.locator("li", has_text="未使用品")).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/chat2-widget-article-ja.png")
    article.locator("button.back").click()

    text.fill("返品したいです")
    text.press("Enter")
    expect(panel.get_by_text("hanako@example.jp 宛にメールでご返信します")).to_be_visible(
        timeout=15_000
    )
    ticket = wait_for(lambda: Ticket.objects.filter(channel="chat").first())
    assert ChatConversation.objects.get(ticket=ticket).email_followup
    # The transcript mail went out through the real SMTP peer.
    wait_for(lambda: any("返品したいです" in m for m in _mails(live_stack)))

    # The visitor ends the chat, rates it and asks for the transcript again.
    panel.locator("button.endbtn").click()
    card = panel.locator("[data-end]")
    expect(card).to_contain_text("チャットを終了しました", timeout=15_000)
    card.get_by_role("button", name="5 / 5").click()
    card.locator("textarea").fill("とても丁寧でした")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/chat2-widget-ended-ja.png")
    card.get_by_role("button", name="評価を送る").click()
    expect(card.get_by_text("ご評価ありがとうございました。")).to_be_visible(timeout=15_000)
    card.get_by_role("button", name="チャットの記録をメールで受け取る").click()
    expect(card.get_by_text("チャットの記録を hanako@example.jp に送信しました")).to_be_visible(
        timeout=15_000
    )
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/chat2-widget-rated-ja.png")
    conversation = ChatConversation.objects.get(ticket=ticket)
    assert (conversation.rating, conversation.rating_comment) == (5, "とても丁寧でした")
    assert errors == []


def _mails(live_stack) -> list[str]:
    texts = []
    for received in list(live_stack.smtp.messages):
        body = received.parsed().get_body(("plain",))
        texts.append(body.get_content() if body else "")
    return texts
