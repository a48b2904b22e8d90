"""Help-center fixtures: the seeded ja+en article set, and small builders for edge cases."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from knowledge import services
from knowledge.demo_seed import seed_help_center
from knowledge.models import Article, ArticleTranslation, Category, Section
from tests.e2e.conftest import browser, live_stack  # noqa: F401 - for test_browser.py
from tests.factories import UserFactory

_numbers = itertools.count(1)


@pytest.fixture
def help_center(db) -> None:
    seed_help_center()


@pytest.fixture
def section(db) -> Section:
    category = services.upsert_category(slug="testing", name_ja="テスト", name_en="Testing")
    return services.upsert_section(
        category=category, slug="testing-basics", name_ja="基本", name_en="Basics"
    )


def make_article(
    section: Section,
    *,
    internal: bool = False,
    labels: tuple[str, ...] = (),
    published: bool = True,
    published_at: datetime | None = None,
    **languages: tuple[str, str],
) -> Article:
    """An article with `ja=(title, body)` / `en=(title, body)` translations."""
    article = services.create_article(
        section=section, internal=internal, labels=labels, position=next(_numbers)
    )
    for language, (title, body) in (languages or {"en": ("Test article", "Body")}).items():
        translation = services.save_translation(
            article=article, language=language, title=title, body=body, summary=f"About {title}"
        )
        if published:
            services.publish_translation(translation, at=published_at)
    return article


def translation_of(article: Article, language: str) -> ArticleTranslation:
    return article.translations.get(language=language)


def article_url(article: Article, language: str) -> str:
    translation = translation_of(article, language)
    return f"/help/{language}/a/{article.pk}-{translation.slug}/"


@pytest.fixture
def customer_client(client, db):
    client.force_login(UserFactory(role="customer", email="buyer@example.net"))
    return client


@pytest.fixture
def category(section) -> Category:
    return section.category
