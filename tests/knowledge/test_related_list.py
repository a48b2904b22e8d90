"""The related-articles list stored on each section stays true to what customers may read.

Stored lists (knowledge.related) are written with every article change; these tests edit,
unpublish, rename, hide, move and delete articles and check both the page a visitor gets and
the stored data itself: a draft, internal or deleted article must never be shown, and a page
whose list changed must not be answered 304.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from knowledge import services
from knowledge.models import Section
from knowledge.related import RELATED_LIMIT, related_links
from knowledge.search_cache import bump_content_version, schedule_stamp
from knowledge.seo import article_link_path
from tests.factories import UserFactory

from .conftest import article_url, make_article, translation_of

pytestmark = pytest.mark.django_db


def related_titles(client, url: str) -> list[str]:
    html = client.get(url).content.decode()
    aside = html.split('<aside class="kb-aside">', 1)[1].split("</aside>", 1)[0]
    return re.findall(r"<span>([^<]+)</span>", aside)


def stored_text(section: Section) -> str:
    section.refresh_from_db()
    return json.dumps(section.reading_list, ensure_ascii=False)


@pytest.fixture
def page(section):
    """The article whose page is read, and three neighbours in its section (in this order)."""
    main = make_article(section, en=("Main article", "x"), ja=("本記事", "本文"))
    others = [
        make_article(section, en=(f"Neighbour {n}", "x"), ja=(f"隣の記事 {n}", "本文"))
        for n in (1, 2, 3)
    ]
    return main, others


def test_the_list_shows_the_sections_other_articles_in_order_in_the_pages_language(client, page):
    main, _others = page

    assert related_titles(client, article_url(main, "en")) == [
        "Neighbour 1",
        "Neighbour 2",
        "Neighbour 3",
    ]
    assert related_titles(client, article_url(main, "ja")) == [
        "隣の記事 1",
        "隣の記事 2",
        "隣の記事 3",
    ]


def test_the_list_stops_at_the_limit_and_never_lists_the_article_itself(client, section):
    articles = [make_article(section, en=(f"Entry {n}", "x")) for n in range(RELATED_LIMIT + 3)]

    first = related_titles(client, article_url(articles[0], "en"))
    middle = related_titles(client, article_url(articles[2], "en"))

    assert first == [f"Entry {n}" for n in range(1, RELATED_LIMIT + 1)]
    assert middle == [f"Entry {n}" for n in (0, 1, 3, 4, 5)]


def test_drafts_and_internal_articles_are_neither_shown_nor_stored(client, page, section):
    main, _others = page
    make_article(section, published=False, en=("Secret draft", "x"))
    make_article(section, internal=True, en=("Internal runbook", "x"))

    titles = related_titles(client, article_url(main, "en"))
    stored = stored_text(section)

    assert "Secret draft" not in titles and "Internal runbook" not in titles
    assert "Secret draft" not in stored and "Internal runbook" not in stored


def test_an_unpublished_related_article_disappears_and_the_etag_moves(client, page):
    main, others = page
    url = article_url(main, "en")
    before = client.get(url)["ETag"]

    services.unpublish_translation(translation_of(others[0], "en"))

    response = client.get(url, HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200 and response["ETag"] != before
    assert related_titles(client, url) == ["Neighbour 2", "Neighbour 3"]
    assert related_titles(client, article_url(main, "ja"))[0] == "隣の記事 1"  # ja still live


def test_a_renamed_related_article_shows_its_new_title_and_slug(client, page):
    main, others = page
    url = article_url(main, "en")
    client.get(url)

    services.save_translation(
        article=others[1], language="en", title="Neighbour renamed", body="x", slug="renamed"
    )

    html = client.get(url).content.decode()
    assert "Neighbour renamed" in html and "Neighbour 2<" not in html
    assert f'href="/help/en/a/{others[1].pk}-renamed/"' in html


def test_an_article_made_internal_leaves_customers_lists_but_staff_still_see_it(
    client, page, section
):
    main, others = page
    url = article_url(main, "en")
    client.get(url)

    services.update_article(
        others[0], section=section, internal=True, labels=[], position=others[0].position
    )

    assert "Neighbour 1" not in related_titles(client, url)
    assert "Neighbour 1" not in stored_text(section)
    staff = Client()
    staff.force_login(UserFactory(role="agent"))
    staff_html = staff.get(url).content.decode()
    assert "Neighbour 1" in staff_html and "badge--internal" in staff_html


def test_a_deleted_article_or_translation_disappears(client, page, section):
    main, others = page
    url = article_url(main, "en")
    client.get(url)

    others[0].delete()  # the admin's delete: no service call, signals only
    translation_of(others[1], "en").delete()

    assert related_titles(client, url) == ["Neighbour 3"]
    assert related_titles(client, article_url(main, "ja")) == ["隣の記事 2", "隣の記事 3"]
    assert "Neighbour 1" not in stored_text(section)


def test_an_article_moved_to_another_section_follows_it(client, page, section):
    main, others = page
    elsewhere = services.upsert_section(
        category=section.category, slug="elsewhere", name_en="Elsewhere", name_ja="別の場所"
    )
    resident = make_article(elsewhere, en=("Resident", "x"))

    services.update_article(others[2], section=elsewhere, internal=False, labels=[], position=1)

    assert "Neighbour 3" not in related_titles(client, article_url(main, "en"))
    assert "Neighbour 3" in related_titles(client, article_url(resident, "en"))


def test_an_article_changed_in_the_admin_form_is_seen(client, page, section):
    """A plain save() (the admin's Article form) refreshes the list like the services do."""
    main, others = page
    url = article_url(main, "en")
    client.get(url)

    others[2].position = 0  # now first in the section's order
    others[2].save()

    assert related_titles(client, url) == ["Neighbour 3", "Neighbour 1", "Neighbour 2"]


def test_a_new_translation_joins_the_list_in_its_language_only(client, section):
    main = make_article(section, en=("Main", "x"), ja=("本記事", "本文"))
    later = make_article(section, en=("English only", "x"))
    assert related_titles(client, article_url(main, "ja")) == []

    services.publish_translation(
        services.save_translation(article=later, language="ja", title="日本語も", body="本文")
    )

    assert related_titles(client, article_url(main, "ja")) == ["日本語も"]
    assert related_titles(client, article_url(main, "en")) == ["English only"]


def test_a_scheduled_article_is_stored_but_shown_only_once_its_time_has_come(section):
    main = make_article(section, en=("Main", "x"))
    soon = timezone.now() + timedelta(hours=1)
    make_article(section, published_at=soon, en=("Coming soon", "x"))
    for number in range(RELATED_LIMIT + 2):  # more live ones than the list shows
        make_article(section, en=(f"Live {number}", "x"))
    translation = translation_of(main, "en")
    translation.article.section.refresh_from_db()

    now_titles = [link.title for link in related_links(translation)]
    later_titles = [link.title for link in related_links(translation, now=soon)]

    assert "Coming soon" not in now_titles and len(now_titles) == RELATED_LIMIT
    assert later_titles[0] == "Coming soon" and len(later_titles) == RELATED_LIMIT


def test_a_scheduled_related_article_coming_live_moves_the_pages_validators(
    client, section, monkeypatch
):
    main = make_article(section, en=("Main", "x"))
    soon = timezone.now() + timedelta(minutes=5)
    make_article(section, published_at=soon, en=("Coming soon", "x"))
    url = article_url(main, "en")
    before = client.get(url)
    assert "Coming soon" not in before.content.decode()

    later = soon + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    bump_content_version()  # as when the kept page has expired: nothing is written then

    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert "Coming soon" in after.content.decode()


def test_a_section_without_a_stored_list_gets_one_on_first_read(client, page, section):
    main, _others = page
    Section.objects.filter(pk=section.pk).update(reading_list=None)  # e.g. rows loaded by SQL
    bump_content_version()

    assert related_titles(client, article_url(main, "en"))[0] == "Neighbour 1"
    section.refresh_from_db()
    assert [e["title"] for e in section.reading_list["en"]][:2] == ["Main article", "Neighbour 1"]


def test_a_first_anonymous_render_costs_one_query(client, page, django_assert_num_queries):
    main, _others = page
    url = article_url(main, "en")
    client.get("/help/en/")  # the help tree and the theme are read once per change
    bump_content_version()  # nothing kept: a first render
    # Read once per content change and process, not per page (knowledge.search_cache).
    with django_assert_num_queries(1):
        schedule_stamp()

    with django_assert_num_queries(1):
        response = client.get(url)
    assert response.status_code == 200 and response.has_header("ETag")


@pytest.mark.parametrize("slug", ["delivery-days", "配送日数について", "a-b_c-123", "返品・交換"])
def test_article_links_are_the_paths_reverse_builds(slug):
    for language in ("ja", "en"):
        expected = reverse("knowledge:article", kwargs={"lang": language, "pk": 42, "slug": slug})
        assert article_link_path(language, 42, slug) == expected


def _home_count(client, section) -> str:
    html = client.get("/help/en/").content.decode()
    item = html.split(f'href="/help/en/s/{section.slug}/"', 1)[1].split("</li>", 1)[0]
    return re.search(r'class="kb-count">([^<]+)<', item).group(1)


def test_the_homes_article_counts_come_from_the_stored_lists_and_follow_changes(
    client, page, section
):
    main, others = page
    make_article(section, published=False, en=("Secret draft", "x"))
    make_article(section, internal=True, en=("Internal runbook", "x"))
    assert _home_count(client, section) == "4 articles"

    services.unpublish_translation(translation_of(others[0], "en"))
    assert _home_count(client, section) == "3 articles"
    others[1].delete()
    assert _home_count(client, section) == "2 articles"


def test_a_scheduled_article_counts_on_the_home_once_its_time_has_come(
    client, section, monkeypatch
):
    make_article(section, en=("Live", "x"))
    soon = timezone.now() + timedelta(minutes=5)
    make_article(section, published_at=soon, en=("Coming soon", "x"))
    assert _home_count(client, section) == "1 article"

    later = soon + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert _home_count(client, section) == "2 articles"
