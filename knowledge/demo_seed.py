"""Load knowledge/demo_content.py through the services: idempotent, safe to run again."""

from __future__ import annotations

from django.db import transaction

from . import services
from .demo_content import ARTICLES, CATEGORIES
from .models import Article, ArticleStatus, ArticleTranslation, Section

LANGUAGES = ("ja", "en")


@transaction.atomic
def seed_help_center(author=None) -> dict[str, int]:
    """Create or update the demo tree and articles; returns how many articles were new."""
    sections: dict[str, Section] = {}
    for category_data in CATEGORIES:
        data = dict(category_data)
        section_rows = data.pop("sections")
        category = services.upsert_category(**data)
        for section_data in section_rows:
            section = services.upsert_section(category=category, **section_data)
            sections[section.slug] = section
    created = 0
    for article_data in ARTICLES:
        article, is_new = _article_for(article_data, sections, author)
        created += is_new
        for language in LANGUAGES:
            if language not in article_data:
                continue
            slug, title, summary, body = article_data[language]
            translation = services.save_translation(
                article=article,
                language=language,
                title=title,
                summary=summary,
                body=body,
                slug=slug,
                editor=author,
            )
            if translation.status != ArticleStatus.PUBLISHED:
                services.publish_translation(translation)
    return {"articles": len(ARTICLES), "created": created}


def _article_for(data: dict, sections: dict[str, Section], author) -> tuple[Article, bool]:
    """The article seeded before (found by one of its slugs), else a new one."""
    for language in LANGUAGES:
        if language in data:
            existing = (
                ArticleTranslation.objects.filter(language=language, slug=data[language][0])
                .select_related("article")
                .first()
            )
            if existing:
                article = existing.article
                article.section = sections[data["section"]]
                article.position = data["position"]
                article.internal = data.get("internal", False)
                article.labels = services.clean_labels(data.get("labels", []))
                article.save()
                return article, False
    article = services.create_article(
        section=sections[data["section"]],
        author=author,
        internal=data.get("internal", False),
        labels=data.get("labels", []),
        position=data["position"],
    )
    return article, True
