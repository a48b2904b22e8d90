"""In Chromium against the live stack: the survey mail arrives at the SMTP peer, the customer
clicks "Good" in it (one click records it), adds a comment, and the agent sees both on the
ticket page."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from feedback.models import SurveyResponse, SurveySettings
from tests.e2e.conftest import browser, live_stack  # noqa: F401 - fixtures used below
from tests.factories import MessageFactory, UserFactory
from tickets.models import Status
from tickets.services import update_ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_customer_rates_from_the_mail_and_the_agent_sees_it(live_stack, browser):  # noqa: F811
    agent = UserFactory(role="agent", email="sato@example.com", name="佐藤 花子")
    SurveySettings.objects.create(channel="email", delay_minutes=0)
    ticket = MessageFactory(ticket__subject="返品の手続き", body_text="返品したいです。").ticket
    update_ticket(ticket=ticket, actor=agent, status=Status.SOLVED, assignee=agent)

    # What beat does every minute, in the live environment (its worker delivers the mail).
    swept = live_stack.manage(
        "shell", "-c", "from feedback.tasks import send_due_feedback; send_due_feedback()"
    )
    assert swept.returncode == 0, swept.stderr.decode()
    envelope = wait_for(lambda: live_stack.smtp.messages and live_stack.smtp.messages[-1])
    mail = envelope.parsed()
    assert envelope.rcpt_tos == [ticket.identity.handle]
    text = mail.get_body(("plain",)).get_content()
    assert "今回のサポートはいかがでしたか？" in text
    good = next(line for line in text.splitlines() if line.endswith("?rating=1"))
    assert good.startswith(live_stack.url + "/survey/")

    customer = browser.new_context(locale="ja-JP").new_page()
    errors: list[str] = []
    customer.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    customer.goto(good)
    # One click: the page posts the preselected choice itself and thanks the customer.
    expect(customer.locator(".fb-thanks [data-rating='1']")).to_be_visible(timeout=15_000)
    assert customer.url.endswith("?done=1")
    response = SurveyResponse.objects.get()
    assert response.is_good and response.agent_id == agent.pk

    customer.fill("textarea[name=comment]", "丁寧に対応していただきありがとうございました。")
    customer.locator("form[data-survey-form] button[type=submit]").click()
    expect(customer.locator("blockquote.fb-comment")).to_contain_text("丁寧に対応")
    response.refresh_from_db()
    assert response.comment == "丁寧に対応していただきありがとうございました。"
    assert response.is_good

    page = browser.new_context(locale="en-US").new_page()
    live_stack.sign_in(page, agent.email)
    page.goto(f"{live_stack.url}/agent/tickets/{ticket.pk}/")
    panel = page.locator("#feedback-panel")
    expect(panel.locator("[data-csat=good]")).to_be_visible()
    expect(panel.locator("[data-csat-comment]")).to_contain_text("丁寧に対応")
    assert not [e for e in errors if "Content Security Policy" in e], errors
