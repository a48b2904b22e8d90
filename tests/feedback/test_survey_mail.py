"""The CSAT survey as the customer's mail client shows it: every rating a real link in the HTML
part (the stored, sanitized HTML of the survey), the same links on their own lines in the text."""

from __future__ import annotations

import pytest

from channels_in.mail.compose import build_reply
from tests.factories import MessageFactory
from tickets.models import AuthorKind
from tickets.services import post_system_message

from .conftest import links_in, open_ticket, send_due, solve

pytestmark = pytest.mark.django_db


def test_survey_mail_html_part_has_one_link_per_rating(agent, email_settings):
    ticket = open_ticket(ticket__subject="配送について")
    solve(ticket, agent)
    [survey] = send_due()
    mail = build_reply(survey.message, recipient="yamada@example.jp")
    [(html, content_type)] = mail.alternatives

    assert content_type == "text/html"
    text_links = links_in(mail.body)
    assert len(text_links) == 2
    for url in text_links:
        assert f'href="{url}"' in html.replace("&amp;", "&")
    assert html.count("<a ") == 2 and "<li>" in html
    assert "**" not in html and "&lt;" not in html  # not the text rendered as Markdown
    assert mail.extra_headers["Auto-Submitted"] == "auto-replied"


def test_stored_system_html_is_sanitized_again_on_the_way_out(agent, email_settings):
    ticket = open_ticket()
    message = post_system_message(
        ticket=ticket,
        body_text="Rate us: https://example.test/r",
        body_html='<p><a href="https://example.test/r">Rate</a></p>',
    )
    # A row changed behind the services' back must not put script into a customer's mail.
    type(message).objects.filter(pk=message.pk).update(
        body_html='<p><a href="https://example.test/r">Rate</a></p><script>alert(1)</script>'
    )
    message.refresh_from_db()
    [(html, _type)] = build_reply(message, recipient="c@example.test").alternatives
    assert 'href="https://example.test/r"' in html and "<script" not in html


def test_agent_reply_html_still_comes_from_the_text(agent):
    ticket = open_ticket()
    reply = MessageFactory(
        ticket=ticket,
        author_kind=AuthorKind.AGENT,
        author=agent,
        body_text="**Shipped** today",
        body_html="<p>ignored for agents</p>",
    )
    [(html, _type)] = build_reply(reply, recipient="c@example.test").alternatives
    assert "<strong>Shipped</strong>" in html and "ignored" not in html
