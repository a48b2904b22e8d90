"""Each section's reading list, stored on the section: what "Related articles" shows.

An article page lists the first RELATED_LIMIT other articles of its section in its language.
Asking PostgreSQL for them on every first render of a page cost more than the rest of the
page's data together (the ORM query, and a stamp query to know when the list changed), and
the answer only changes when an article of the section is written. So the answer is kept in
`Section.reading_list` ({language: [entry, ...]}), written in the same transaction as every
change that can alter it (signals below, and knowledge.services after each write), and read
with the article page's one query (the section comes with the article).

What is stored is what *customers* may see: published, non-internal translations, in the
section's order. The section's audience needs no entry: a reader who may open the article may
read its section. Staff (who also see internal articles) get the live query instead.
A translation published for a later time is stored with its time and shown only once it has
come; the list keeps going until RELATED_LIMIT + 1 entries are live already (one may be the
article itself), so what comes live later never runs short.

A section whose list is NULL (new column, or rows written by raw SQL such as the bench
loader) gets it computed on first read and stored unless a writer stored one meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from .models import Article, ArticleStatus, ArticleTranslation, Language, Section

RELATED_LIMIT = 5
# Live entries kept per language: the page's article itself may be one of them.
STORED_LIVE = RELATED_LIMIT + 1
COUNTS = "counts"  # beside the languages' lists: {language: {"live": n, "later": [iso, ...]}}


@dataclass(frozen=True)
class RelatedLink:
    """One stored entry, shaped like what knowledge/_article_link.html reads of a translation."""

    article_id: int
    language: str
    slug: str
    title: str
    published_at: datetime
    internal: bool = False  # never stored otherwise: customers' lists hold no internal article

    @property
    def article(self) -> RelatedLink:  # the link template asks `translation.article.internal`
        return self


# ------------------------------------------------------------------------ computing


def compute_reading_list(section_id: int, translations=None) -> dict[str, list[dict]]:
    """{language: entries} for the section as it is now (seen by this transaction).

    `translations` is the ArticleTranslation manager to read (a migration passes its own).
    Two index walks per language along (section, position, id): the first live entries, and
    the scheduled ones that would come before the last of them.
    """
    translations = ArticleTranslation.objects if translations is None else translations
    now = timezone.now()
    public = translations.filter(
        article__section_id=section_id,
        article__internal=False,
        status=ArticleStatus.PUBLISHED,
        published_at__isnull=False,
    ).order_by("article__position", "article_id")
    fields = ("article_id", "article__position", "slug", "title", "published_at")
    later_all = (
        public.filter(published_at__gt=now).order_by().values_list("published_at", flat=True)
    )
    lists, counts = {}, {}
    for language in Language.values:
        mine = public.filter(language=language)
        live = list(mine.filter(published_at__lte=now).values_list(*fields)[:STORED_LIVE])
        later = mine.filter(published_at__gt=now)
        if len(live) == STORED_LIVE:  # only those before the last live entry can be shown
            _article, position, *_rest = live[-1]
            later = later.filter(
                Q(article__position__lt=position)
                | Q(article__position=position, article_id__lt=live[-1][0])
            )
        merged = sorted([*live, *later.values_list(*fields)], key=lambda row: (row[1], row[0]))
        lists[language] = [
            {"id": article_id, "slug": slug, "title": title, "at": published_at.isoformat()}
            for article_id, _position, slug, title, published_at in merged
        ]
        # For the help home's "N articles": how many are live, and when the scheduled ones come.
        counts[language] = {
            "live": mine.filter(published_at__lte=now).count(),
            "later": [at.isoformat() for at in later_all.filter(language=language)],
        }
    lists[COUNTS] = counts
    return lists


def refresh_section(section_id: int) -> None:
    """Store the section's list anew and move its `updated_at` (pages' Last-Modified/ETag).

    The section row is locked first, so two writers in one section are taken in turn and the
    second computes the list with the first one's change committed (never a stale overwrite).
    """
    if not Section.objects.select_for_update().filter(pk=section_id).exists():
        return
    Section.objects.filter(pk=section_id).update(
        reading_list=compute_reading_list(section_id), updated_at=timezone.now()
    )


# ------------------------------------------------------------------------ reading


def stored_lists(section: Section) -> dict:
    """The section's stored lists, computed (and stored unless a writer got there first) when
    missing or written before they carried the counts."""
    stored = section.reading_list
    if stored is None or COUNTS not in stored:
        stored = compute_reading_list(section.pk)
        Section.objects.filter(pk=section.pk, reading_list__isnull=True).update(reading_list=stored)
        section.reading_list = stored
    return stored


def public_counts(section: Section, language: str, now: datetime | None = None) -> int:
    """How many articles of the section customers may read in `language` now."""
    counts = stored_lists(section)[COUNTS].get(language, {"live": 0, "later": []})
    now = now or timezone.now()
    return counts["live"] + sum(datetime.fromisoformat(at) <= now for at in counts["later"])


def related_links(
    translation: ArticleTranslation, now: datetime | None = None
) -> list[RelatedLink]:
    """The article's related list for customers, from its section's stored list."""
    stored = stored_lists(translation.article.section)
    now = now or timezone.now()
    links = []
    for entry in stored.get(translation.language, ()):
        published_at = datetime.fromisoformat(entry["at"])
        if entry["id"] == translation.article_id or published_at > now:
            continue
        links.append(
            RelatedLink(
                article_id=entry["id"],
                language=translation.language,
                slug=entry["slug"],
                title=entry["title"],
                published_at=published_at,
            )
        )
        if len(links) == RELATED_LIMIT:
            break
    return links


# ------------------------------------------------------------------------ keeping it current
# knowledge.services refreshes after each of its writes; these cover every other path (the
# admin's Article form and delete actions, cascades, shell scripts). Bulk `update()` calls
# send no signal: the only ones on these tables write votes and search vectors, which no
# list shows.


def _remember_old_section(sender, instance: Article, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    instance._kb_old_section_id = (
        Article.objects.filter(pk=instance.pk).values_list("section_id", flat=True).first()
    )


def _article_changed(sender, instance: Article, raw=False, **kwargs) -> None:
    if raw:
        return
    old = getattr(instance, "_kb_old_section_id", None)
    for section_id in sorted({instance.section_id, old} - {None}):
        refresh_section(section_id)


def _translation_changed(sender, instance: ArticleTranslation, raw=False, **kwargs) -> None:
    if raw:
        return
    section_id = (
        Article.objects.filter(pk=instance.article_id).values_list("section_id", flat=True).first()
    )
    if section_id is not None:  # else the article goes too: its own post_delete refreshes
        refresh_section(section_id)


pre_save.connect(_remember_old_section, sender=Article, dispatch_uid="kb-related-pre-article")
post_save.connect(_article_changed, sender=Article, dispatch_uid="kb-related-save-article")
post_delete.connect(_article_changed, sender=Article, dispatch_uid="kb-related-del-article")
post_save.connect(
    _translation_changed, sender=ArticleTranslation, dispatch_uid="kb-related-save-translation"
)
post_delete.connect(
    _translation_changed, sender=ArticleTranslation, dispatch_uid="kb-related-del-translation"
)
