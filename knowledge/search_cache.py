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
- entries expire after RESULT_SECONDS, so a scheduled article whose time has come (no write
  happens then) and vote counts that moved show up within that time.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from .models import Article, ArticleTranslation
from .versions import VersionCounters

RESULT_SECONDS = 60
_versions = VersionCounters()


def _version_key() -> str:
    return f"kb-content-version:v1:{connection.settings_dict['NAME']}"


def content_version() -> int:
    return _versions.get(_version_key())


def bump_content_version() -> None:
    _versions.bump(_version_key())


def ranking_key(*parts: object) -> str:
    from .structure import current_version

    raw = "|".join(map(str, (current_version(), content_version(), *parts)))
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
