"""In Chromium, two agents on one ticket: presence, typing, a macro fills the reply, and the
collision warning when the other agent answers first."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import browser, live_stack  # noqa: F401 - the e2e fixtures
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, UserFactory
from tickets.models import Macro, Message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_two_agents_presence_macro_and_collision_warning(live_stack, browser):  # noqa: F811
    aiko = UserFactory(role="agent", email="aiko@example.com", name="Aiko")
    ken = UserFactory(role="agent", email="ken@example.com", name="Ken")
    customer = CustomerFactory(name="山田 太郎", email="yamada@example.jp")
    ticket = TicketFactory(subject="注文が届きません", identity=IdentityFactory(customer=customer))
    Message.objects.create(
        ticket=ticket, author_kind="customer", channel="email", body_text="まだ届きません"
    )
    macro = Macro.objects.create(
        name="配送状況のご案内",
        body="{{customer.name}}様\nお問い合わせ #{{ticket.id}} について",
        shared=True,
    )

    pages = {}
    for user in (aiko, ken):
        page = browser.new_context(locale="en-US").new_page()
        live_stack.sign_in(page, user.email)
        page.goto(f"{live_stack.url}/agent/tickets/{ticket.pk}/")
        expect(page.locator("[data-live-state=live]")).to_be_attached(timeout=15_000)
        pages[user.pk] = page
    a, k = pages[aiko.pk], pages[ken.pk]

    # Each sees the other on the ticket, and Ken's typing shows live on Aiko's screen.
    expect(a.locator("#presence-bar")).to_contain_text("Ken", timeout=10_000)
    expect(k.locator("#presence-bar")).to_contain_text("Aiko", timeout=10_000)
    k.locator("#reply-form textarea").type("確認します")
    expect(a.locator("#presence-bar .presence-chip--typing")).to_be_visible(timeout=10_000)

    # Aiko inserts a macro from the keyboard: m, filter, Enter.
    a.locator("#ticket-title").click()
    a.keyboard.press("m")
    expect(a.locator("#macro-dialog")).to_be_visible()
    a.locator("#macro-search").fill("配送")
    expect(a.locator("#macro-options [role=option]")).to_have_count(1)
    a.keyboard.press("Enter")
    expect(a.locator("#reply-form textarea")).to_have_value(
        f"山田 太郎様\nお問い合わせ #{ticket.pk} について"
    )
    assert a.locator("[data-macro-ids]").input_value() == str(macro.pk)

    # Ken answers first: Aiko is warned while her draft is still open.
    k.locator("form[action$='/reply/'] button[type=submit]").click()
    k.wait_for_url(re.compile(rf".*/agent/tickets/{ticket.pk}/$"))
    expect(a.locator("[data-collision-warning]")).to_be_visible(timeout=15_000)
    expect(a.locator("[data-collision-warning]")).to_contain_text("Ken")

    # A blind send is refused with the reason; sending again after reading goes through.
    a.locator("form[action$='/reply/'] button[type=submit]").click()
    expect(a.locator(".form-errors")).to_contain_text("Ken answered while you were writing")
    a.locator("form[action$='/reply/'] button[type=submit]").click()
    expect(a.get_by_text("Reply sent.")).to_be_visible(timeout=15_000)
    sent = Message.objects.filter(ticket=ticket, author=aiko).get()
    assert list(sent.macros.all()) == [macro]
