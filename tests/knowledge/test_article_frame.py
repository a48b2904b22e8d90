"""Anonymous article pages come from a per-process skeleton (knowledge.article_frame) and their
rows from one hand-written statement (knowledge.article_rows): the bytes must be exactly what
the template renders, hostile text must stay escaped, and the visibility rule must hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import Client, RequestFactory
from django.urls import resolve
from django.utils import timezone
from django.utils import translation as i18n

from knowledge import article_frame, services, views
from knowledge.models import ArticleTranslation, Audience
from knowledge.related import related_links
from knowledge.selectors import article_page, visible_translations
from tests.factories import UserFactory

from .conftest import article_url, make_article, translation_of

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script> & \'quotes\' "double" {{ not.a.tag }}'


def _both_ways(article, lang: str, state: str = "") -> tuple[str, str]:
    request = RequestFactory().get(article_url(article, lang))
    request.user, request.session = AnonymousUser(), {}
    request._messages = FallbackStorage(request)
    request.resolver_match = resolve(request.path)
    with i18n.override(lang):
        page = article_page(request.user, article.pk, lang)
        related = related_links(page.translation)
        rendered = views._render_article(request, page, state, related, csrf="kb-csrf-test")
        framed = article_frame.render(request, page, state, related, "kb-csrf-test")
    return rendered.content.decode(), framed


@pytest.mark.parametrize("state", ["", "voted-yes", "voted-no", "thanks", "limited"])
def test_the_skeleton_gives_the_templates_bytes_for_every_vote_state(section, state):
    article = make_article(
        section,
        ja=("返品の方法", "## 手順\n\n1. 注文履歴を開く\n2. 返品を選ぶ"),
        en=("How to return", "Open your **orders** & choose *return*."),
    )
    for _ in range(3):  # related links for the page
        make_article(section, ja=("関連", "本文"), en=("Related", "Body"))
    for lang in ("ja", "en"):
        rendered, framed = _both_ways(article, lang, state)
        assert framed == rendered


def test_hostile_text_is_escaped_exactly_as_the_template_escapes_it(section):
    section.name_en = HOSTILE
    section.save()
    article = make_article(section, en=(HOSTILE, f"{HOSTILE}\n\n<img src=x onerror=alert(1)>"))
    make_article(section, en=(f"Related {HOSTILE}", "Body"))
    # A second article of the same shape is made from the kept skeleton, not a new render.
    twin = make_article(section, en=("Plain title", "Plain body"))
    for page in (article, twin):
        rendered, framed = _both_ways(page, "en")
        assert framed == rendered
    rendered, framed = _both_ways(article, "en")
    assert "<script>alert" not in framed and "<img" not in framed
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;" in framed


def test_an_article_without_summary_or_other_language_matches_too(section):
    article = make_article(section, ja=("日本語だけ", "本文です。"))
    translation = translation_of(article, "ja")
    services.save_translation(
        article=article, language="ja", title=translation.title, body="本文です。", summary=""
    )
    rendered, framed = _both_ways(article, "ja")
    assert framed == rendered
    assert "kb-article__summary" not in framed


def test_the_anonymous_page_through_the_stack_is_each_articles_own(section):
    first = make_article(section, en=("First & best", "One body."))
    second = make_article(section, en=("Second <b>", "Two body."))
    client = Client()
    one = client.get(article_url(first, "en")).content.decode()
    two = client.get(article_url(second, "en")).content.decode()
    assert "<h1>First &amp; best</h1>" in one and "One body." in one
    assert "<h1>Second &lt;b&gt;</h1>" in two and "Two body." in two
    assert "kbslot" not in one + two and "kb-csrf-" not in one + two
    assert f'action="/help/en/a/{second.pk}/feedback/"' in two


def test_customers_rows_follow_the_visibility_rule(section):
    live = make_article(section, ja=("公開", "本文"), en=("Live", "Body"))
    draft = make_article(section, published=False, en=("Draft", "Body"))
    internal = make_article(section, internal=True, en=("Internal", "Body"))
    later = make_article(
        section, published_at=timezone.now() + timedelta(days=1), en=("Later", "Body")
    )
    hidden = services.upsert_section(
        category=section.category, slug="agents-only", name_ja="社内", name_en="Agents"
    )
    services.set_section_access(hidden, audience=Audience.AGENTS)
    agents = make_article(hidden, en=("Agents", "Body"))
    anonymous = AnonymousUser()

    page = article_page(anonymous, live.pk, "en")
    assert set(page.others) == {"ja", "en"} and page.translation.title == "Live"
    assert page.article.section.category.pk == section.category_id
    for article in (draft, internal, later, agents):
        with pytest.raises(Exception) as raised:
            article_page(anonymous, article.pk, "en")
        assert raised.typename == "Http404"
        assert not visible_translations(anonymous).filter(article=article).exists()
    # Staff still preview drafts and internal articles from their links.
    staff = UserFactory(role="agent")
    assert article_page(staff, draft.pk, "en").translation.title == "Draft"
    assert article_page(staff, agents.pk, "en").translation.title == "Agents"


def test_customers_rows_carry_every_column_the_orm_would(section):
    article = make_article(section, labels=("faq",), en=("Columns", "Body text"))
    lean = article_page(AnonymousUser(), article.pk, "en").translation
    full = ArticleTranslation.objects.select_related("article__section__category").get(
        article=article, language="en"
    )
    for field in ("title", "slug", "summary", "body_html", "body_text", "published_at"):
        assert getattr(lean, field) == getattr(full, field)
    assert lean.article.labels == ["faq"]
    assert lean.article.section.reading_list == full.article.section.reading_list
    assert lean.helpful_votes == full.helpful_votes
