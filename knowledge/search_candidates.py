"""Which matching translations a search ranks: a bounded window, found without reading them all.

Ranking (ts_rank) reads each candidate's whole vector, and over 100,000 articles a common word
("返品", "refund") matches tens of thousands of rows: even *finding* them all through the GIN
index costs tens of milliseconds, and PostgreSQL's estimate of how many rows two words match
together is often far off, so its own choice of plan cannot be relied on. Candidates are
therefore chosen in two windows, each the best-voted matches first (`vote_boost`, a generated
column with its own index per language):

- title matches (`title_vector`, the title's lexemes), which carry most of the rank;
- matches anywhere (summary and body too), a few, so a word found only in bodies still answers.

Each window is filled by walking the vote-ordered index through at most PROBE_ROWS rows and
testing each row's vector: a common word fills the window within a few hundred rows and the
search stops there. Only when the walk comes back short is the word uncommon, and then the GIN
index finds all its (few) matches cheaply; a one-time filter in the same statement skips that
step otherwise. Below PROBE_ROWS translations in a language every match is seen, so small help
centers rank every match exactly as before.

The statement is plain SQL (the ORM cannot select from a limited subquery). Its visibility
conditions are the ones `knowledge.selectors.visible_filter` applies, built from the same
rules (knowledge.access); the rows are then read through `visible_translations` itself, so a
mistake here could drop a result but never show one.
"""

from __future__ import annotations

from django.utils import timezone

from .access import readable_section_ids
from .models import ArticleStatus
from .models.content import WALKED_TITLE_LEXEMES

SEARCH_CONFIG = "simple"
# How many title matches, and how many matches anywhere, a query ranks at most.
RANKED_TITLE_CANDIDATES = 40
RANKED_OTHER_CANDIDATES = 20
# How far down the vote order a window is looked for before the GIN index is asked instead.
# Walking a row and collecting an index match cost about the same, so the walk pays off while
# a word is in more than about limit / PROBE_ROWS of the rows. Titles are walked in the index
# alone (cheap rows); a walk for matches anywhere reads each row's whole vector, and a word
# found nowhere walks it all, so that walk is shorter.
PROBE_ROWS = 1500
OTHER_PROBE_ROWS = 800
TABLE = "knowledge_articletranslation"


def _visibility(viewer) -> tuple[str, list]:
    """SQL over `t` (a translation) and `a` (its article): what `visible_filter` allows."""
    sql, params = "t.published_at <= %s", [timezone.now()]
    readable = readable_section_ids(viewer)
    if readable is not None:  # not staff: public articles in sections open to this viewer
        sql += " AND NOT a.internal AND a.section_id = ANY(%s)"
        params.append(list(readable))
    return sql, params


def _walk(name: str, column: str, window: int, visible) -> tuple[str, list]:
    """Matches among the first PROBE_ROWS rows in vote order (the index holds all the walk of
    titles reads; a body walk reads the rows too)."""
    visible_sql, visible_params = visible
    probe = PROBE_ROWS if column == "title_vector" else OTHER_PROBE_ROWS
    sql = (
        f"{name}_walk AS MATERIALIZED ("  # noqa: S608 - our identifiers; values are parameters
        f"SELECT t.id FROM (SELECT id, article_id, published_at, {column} FROM {TABLE} WHERE language = %s AND status = %s "
        f"AND length(title_vector) <= {WALKED_TITLE_LEXEMES} "
        f"ORDER BY vote_boost DESC, id LIMIT {probe}) t "
        f"JOIN knowledge_article a ON a.id = t.article_id "
        f"WHERE {visible_sql} AND t.{column} @@ to_tsquery('{SEARCH_CONFIG}', %s) "
        f"LIMIT {window})"
    )
    return sql, visible_params


def _rest(name: str, column: str, window: int, limit: int, visible) -> tuple[str, list]:
    """All matches through the GIN index, best-voted first: run only when the walk found fewer
    than `limit`, i.e. when the word is uncommon. Sorted before the visibility join, which then
    stops after `window` rows."""
    visible_sql, visible_params = visible
    # `vote_boost + 0`: ordered by value, not by walking the vote index (the word is rare).
    # OFFSET 0 keeps the sort below the join.
    sql = (
        f"{name}_rest AS MATERIALIZED ("  # noqa: S608 - our identifiers; values are parameters
        f"SELECT t.id FROM (SELECT id, article_id, published_at FROM {TABLE} WHERE language = %s AND status = %s "
        f"AND {column} @@ to_tsquery('{SEARCH_CONFIG}', %s) "
        f"AND (SELECT count(*) FROM {name}_walk) < {limit} "
        f"ORDER BY vote_boost + 0 DESC, id OFFSET 0) t "
        f"JOIN knowledge_article a ON a.id = t.article_id WHERE {visible_sql} LIMIT {window})"
    )
    return sql, visible_params


def candidate_ids(
    tsquery: str, language: str, viewer, limit: int, *, titles: bool
) -> tuple[str, list]:
    """SQL (with params) selecting the ids worth ranking for a raw tsquery expression: title
    matches (`titles`), or matches anywhere (title, summary, body)."""
    name, column = ("title", "title_vector") if titles else ("other", "search_vector")
    window = max(RANKED_TITLE_CANDIDATES if titles else RANKED_OTHER_CANDIDATES, limit)
    visible = _visibility(viewer)
    walk, walk_params = _walk(name, column, window, visible)
    rest, rest_params = _rest(name, column, window, limit, visible)
    published = ArticleStatus.PUBLISHED
    params = [language, published, *walk_params, tsquery, language, published, tsquery]
    return (
        f"WITH {walk}, {rest} "  # noqa: S608 - our identifiers; values are parameters
        f"SELECT id FROM {name}_walk UNION SELECT id FROM {name}_rest",
        params + rest_params,
    )
