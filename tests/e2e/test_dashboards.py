"""A manager's dashboards in Chromium: Now updates live when a mail arrives; Performance filters
by channel and downloads the CSV."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_watches_now_live_and_exports_performance(live_stack, browser, tmp_path):
    manager = UserFactory(role="manager", email="mika@example.com", name="山本 美香")
    page = browser.new_context(locale="en-US").new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    live_stack.sign_in(page, manager.email)
    page.get_by_role("link", name=re.compile("Dashboards|ダッシュボード")).click()
    page.wait_for_url(re.compile(r".*/dashboards/$"))
    expect(page.locator("[data-live-state=live]")).to_be_attached(timeout=15_000)
    open_count = page.locator('[data-kpi="open"]')
    expect(open_count).to_have_text("0")

    mail = EmailMessage()
    mail["From"] = "Yamada <yamada@example.jp>"
    mail["To"] = "support@madoguchi.localhost"
    mail["Subject"] = "配送について"
    mail["Message-ID"] = "<dash-e2e-1@example.jp>"
    mail.set_content("荷物が届きません。")
    result = live_stack.manage("ingest_mail", "-", input=mail.as_bytes())
    assert result.returncode == 0, result.stderr.decode()
    # The socket's ticket.created refreshes the panel well before the 15 s poll would.
    expect(open_count).to_have_text("1", timeout=10_000)

    page.get_by_role("link", name=re.compile("Performance|パフォーマンス")).click()
    page.select_option("select[name=channel]", "email")
    page.locator("form.dash-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r".*channel=email.*"))
    expect(page.locator('[data-kpi="tickets"]')).to_have_text("1")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download CSV|CSV")).click()
    path = tmp_path / "performance.csv"
    download_info.value.save_as(path)
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith(("Group", "区分"))
    assert errors == []
