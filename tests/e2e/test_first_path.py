"""The first path end to end, in Chromium: contact form → live inbox → reply by mail →
the customer's mail reply threads back into the same ticket, live on the agent's screen."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory
from tickets.models import Status, Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout: float = 20.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_contact_form_to_live_inbox_to_mail_reply_and_back(live_stack, browser, tmp_path):
    agent = UserFactory(role="agent", email="sato@example.com", name="佐藤 花子")
    agent_page = browser.new_context(locale="en-US").new_page()
    errors: list[str] = []
    agent_page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    live_stack.sign_in(agent_page, agent.email)
    expect(agent_page.locator("[data-live-state=live]")).to_be_attached(timeout=15_000)
    # A marker that a reload would wipe: the new ticket must arrive without one.
    agent_page.evaluate("window.__sameDocument = true")

    # The customer files a request through the help center, with an attachment.
    customer_page = browser.new_context(locale="ja-JP").new_page()
    customer_page.goto(f"{live_stack.url}/help/ja/contact/")
    customer_page.fill("input[name=name]", "山田 太郎")
    customer_page.fill("input[name=email]", "yamada@example.jp")
    customer_page.fill("input[name=subject]", "注文した商品が届きません")
    customer_page.fill("textarea[name=message]", "注文番号 10482 がまだ届いていません。")
    receipt = tmp_path / "レシート.txt"
    receipt.write_text("receipt 10482")
    customer_page.set_input_files("input[name=attachments]", str(receipt))
    customer_page.locator("form button[type=submit]").click()
    customer_page.wait_for_url(re.compile(r".*/help/ja/contact/sent/$"))

    # The open inbox shows it without a reload.
    row = agent_page.locator("#ticket-list").get_by_text("注文した商品が届きません")
    expect(row).to_be_visible(timeout=20_000)
    assert agent_page.evaluate("window.__sameDocument") is True

    # The agent opens it and answers.
    row.click()
    agent_page.wait_for_url(re.compile(r".*/agent/tickets/\d+/$"))
    expect(agent_page.get_by_text("注文番号 10482 がまだ届いていません。")).to_be_visible()
    expect(agent_page.get_by_text("レシート.txt")).to_be_visible()
    agent_page.fill("textarea[name=body]", "山田様\nお調べして本日中にご連絡いたします。")
    agent_page.locator("form[action$='/reply/'] button[type=submit]").click()
    expect(agent_page.get_by_text("お調べして本日中にご連絡いたします。")).to_be_visible()
    ticket = Ticket.objects.get()

    # The reply leaves by mail, threaded, to the address the customer gave.
    envelope = wait_for(lambda: live_stack.smtp.messages and live_stack.smtp.messages[-1])
    sent = message_from_bytes(envelope.content, policy=policy.default)
    assert envelope.rcpt_tos == ["yamada@example.jp"]
    assert f"[#{ticket.pk}]" in sent["Subject"]
    assert sent["Message-ID"]
    assert "お調べして本日中にご連絡いたします。" in sent.get_body(("plain",)).get_content()
    expect(agent_page.locator("[data-delivery-status=sent]")).to_be_visible(timeout=20_000)

    # The customer answers by mail; it comes in through the MTA pipe and lands live.
    answer = EmailMessage()
    answer["From"] = "山田 太郎 <yamada@example.jp>"
    answer["To"] = sent["From"]
    answer["Subject"] = f"Re: {sent['Subject']}"
    answer["Message-ID"] = "<answer-1@example.jp>"
    answer["In-Reply-To"] = sent["Message-ID"]
    answer["References"] = sent["Message-ID"]
    answer.set_content("ありがとうございます。よろしくお願いします。", charset="iso-2022-jp")
    piped = live_stack.manage("ingest_mail", "-", input=answer.as_bytes())
    assert piped.returncode == 0, piped.stderr.decode()

    expect(agent_page.get_by_text("ありがとうございます。よろしくお願いします。")).to_be_visible(
        timeout=20_000
    )
    ticket.refresh_from_db()
    assert Ticket.objects.count() == 1
    assert ticket.status == Status.OPEN  # the customer wrote again: back on the agent's plate
    assert ticket.messages.count() == 3
    assert not [e for e in errors if "Content Security Policy" in e], errors
