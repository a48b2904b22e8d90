"""Knowledge-gap report numbers on a known dataset; managers only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge.models import ArticleFeedback, ContactAttempt, SearchQueryLog
from knowledge.reports import gap_report
from tests.factories import UserFactory

from .conftest import make_article, translation_of

pytestmark = pytest.mark.django_db


def searches(query, language, count, *, results=0, clicked=None, ticket=False, days_ago=0):
    for _ in range(count):
        log = SearchQueryLog.objects.create(
            query=query,
            language=language,
            result_count=results,
            clicked_article=clicked,
            led_to_ticket=ticket,
        )
        if days_ago:
            SearchQueryLog.objects.filter(pk=log.pk).update(
                created_at=timezone.now() - timedelta(days=days_ago)
            )


@pytest.fixture
def dataset(section):
    article = make_article(section, ja=("返品について", "返品"), en=("Returns", "Return it"))
    searches("ポイント", "ja", 4)  # no results
    searches("Points", "en", 2)  # no results
    searches("points", "en", 1)  # same words, other case
    searches("返品", "ja", 3, results=2, clicked=article)  # found and read
    searches("送料", "ja", 2, results=1)  # found, nobody clicked
    searches("送料", "ja", 1, results=1, ticket=True)  # … then wrote to us
    searches("old", "en", 9, days_ago=40)  # outside a 30-day period
    ja, en = translation_of(article, "ja"), translation_of(article, "en")
    for n, (translation, helpful, comment) in enumerate(
        [
            (ja, False, "手順が古いです"),
            (ja, False, ""),
            (ja, True, ""),
            (en, False, "Unclear"),
        ]
    ):
        ArticleFeedback.objects.create(
            translation=translation, helpful=helpful, comment=comment, session_key=f"s{n}"
        )
    ContactAttempt.objects.create(
        form_token="a" * 20, language="ja", suggestions_shown=3, opened_article=article
    )  # deflected
    ContactAttempt.objects.create(
        form_token="b" * 20,
        language="ja",
        suggestions_shown=2,
        opened_article=article,
        submitted_at=timezone.now(),
    )
    ContactAttempt.objects.create(form_token="c" * 20, language="en", suggestions_shown=1)
    ContactAttempt.objects.create(form_token="d" * 20, language="en")
    return article


def rows(items):
    return {(row["text"], row["count"]) for row in items}


def test_gap_report_numbers_over_30_days(dataset):
    report = gap_report(days=30)

    assert report.searches == 13
    assert rows(report.no_results) == {("ポイント", 4), ("points", 3)}
    assert rows(report.no_click) == {("送料", 3)}
    assert rows(report.led_to_ticket) == {("送料", 1)}
    assert report.top_searches[0]["text"] == "ポイント"
    assert [
        (item.translation.language, item.unhelpful, item.helpful) for item in report.unhelpful
    ] == [("ja", 2, 1), ("en", 1, 0)]
    assert [c.comment for c in report.unhelpful[0].comments] == ["手順が古いです"]
    d = report.deflection
    assert (d.visits, d.with_suggestions, d.opened_article, d.sent, d.deflected) == (4, 3, 2, 1, 1)
    assert d.rate == pytest.approx(1 / 3)


def test_gap_report_per_language_and_period(dataset):
    english = gap_report(days=30, language="en")
    assert english.searches == 3
    assert rows(english.no_results) == {("points", 3)}
    assert [item.translation.language for item in english.unhelpful] == ["en"]
    assert english.deflection.visits == 2 and english.deflection.deflected == 0

    assert gap_report(days=90, language="en").searches == 12
    assert rows(gap_report(days=90).no_results) >= {("old", 9)}


def test_the_report_page_for_managers(client, dataset):
    client.force_login(UserFactory(role="manager"))
    page = client.get(
        "/help/manage/reports/?days=30&language=ja", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "Searches with no results" in page and "ポイント" in page and "points" not in page
    assert "手順が古いです" in page
    # One click from a gap to a new article with the search as its title.
    assert "/help/manage/new/?lang=ja&amp;title=%E3%83%9D%E3%82%A4%E3%83%B3%E3%83%88" in page


def test_bad_report_parameters_fall_back(client, dataset):
    client.force_login(UserFactory(role="admin"))
    response = client.get("/help/manage/reports/?days=99999&language=xx'--")
    assert response.status_code == 200
    assert response.context["days"] == 30 and response.context["language"] == ""


def test_staff_searches_are_not_counted_as_customer_gaps(client, section):
    make_article(section, en=("Returns", "Return it"))
    client.force_login(UserFactory(role="manager"))

    page = client.get("/help/en/search/", {"q": "returns"}).content.decode()

    assert "Returns" in page and not SearchQueryLog.objects.exists()
