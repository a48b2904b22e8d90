"""The widget on a shop's own page (another origin) in Chromium, an agent in /agent/, live."""

from __future__ import annotations

import os
import re
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from livechat.models import ChatChannel
from tests.factories import UserFactory
from tickets.models import Message, Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("CHAT_SCREENSHOTS", "")

# A hostile host page: its CSS tries to restyle everything the widget could contain.
HOST_PAGE = """<!doctype html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>ショップ</title>
<style>* {{ font-family: serif !important; }} button, textarea, div {{ display: none; }}
body {{ background: #f3efe6; }} h1 {{ display: block; }}</style></head>
<body><h1>テストショップ</h1>
<script src="{app}/widget.js" data-channel="{key}" async></script></body></html>"""


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.fixture
def shop_site(tmp_path):
    """The shop: a plain static server on its own port (a different origin from the app)."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def widget(page):
    return page.locator("madoguchi-chat")


def test_visitor_and_agent_chat_live_and_a_reload_keeps_the_conversation(
    live_stack, browser, shop_site
):
    folder, shop = shop_site
    channel = ChatChannel.objects.create(
        name="Shop",
        allowed_origins=shop,
        greeting_ja="ご用件をどうぞ",
        brand_color="#0f766e",
        ask_name="optional",
        ask_email="off",
    )
    (folder / "index.html").write_text(
        HOST_PAGE.format(app=live_stack.url, key=channel.public_key), encoding="utf-8"
    )
    visitor = browser.new_context(locale="ja-JP").new_page()
    errors: list[str] = []
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    visitor.goto(f"{shop}/index.html")
    launcher = widget(visitor).locator("button.launcher")
    expect(launcher).to_be_visible(timeout=15_000)
    if SHOTS:
        visitor.screenshot(path=f"{SHOTS}/chat-widget-closed-ja.png")
    launcher.click()
    panel = widget(visitor).locator("section.panel")
    expect(panel.get_by_text("ご用件をどうぞ")).to_be_visible()
    text = panel.locator("textarea")
    expect(text).to_be_visible(timeout=15_000)

    # Enter that confirms an IME conversion sends nothing.
    text.fill("へんぴん")
    text.evaluate(
        "el => el.dispatchEvent(new KeyboardEvent('keydown', "
        "{key: 'Enter', keyCode: 229, isComposing: true, bubbles: true}))"
    )
    assert text.input_value() == "へんぴん"
    text.fill("注文した商品が届きません")
    text.press("Enter")
    expect(panel.locator(".msg.me", has_text="注文した商品が届きません")).to_be_visible()
    ticket = wait_for(lambda: Ticket.objects.filter(channel="chat").first())
    assert ticket.messages.get().body_text == "注文した商品が届きません"

    # The agent answers on the ticket page; the visitor sees them typing, then the reply.
    agent = UserFactory(role="admin", email="sato@example.com", name="佐藤 花子")
    agent_page = browser.new_context(locale="en-US").new_page()
    live_stack.sign_in(agent_page, agent.email)
    agent_page.goto(f"{live_stack.url}/agent/tickets/{ticket.pk}/")
    expect(agent_page.locator("[data-livechat-panel]")).to_contain_text("Online", timeout=15_000)
    # The panel comes with the side panels after the page; its socket opens after that.
    expect(agent_page.locator("[data-livechat-panel][data-connected]")).to_have_count(
        1, timeout=15_000
    )
    reply_box = agent_page.locator("#reply-form textarea")
    reply_box.press_sequentially("お待たせしました", delay=20)
    expect(panel.get_by_text("担当者が入力中…")).to_be_visible(timeout=15_000)
    agent_page.locator("#reply-form button[type=submit]").click()
    expect(panel.locator(".msg", has_text="お待たせしました")).to_be_visible(timeout=20_000)
    expect(panel.get_by_text("佐藤 花子 がチャットに参加しました")).to_be_visible()
    # The visitor typing reaches the agent. The indicator hides again once the visitor
    # pauses, so record that it was shown rather than racing a busy machine to see it.
    # The side panels may be fetched (and swapped in) after the page: watch the whole page.
    agent_page.evaluate(
        """() => {
          const check = () => {
            for (const node of document.querySelectorAll("[data-livechat-typing]")) {
              if (!node.hidden) window.__typingShown = true;
            }
          };
          window.__typingShown = false;
          check();
          new MutationObserver(check).observe(document.body, {
            subtree: true, childList: true, attributes: true, attributeFilter: ["hidden"],
          });
        }"""
    )
    # Sending the reply reloaded the agent's page: its chat socket opens again with the side
    # panels; a visitor typing before that is not replayed (typing is live, not stored).
    expect(agent_page.locator("[data-livechat-panel][data-connected]")).to_have_count(
        1, timeout=15_000
    )
    text.press_sequentially("追跡番号は", delay=20)
    agent_page.wait_for_function("() => window.__typingShown === true", timeout=15_000)
    if SHOTS:
        visitor.screenshot(path=f"{SHOTS}/chat-widget-open-ja.png")
        agent_page.screenshot(path=f"{SHOTS}/chat-agent-ticket.png", full_page=True)
        agent_page.goto(f"{live_stack.url}/agent/settings/chat/{channel.pk}/")
        agent_page.screenshot(path=f"{SHOTS}/chat-settings.png", full_page=True)

    # A reload (or another page of the shop) keeps the conversation, once each.
    visitor.reload()
    expect(widget(visitor).locator("section.panel")).to_be_visible(timeout=15_000)
    log = widget(visitor).locator(".log")
    expect(log.locator(".msg", has_text="お待たせしました")).to_have_count(1, timeout=15_000)
    expect(log.locator(".msg", has_text="注文した商品が届きません")).to_have_count(1)
    assert Message.objects.filter(ticket=ticket).count() == 2
    assert errors == []


def test_a_network_drop_loses_and_doubles_nothing(live_stack, browser, shop_site):
    folder, shop = shop_site
    channel = ChatChannel.objects.create(
        name="Shop", allowed_origins=shop, ask_name="off", ask_email="off"
    )
    (folder / "index.html").write_text(
        HOST_PAGE.format(app=live_stack.url, key=channel.public_key), encoding="utf-8"
    )
    context = browser.new_context(locale="en-US")
    visitor = context.new_page()
    visitor.goto(f"{shop}/index.html")
    widget(visitor).locator("button.launcher").click()
    panel = widget(visitor).locator("section.panel")
    text = panel.locator("textarea")
    text.fill("first")
    text.press("Enter")
    expect(panel.locator(".meta").first).to_have_text("", timeout=15_000)  # acknowledged
    context.set_offline(True)
    expect(panel.locator(".status")).to_contain_text(re.compile("Reconnecting"), timeout=20_000)
    text.fill("written while offline")
    text.press("Enter")
    context.set_offline(False)
    expect(panel.locator(".status")).to_be_hidden(timeout=40_000)
    wait_for(lambda: Message.objects.filter(body_text="written while offline").exists(), 30)
    assert Message.objects.filter(body_text="first").count() == 1
    assert Message.objects.filter(body_text="written while offline").count() == 1
    expect(panel.locator(".msg", has_text="written while offline")).to_have_count(1)
