"""One window of ranked search rows in hand-written SQL, without building an ORM query.

A search ranks up to four windows (titles, then anywhere; every word, then some words), and
building each ORM query (the visibility Q, the rank expression, the candidates' RawSQL, two
models' columns) cost more CPU than PostgreSQL spent answering it. The statement is the one
knowledge.search's ORM query would send (`_ranked_rows` filtered to the candidates): the
same columns, the same rank expression (SearchRank(...) * vote_boost), the same visibility
rule (knowledge.selectors.visible_filter's: published, its time come, and for customers not
internal and in a readable section), the same order. Rows become model instances with
`from_db`, the unshown columns deferred as before.
"""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.utils import timezone

from .access import readable_section_ids
from .models import Article, ArticleStatus, ArticleTranslation
from .search_candidates import SEARCH_CONFIG, candidate_ids

# Columns a result list never shows: not read with the hits.
UNSHOWN_COLUMNS = ("body", "body_html", "search_vector", "title_vector")
# ts_rank weights in PostgreSQL's order D, C, B, A: a title hit counts five times a body hit.
# The rank is multiplied by the translation's `vote_boost` (helpful votes, see the model).
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]


@cache
def _columns() -> tuple[str, list[str], list[str]]:
    quote = connection.ops.quote_name
    translation = [
        f for f in ArticleTranslation._meta.concrete_fields if f.name not in UNSHOWN_COLUMNS
    ]
    article = list(Article._meta.concrete_fields)
    select = ", ".join(
        [f"t.{quote(f.column)}" for f in translation]
        + [
            "ts_rank(%s::float4[], t.search_vector, to_tsquery(%s::regconfig, %s), 1)"
            " * t.vote_boost AS rank"
        ]
        + [f"a.{quote(f.column)}" for f in article]
    )
    return select, [f.attname for f in translation], [f.attname for f in article]


def ranked_window(
    expression: str, language: str, viewer, limit: int, *, titles: bool
) -> list[ArticleTranslation]:
    """The best `limit` of one candidate window, best first, each with `.rank` and `.article`."""
    select, translation_names, article_names = _columns()
    candidates, candidate_params = candidate_ids(expression, language, viewer, limit, titles=titles)
    where = "t.published_at <= %s AND t.status = %s"
    params: list = [
        RANK_WEIGHTS,
        SEARCH_CONFIG,
        expression,
        timezone.now(),
        ArticleStatus.PUBLISHED,
    ]
    readable = readable_section_ids(viewer)
    if readable is not None:  # customers: public articles in the sections open to them
        where += " AND NOT a.internal AND a.section_id = ANY(%s)"
        params.append(list(readable))
    sql = (
        f"SELECT {select} FROM knowledge_articletranslation t"  # noqa: S608 - our identifiers
        " JOIN knowledge_article a ON a.id = t.article_id"
        f" WHERE {where} AND t.language = %s AND t.id IN ({candidates})"
        " ORDER BY rank DESC, a.position ASC, t.id ASC LIMIT %s"
    )
    params += [language, *candidate_params, int(limit)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    db, width = connection.alias, len(translation_names)
    found = []
    for row in rows:
        translation = ArticleTranslation.from_db(db, translation_names, row[:width])
        translation.rank = row[width]
        translation.article = Article.from_db(db, article_names, row[width + 1 :])
        found.append(translation)
    return found
