"""Every write to help-center content: views, the admin and commands call these and nothing else.

A translation is only ever saved here, so its rendered HTML is always sanitize_html's output,
its previous text is always kept as a version, and its search vector always matches its text.
Every save of an article or a translation also stores its section's reading list anew and moves
the section's `updated_at` (knowledge.related's signals, in the same transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from helpdesk.models import User

from .markdown import plain_text, render_markdown
from .models import (
    Article,
    ArticleStatus,
    ArticleTranslation,
    ArticleVersion,
    Audience,
    Category,
    Section,
)
from .search import refresh_search_vectors
from .structure import bump_version

SLUG_CHARS = 80


def clean_labels(labels: Sequence[str]) -> list[str]:
    """Lower-case, trimmed, de-duplicated labels in the order given."""
    cleaned = (label.strip().lower()[:40] for label in labels)
    return list(dict.fromkeys(label for label in cleaned if label))


def unique_slug(
    *, title: str, language: str, wanted: str = "", exclude_pk: int | None = None
) -> str:
    """A slug for `title`, unique within `language` (Japanese titles keep their characters)."""
    base = slugify(wanted or title, allow_unicode=True)[:SLUG_CHARS].strip("-") or "article"
    taken = ArticleTranslation.objects.filter(language=language).exclude(pk=exclude_pk)
    slug, number = base, 2
    while taken.filter(slug=slug).exists():
        slug = f"{base[: SLUG_CHARS - 4]}-{number}"
        number += 1
    return slug


@transaction.atomic
def create_article(
    *,
    section: Section,
    author: User | None = None,
    internal: bool = False,
    labels: Sequence[str] = (),
    position: int = 0,
) -> Article:
    article = Article(
        section=section,
        author=author,
        internal=internal,
        labels=clean_labels(labels),
        position=position,
    )
    article.full_clean()
    article.save()
    return article


@transaction.atomic
def save_translation(
    *,
    article: Article,
    language: str,
    title: str,
    body: str,
    summary: str = "",
    slug: str = "",
    editor: User | None = None,
) -> ArticleTranslation:
    """Create or update the `language` text of `article`, keeping the text it replaces.

    The status is left as it is (a new translation starts as a draft): publishing is its own
    step, `publish_translation`.
    """
    translation = (
        ArticleTranslation.objects.select_for_update()
        .filter(article=article, language=language)
        .first()
    )
    if translation is None:
        translation = ArticleTranslation(article=article, language=language)
    elif (translation.title, translation.summary, translation.body) == (title, summary, body) and (
        not slug or slug == translation.slug
    ):
        return translation  # nothing changed: no version, no new "updated" date
    else:
        _keep_version(translation, editor)
    translation.title = title.strip()
    translation.summary = summary.strip()
    translation.body = body
    translation.slug = unique_slug(
        title=translation.title,
        language=language,
        wanted=slug or translation.slug,
        exclude_pk=translation.pk,
    )
    _render(translation)
    translation.updated_at = timezone.now()
    translation.full_clean(exclude=["search_vector"])
    translation.save()
    refresh_search_vectors([translation])
    return translation


def _keep_version(translation: ArticleTranslation, editor: User | None) -> None:
    ArticleVersion.objects.create(
        translation=translation,
        title=translation.title,
        summary=translation.summary,
        body=translation.body,
        status=translation.status,
        edited_by=editor,
    )


def _render(translation: ArticleTranslation) -> None:
    translation.body_html = render_markdown(translation.body)
    translation.body_text = plain_text(translation.body_html)


@transaction.atomic
def publish_translation(
    translation: ArticleTranslation, *, at: datetime | None = None
) -> ArticleTranslation:
    """Make it public now, or at `at` (a scheduled publish: selectors hide it until then)."""
    translation.status = ArticleStatus.PUBLISHED
    translation.published_at = at or translation.published_at or timezone.now()
    translation.updated_at = timezone.now()
    translation.save(update_fields=["status", "published_at", "updated_at"])
    return translation


@transaction.atomic
def unpublish_translation(translation: ArticleTranslation) -> ArticleTranslation:
    translation.status = ArticleStatus.DRAFT
    translation.updated_at = timezone.now()
    translation.save(update_fields=["status", "updated_at"])
    return translation


def rerender_translation(translation: ArticleTranslation) -> ArticleTranslation:
    """Render and index again (after the renderer or the search module changed)."""
    _render(translation)
    translation.save(update_fields=["body_html", "body_text"])
    refresh_search_vectors([translation])
    return translation


def upsert_category(*, slug: str, position: int = 0, **names: str) -> Category:
    category, _created = Category.objects.update_or_create(
        slug=slug, defaults={"position": position, **names}
    )
    return category


def upsert_section(*, category: Category, slug: str, position: int = 0, **names: str) -> Section:
    section, _created = Section.objects.update_or_create(
        slug=slug, defaults={"category": category, "position": position, **names}
    )
    return section


@transaction.atomic
def set_section_access(
    section: Section,
    *,
    audience: str,
    organizations: Sequence = (),
    editor_roles: Sequence[str] = (),
    editor_teams: Sequence = (),
) -> Section:
    """Who reads and who edits `section`. Organizations count only for that audience.

    `updated_at` moves, so every cached page that showed the section is revalidated.
    """
    section.audience = audience
    section.editor_roles = list(dict.fromkeys(editor_roles))
    section.full_clean()
    section.save()
    section.organizations.set(organizations if audience == Audience.ORGANIZATIONS else [])
    section.editor_teams.set(editor_teams)
    return section


@transaction.atomic
def set_category_access(
    category: Category, *, audience: str, organizations: Sequence = ()
) -> Category:
    """Who reads `category`: its sections inherit this and may only narrow it.

    `updated_at` moves (cached pages revalidate) and the help tree's version with the save.
    """
    category.audience = audience
    category.full_clean()
    category.save()
    category.organizations.set(organizations if audience == Audience.ORGANIZATIONS else [])
    return category


# ------------------------------------------------------------------------ the article editor


@dataclass(frozen=True)
class TranslationInput:
    """One language column of the editor, as submitted."""

    language: str
    title: str
    body: str
    summary: str = ""
    slug: str = ""
    status: str = ArticleStatus.DRAFT
    publish_at: datetime | None = None


@transaction.atomic
def update_article(
    article: Article, *, section: Section, internal: bool, labels: Sequence[str], position: int
) -> Article:
    article.section = section
    article.internal = internal
    article.labels = clean_labels(labels)
    article.position = position
    article.full_clean()
    article.save()  # knowledge.related refreshes the old and the new section
    return article


@transaction.atomic
def save_article_texts(
    article: Article, texts: Sequence[TranslationInput], *, editor: User | None
) -> list[ArticleTranslation]:
    """Save each language given a title; publish, schedule or take back to draft as asked.

    A language column left without a title is not a translation yet and is skipped.
    """
    saved = []
    for text in texts:
        if not text.title.strip():
            continue
        translation = save_translation(
            article=article,
            language=text.language,
            title=text.title,
            body=text.body,
            summary=text.summary,
            slug=text.slug,
            editor=editor,
        )
        if text.status == ArticleStatus.PUBLISHED:
            if translation.status != ArticleStatus.PUBLISHED or _moved(
                text.publish_at, translation.published_at
            ):
                publish_translation(translation, at=text.publish_at)
        elif translation.status == ArticleStatus.PUBLISHED:
            unpublish_translation(translation)
        saved.append(translation)
    return saved


def _moved(wanted: datetime | None, current: datetime | None) -> bool:
    # The form shows minutes: a time within the same minute is the one already set.
    return bool(wanted and current and abs((wanted - current).total_seconds()) >= 60)


@transaction.atomic
def restore_version(
    translation: ArticleTranslation, version: ArticleVersion, *, editor: User | None
) -> ArticleTranslation:
    """Bring back an earlier text; the text it replaces becomes a version itself."""
    if version.translation_id != translation.pk:
        raise ValueError("version of another translation")
    return save_translation(
        article=translation.article,
        language=translation.language,
        title=version.title,
        body=version.body,
        summary=version.summary,
        editor=editor,
    )


@transaction.atomic
def move_in_order(node: Category | Section, direction: int) -> None:
    """Swap `node` with its neighbour (-1 up, +1 down) among its siblings; positions renumbered."""
    model = type(node)
    siblings = model.objects.select_for_update()
    if isinstance(node, Section):
        siblings = siblings.filter(category_id=node.category_id)
    ordered = list(siblings.order_by("position", "id"))
    index = next(i for i, item in enumerate(ordered) if item.pk == node.pk)
    target = index + direction
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            model.objects.filter(pk=item.pk).update(position=position)
    # Updates send no signals: the cached tree (knowledge.structure) learns of the new order.
    bump_version()
    transaction.on_commit(bump_version)
