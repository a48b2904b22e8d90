"""Remembered search rankings: which translations a query ranks first, per audience.

Over 100,000 articles a common word ("返品", "refund") matches tens of thousands of rows; even
ranking only a bounded window of them (knowledge.search_candidates) costs a few milliseconds of
SQL. People ask the same things again and again (the top searches report shows it), and the
search box asks again on every keystroke, so the ranked ids are kept in the shared cache for a
short while (whole anonymous pages too, knowledge.page_cache):

- the key holds the query's lexemes (not its raw text), the language, what the viewer may
  read (staff, or the exact list of readable sections) and two versions: the help tree's
  (knowledge.structure) and the content's, which moves on every article or translation write
  (signals below, also after commit). An edit, a publication or an audience change is
  therefore seen by the next search;
- only ids and ranks are kept; the rows are read again by id *through the visibility filter*,
  so an entry can never show a viewer something they may not read now;
- a translation published for a later time moves no counter when its time comes, so the key
  also holds the next such time (schedule_stamp): once it has passed, keys change and the
  article is found by the next search;
- entries expire after RESULT_SECONDS, so vote counts that moved (they reorder results, and
  write no counter) show up within that time. Everything else that changes what a search
  finds changes the key, so entries can live long: a search nobody asked in the last ten
  minutes is the only one that costs a ranking (and a page render).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from .models import Article, ArticleStatus, ArticleTranslation, Language
from .versions import VersionCounters

RESULT_SECONDS = 600
_versions = VersionCounters()
# Per database: (content version it was read at, the next scheduled publication or None).
_next_publication: dict[str, tuple[int, datetime | None]] = {}


def _version_key() -> str:
    return f"kb-content-version:v1:{connection.settings_dict['NAME']}"


def content_version() -> int:
    return _versions.get(_version_key())


def bump_content_version() -> None:
    _versions.bump(_version_key())


def schedule_stamp() -> str:
    """The next time a published translation comes live by itself ("" when none is waiting).

    Read once per content version and process (one statement probing
    knowledge_translation_live per language), and again once that time has passed: keys holding it then
    change, so nothing remembered from before can hide the article.
    """
    name = connection.settings_dict["NAME"]
    version, now = content_version(), timezone.now()
    seen = _next_publication.get(name)
    if seen is None or seen[0] != version or (seen[1] is not None and seen[1] <= now):
        upcoming = (
            ArticleTranslation.objects.filter(
                status=ArticleStatus.PUBLISHED, published_at__gt=now, language=code
            )
            .order_by("published_at")
            .values("published_at")[:1]
            for code in Language.values
        )
        # One statement, one probe of knowledge_translation_live per language.
        firsts = ArticleTranslation.objects.none().values("published_at")
        found = firsts.union(*upcoming, all=True).values_list("published_at", flat=True)
        seen = (version, min(found, default=None))
        _next_publication[name] = seen
    return seen[1].isoformat() if seen[1] is not None else ""


def ranking_key(*parts: object) -> str:
    from .structure import current_version

    raw = "|".join(map(str, (current_version(), content_version(), schedule_stamp(), *parts)))
    digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
    return f"kb-ranking:v1:{connection.settings_dict['NAME']}:{digest}"


def audience_stamp(readable_section_ids: list[int] | None) -> str:
    """What the viewer may read, as a short stamp: staff, or the readable sections."""
    if readable_section_ids is None:
        return "staff"
    ids = ",".join(map(str, sorted(readable_section_ids)))
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


def remembered(key: str):
    return cache.get(key)


def remember(key: str, ranking: list[tuple[int, float]]) -> None:
    cache.set(key, ranking, timeout=RESULT_SECONDS)


def _changed(**kwargs) -> None:
    bump_content_version()
    transaction.on_commit(bump_content_version)


for _model in (Article, ArticleTranslation):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"kb-content-save-{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"kb-content-del-{_model.__name__}")
