"""The help center in Chromium: a customer searches in Japanese, reads, votes, and then sees an
article suggested while typing the subject of the contact form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from knowledge.demo_seed import seed_help_center
from knowledge.models import ArticleFeedback, SearchQueryLog

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_search_read_vote_and_get_a_suggestion_on_the_contact_form(live_stack, browser):
    seed_help_center()
    page = browser.new_context(locale="ja-JP").new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))

    # Suggestions appear while typing in the home search box…
    page.goto(f"{live_stack.url}/help/ja/")
    search_box = page.get_by_role("combobox", name="ヘルプセンターを検索")
    search_box.fill("返品したい")
    suggestion = page.get_by_role("option").filter(has_text="返品・交換について")
    expect(suggestion).to_be_visible()

    # …and Enter searches: results with the matching words marked.
    search_box.press("Enter")
    page.wait_for_url(re.compile(r".*/help/ja/search/\?q="))
    first = page.locator(".kb-result").first
    expect(first.get_by_role("link", name="返品・交換について")).to_be_visible()
    expect(first.locator("mark").first).to_have_text("返品")

    # The article opens; the search remembers which result it led to.
    first.get_by_role("link", name="返品・交換について").click()
    page.wait_for_url(re.compile(r".*/help/ja/a/\d+-.+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("返品・交換について")
    log = SearchQueryLog.objects.get(query="返品したい")
    assert log.clicked_article is not None

    # "Was this helpful?" → yes: a thank-you, and the vote is stored.
    page.get_by_role("button", name="はい").click()
    expect(page.get_by_text("ご意見ありがとうございます！")).to_be_visible()
    feedback = ArticleFeedback.objects.get()
    assert feedback.helpful is True and feedback.translation.title == "返品・交換について"

    # On the contact form, the subject being typed brings up the article that answers it.
    page.goto(f"{live_stack.url}/help/ja/contact/")
    page.fill("input[name=subject]", "商品が届かない")
    suggested = page.locator("[data-kb-suggest-list]").get_by_role(
        "link", name="商品が届かない場合"
    )
    expect(suggested).to_be_visible()
    suggested.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("商品が届かない場合")

    assert not [e for e in errors if "Content Security Policy" in e], errors
