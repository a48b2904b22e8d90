"""In Chromium: a customer is shown an article on the contact form (counted by beacon), writes
anyway, signs in and finds the request under "My requests"; an agent previews Markdown and
inserts an uploaded image in the article editor."""

from __future__ import annotations

import re
import time

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from knowledge.models import ContactAttempt, SearchQueryLog
from tests.factories import STAFF_PASSWORD, UserFactory

from .conftest import make_article

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def eventually(check, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError("did not happen in time")


def test_deflection_counted_then_the_request_shows_in_my_requests(live_stack, browser, section):
    make_article(section, ja=("返品・交換について", "30日以内なら返品できます。"))
    customer = UserFactory(role="customer", email="hana@example.jp", name="花子")
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    page = browser.new_context(locale="ja-JP").new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))

    page.goto(f"{live_stack.url}/help/ja/search/?q=返金")
    page.goto(f"{live_stack.url}/help/ja/contact/")
    token = page.input_value("input[name=form_token]")
    page.fill("input[name=subject]", "返品したい")
    page.locator("[data-kb-suggest-list] a", has_text="返品・交換について").click()
    page.wait_for_url(re.compile(r".*/help/ja/a/\d+-.+/$"))
    eventually(
        lambda: ContactAttempt.objects.filter(
            form_token=token, opened_article__isnull=False
        ).exists()
    )
    assert ContactAttempt.objects.get(form_token=token).deflected

    # The article did not answer it: back to the form, and the message is sent.
    page.go_back()
    page.fill("input[name=name]", "花子")
    page.fill("input[name=email]", "hana@example.jp")
    page.fill("input[name=subject]", "返品したい")
    page.fill("textarea[name=message]", "サイズが合いませんでした。")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/contact/sent/$"))
    eventually(lambda: ContactAttempt.objects.filter(submitted_at__isnull=False).exists())
    assert SearchQueryLog.objects.get(query="返金").led_to_ticket

    # Signed in, the customer finds the request and its conversation.
    page.goto(f"{live_stack.url}/accounts/login/")
    page.fill("input[name=login]", customer.email)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/help/.*"))
    page.goto(f"{live_stack.url}/help/ja/requests/")
    page.get_by_role("link", name=re.compile("返品したい")).click()
    expect(page.get_by_text("サイズが合いませんでした。")).to_be_visible()
    assert not errors


def test_editor_preview_and_image_insert(live_stack, browser, section, tmp_path):
    agent = UserFactory(role="agent", email="emma@example.com")
    page = browser.new_context(locale="en-US").new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    live_stack.sign_in(page, agent.email)

    page.goto(f"{live_stack.url}/help/manage/new/")
    body = page.locator("#id_en-body")
    body.fill("Hello **world**\n\n<script>alert(1)</script>")
    page.locator("[data-kb-preview-for=id_en-body]").click()
    preview = page.locator("#preview-en")
    expect(preview.locator("strong")).to_have_text("world")
    expect(preview).to_contain_text("<script>alert(1)</script>")  # shown as text, not run
    assert preview.locator("script").count() == 0

    image = tmp_path / "map.png"
    image.write_bytes(PNG)
    page.locator("[data-kb-image-for=id_en-body]").set_input_files(str(image))
    expect(body).to_have_value(re.compile(r"!\[map\]\(/help/images/[0-9a-f]{32}\.png\)"))
    expect(preview.locator("img")).to_have_count(1)
    assert not errors
