"""Ratings attributed to the help-center articles agents linked in the conversation, and the
report's "articles in rated conversations" table."""

from __future__ import annotations

import pytest
from django.utils import timezone

from feedback.models import SurveyResponse
from feedback.selectors import csat_report
from feedback.services.surveys import articles_linked, record_rating_for_ticket
from knowledge import services as knowledge
from tests.factories import MessageFactory
from tickets.models import AuthorKind

from .conftest import open_ticket, send_due, solve

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(db):
    category = knowledge.upsert_category(slug="returns", name_ja="返品", name_en="Returns")
    section = knowledge.upsert_section(
        category=category, slug="how-to", name_ja="手順", name_en="How to"
    )
    made = []
    for title_ja, title_en in (("返品の手順", "How to return"), ("送料について", "Shipping fees")):
        article = knowledge.create_article(section=section)
        for language, title in (("ja", title_ja), ("en", title_en)):
            knowledge.publish_translation(
                knowledge.save_translation(
                    article=article, language=language, title=title, body="…", summary=""
                )
            )
        made.append(article)
    return made


def agent_says(ticket, agent, text, *, internal=False, html=""):
    return MessageFactory(
        ticket=ticket,
        author_kind=AuthorKind.AGENT,
        author=agent,
        internal=internal,
        body_text=text,
        body_html=html,
    )


def test_links_in_agent_replies_are_found_in_every_spelling(agent, articles):
    first, second = articles
    ticket = open_ticket(body_text=f"I read /help/en/a/{second.pk}/ already")  # the customer's
    agent_says(
        ticket,
        agent,
        f"こちらをご覧ください https://shop.example/help/ja/a/{first.pk}-返品の手順/\n"
        f"また /help/en/a/{first.pk}/?utm=x も",
    )
    agent_says(ticket, agent, "", html=f'<a href="/help/ja/a/{second.pk}">送料</a>')
    agent_says(ticket, agent, "/help/ja/a/999999/", internal=True)  # notes are not answers
    agent_says(ticket, agent, "/help/ja/a/12abc /helpx/ja/a/5/ /help/ja/b/6/")
    assert articles_linked(ticket) == sorted([first.pk, second.pk])


def test_rating_stores_the_articles_and_the_report_ranks_them(
    agent, email_settings, articles, client
):
    from tests.factories import UserFactory

    first, second = articles
    good_ticket = open_ticket()
    agent_says(good_ticket, agent, f"https://help.example/help/en/a/{first.pk}/")
    bad_ticket = open_ticket()
    agent_says(bad_ticket, agent, f"/help/ja/a/{first.pk}/ と /help/ja/a/{second.pk}/")
    email_settings.resurvey_days = 0
    email_settings.save()
    for ticket in (good_ticket, bad_ticket):
        solve(ticket, agent)
    send_due()
    record_rating_for_ticket(ticket=good_ticket, rating=1)
    record_rating_for_ticket(ticket=bad_ticket, rating=0)
    assert SurveyResponse.objects.get(ticket=good_ticket).article_ids == [first.pk]

    since = timezone.now() - timezone.timedelta(days=1)
    report = csat_report(since=since, until=timezone.now() + timezone.timedelta(minutes=1))
    rows = {row.key: row for row in report["by_article"]}
    assert (rows[first.pk].responses, rows[first.pk].good, rows[first.pk].score) == (2, 1, 50.0)
    assert (rows[second.pk].responses, rows[second.pk].score) == (1, 0.0)
    assert report["by_article"][0].key == first.pk  # most used first

    client.force_login(UserFactory(role="manager"))
    html = client.get("/agent/feedback/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Articles in rated conversations" in html
    assert 'href="/help/' in html and f"/a/{first.pk}/" in html
