"""In Chromium against the live stack: a manager sets up and starts an NPS campaign, the beat
sweep sends it, the survey mail arrives at the SMTP peer, the customer clicks "9" in it (one
click records it) and adds a comment, and the manager sees the score and the comment."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from feedback.models import CampaignStatus, NpsCampaign, NpsRecipient
from tests.e2e.conftest import browser, live_stack  # noqa: F401 - fixtures used below
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_manager_runs_a_campaign_and_the_customer_answers_with_one_click(
    live_stack,  # noqa: F811
    browser,  # noqa: F811
):
    manager = UserFactory(role="manager", email="kato@example.com", name="加藤 部長")
    customer = CustomerFactory(language="ja", tags=["gold"], email="yamada@example.jp")
    identity = IdentityFactory(customer=customer, kind="email", handle=customer.email)
    TicketFactory(customer=customer, identity=identity, channel="email", subject="配送について")
    CustomerFactory(tags=["silver"])  # not in the segment

    page = browser.new_context(locale="en-US").new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    live_stack.sign_in(page, manager.email)
    page.goto(f"{live_stack.url}/agent/feedback/nps/new/")
    page.fill("input[name=name]", "Gold customers NPS")
    page.fill("input[name=tags]", "gold")
    expect(page.locator("[data-sample=percent]")).to_be_hidden()
    page.check("input[name=sample_mode][value=percent]")
    expect(page.locator("[data-sample=percent]")).to_be_visible()
    expect(page.locator("[data-sample=count]")).to_be_hidden()
    page.fill("input[name=sample_percent]", "100")
    page.locator("form[data-nps-form] button[type=submit]").click()
    expect(page.locator("[data-preview]")).to_contain_text("1")
    page.locator("button[name=action][value=start]").click()
    expect(page.locator("[data-status=running]")).to_be_visible()
    campaign = NpsCampaign.objects.get()
    assert campaign.status == CampaignStatus.RUNNING

    # What beat does every minute, in the live environment (its worker delivers the mail).
    swept = live_stack.manage(
        "shell", "-c", "from feedback.tasks import send_nps_campaigns; send_nps_campaigns()"
    )
    assert swept.returncode == 0, swept.stderr.decode()
    envelope = wait_for(lambda: live_stack.smtp.messages and live_stack.smtp.messages[-1])
    assert envelope.rcpt_tos == ["yamada@example.jp"]
    text = envelope.parsed().get_body(("plain",)).get_content()
    assert "当社を友人や同僚に薦める可能性" in text
    nine = next(line.split(" ", 1)[1] for line in text.splitlines() if line.startswith("9: "))
    assert nine.startswith(live_stack.url + "/survey/nps/") and nine.endswith("?score=9")

    answer = browser.new_context(locale="ja-JP").new_page()
    answer.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    answer.goto(nine)
    expect(answer.locator(".fb-thanks [data-score='9']")).to_be_visible(timeout=15_000)
    assert answer.url.endswith("?done=1")
    assert NpsRecipient.objects.get().score == 9

    answer.fill("textarea[name=comment]", "いつも迅速な対応をありがとうございます。")
    answer.locator("form[data-survey-form] button[type=submit]").click()
    expect(answer.locator("blockquote.fb-comment")).to_contain_text("迅速な対応")

    page.goto(f"{live_stack.url}/agent/feedback/nps/{campaign.pk}/")
    expect(page.locator("[data-stat=nps] strong")).to_have_text("100")
    expect(page.locator("[data-comment]")).to_contain_text("迅速な対応")
    assert not [e for e in errors if "Content Security Policy" in e], errors
