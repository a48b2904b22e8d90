"""The ticket page shows a customer's new words, with their signature and quoted history
folded behind a toggle; the whole mail stays one click away and in the API."""

from __future__ import annotations

import pytest

from tests.factories import IdentityFactory, MessageFactory, TicketFactory
from tickets.models import AuthorKind

pytestmark = pytest.mark.django_db

BODY = (
    "まだ届いていません。至急確認してください。\n\n"
    "山田 太郎\n━━━━━━━━━━━━━━━━\n株式会社サンプル\nTEL: 03-1234-5678\n━━━━━━━━━━━━━━━━\n\n"
    "2024年5月1日(水) 10:00 窓口 <support@madoguchi.localhost>:\n"
    "> 山田様\n> 本日発送いたしました。\n"
)


def page_for(agent_client, ticket) -> str:
    response = agent_client.get(f"/agent/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_quoted_history_is_folded_behind_a_toggle(agent_client):
    identity = IdentityFactory(handle="yamada@example.jp")
    ticket = TicketFactory(identity=identity)
    MessageFactory(ticket=ticket, identity=identity, body_text=BODY)

    page = page_for(agent_client, ticket)
    body = page[page.index('class="msg__body"') :]
    visible, _sep, folded = body.partition('<details class="msg__quoted">')
    assert "まだ届いていません。至急確認してください。" in visible
    assert "本日発送いたしました" not in visible and "TEL: 03-1234-5678" not in visible
    assert "<summary>Show quoted text</summary>" in folded
    assert "&gt; 本日発送いたしました。" in folded and "TEL: 03-1234-5678" in folded


def test_agent_replies_chats_and_plain_mail_are_shown_whole(agent_client, agent):
    ticket = TicketFactory()
    MessageFactory(ticket=ticket, body_text="Plain question, nothing quoted.")
    MessageFactory(
        ticket=ticket, author_kind=AuthorKind.AGENT, author=agent, body_text="Answer\n\n> quote"
    )
    chat = TicketFactory(channel="web")
    MessageFactory(ticket=chat, body_text="Hi\n\nOn Mon, Apr 2, 2012, Bob wrote:\n> old")

    assert "msg__quoted" not in page_for(agent_client, ticket)
    assert "msg__quoted" not in page_for(agent_client, chat)


def test_outside_text_in_the_folded_part_stays_escaped(agent_client):
    ticket = TicketFactory()
    MessageFactory(
        ticket=ticket,
        body_text="New words\n\nOn Mon, Apr 2, 2012, Bob wrote:\n> <script>alert(1)</script>",
    )
    page = page_for(agent_client, ticket)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
