"""Article search on top of the shared Japanese-aware module (helpdesk.search).

Documents and queries are cut into lexemes by the same module, so 「返品したい」 meets
「返品・交換について」 and "refund" meets "Refunds and returns"; PostgreSQL only matches and ranks.
The help center, the contact form's suggestions (and later the widget and the bot) call
`search_articles` / `suggest_articles` here and nothing lower.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import F, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpdesk.search import index_terms, normalize, query_expression

from . import search_cache
from .access import readable_section_ids
from .models import ArticleTranslation
from .search_candidates import SEARCH_CONFIG, candidate_ids
from .search_rows import RANK_WEIGHTS, UNSHOWN_COLUMNS, ranked_window
from .selectors import visible_translations
from .structure import help_tree

# Articles matching only some words are shown if they rank at least this share of the best.
PARTIAL_MATCH_SHARE = 0.3
MAX_QUERY_CHARS = 256
SNIPPET_CHARS = 160
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_BREAK = re.compile(r"[\s。、！？!?.,・]")
# A Latin word being typed, tried as a lexeme prefix: letters and digits, two or more.
_PREFIX_WORD = re.compile(r"[a-z0-9]{2,32}")
# Snippets are cut from the start of long bodies only: the first match is nearly always early,
# and normalizing and scanning a whole long body per shown result costs more than it gives.
SNIPPET_SOURCE_CHARS = 4000


@dataclass
class SearchHit:
    translation: ArticleTranslation
    rank: float
    snippet: SafeString


# ------------------------------------------------------------------------ indexing


def translation_vector(*, title: str, summary: str, body_text: str) -> SearchVector:
    """The weighted tsvector expression of one translation (title A, summary B, body C)."""
    parts = [(title, "A"), (summary, "B"), (body_text, "C")]
    vector = None
    for text, weight in parts:
        part = SearchVector(
            Value(index_terms(text), output_field=TextField()), config=SEARCH_CONFIG, weight=weight
        )
        vector = part if vector is None else vector + part
    return vector


def refresh_search_vectors(translations: Iterable[ArticleTranslation]) -> None:
    for translation in translations:
        ArticleTranslation.objects.filter(pk=translation.pk).update(
            search_vector=translation_vector(
                title=translation.title,
                summary=translation.summary,
                body_text=translation.body_text,
            )
        )


# ------------------------------------------------------------------------ queries


def search_articles(
    query: str, language: str, limit: int = 10, *, viewer=None, cached: bool = True
) -> list[SearchHit]:
    """Readable translations in `language` matching `query`, best first, with snippets.

    Articles holding every word come first; when they are fewer than `limit`, articles holding
    some of the words follow ("cancel my order" still finds "Cancelling an order").
    Any string is a valid query: it only ever reaches SQL as lexemes made by helpdesk.search.
    The ranking is remembered for a while (knowledge.search_cache); `cached=False` ranks anew.
    """
    query = (query or "")[:MAX_QUERY_CHARS]
    every_word = query_expression(query)
    if not every_word:
        return []
    any_word = _any_word_expression(query)
    rows = _remembered_rows(
        ("search", language, every_word, any_word, limit),
        lambda: _rank_search(every_word, any_word, language, viewer, limit),
        viewer,
        cached,
    )
    return [SearchHit(row, row.rank, snippet(row.body_text or row.summary, query)) for row in rows]


def _rank_search(
    every_word: str, any_word: str, language: str, viewer, limit: int
) -> list[ArticleTranslation]:
    rows = list(_ranked(every_word, language, viewer, limit))
    if any_word and len(rows) < limit:
        found = {row.pk for row in rows}
        partial = _ranked(any_word, language, viewer, limit + len(rows))
        some = [row for row in partial if row.pk not in found][: limit - len(rows)]
        # A partial match far behind the best one ("has", "not"…) is noise, not an answer.
        best = max([row.rank for row in rows + some], default=0)
        rows += [row for row in some if row.rank >= best * PARTIAL_MATCH_SHARE]
    return rows


def _remembered_rows(parts: tuple, rank, viewer, cached: bool) -> list[ArticleTranslation]:
    """`rank()`'s rows, or the remembered ranking's rows read again through the visibility
    filter (one query by primary key)."""
    if not cached:
        return rank()
    key = search_cache.ranking_key(
        *parts, search_cache.audience_stamp(readable_section_ids(viewer))
    )
    ranking = search_cache.remembered(key)
    if ranking is None:
        rows = rank()
        search_cache.remember(key, [(row.pk, row.rank) for row in rows])
        return rows
    if not ranking:
        return []
    ranks = dict(ranking)
    rows = {
        row.pk: row
        for row in visible_translations(viewer)
        .filter(pk__in=ranks)
        .select_related("article")
        .defer(*UNSHOWN_COLUMNS)
    }
    for pk, row in rows.items():
        row.rank = ranks[pk]
    return _with_sections([rows[pk] for pk, _rank in ranking if pk in rows])


def _raw(expression: str) -> SearchQuery:
    return SearchQuery(expression, search_type="raw", config=SEARCH_CONFIG)


def _any_word_expression(query: str) -> str:
    """Any of the words, as a raw tsquery ('' for a query of one word)."""
    words = [f"({e})" for w in normalize(query).split()[:12] if (e := query_expression(w))]
    return " | ".join(words) if len(words) > 1 else ""


def _ranked(expression: str, language: str, viewer, limit: int) -> list[ArticleTranslation]:
    """The best `limit` matches of a raw tsquery, best first, each with `.rank`.

    Only bounded windows of candidates are ranked (knowledge.search_candidates): title matches,
    then, when they are fewer than `limit`, matches anywhere. The rows are read through
    `visible_translations`, the one visibility rule, in the same statement as the candidates.
    """
    rows = _rank_window(expression, language, viewer, limit, titles=True)
    if len(rows) < limit:
        seen = {row.pk for row in rows}
        rows += [
            row
            for row in _rank_window(expression, language, viewer, limit, titles=False)
            if row.pk not in seen
        ]
        rows.sort(key=lambda row: (-row.rank, row.article.position, row.pk))
    return _with_sections(rows[:limit])


def _rank_window(
    expression: str, language: str, viewer, limit: int, *, titles: bool
) -> list[ArticleTranslation]:
    # The statement _ranked_rows(...).filter(pk__in=candidates)[:limit] sends, written once.
    return ranked_window(expression, language, viewer, limit, titles=titles)


def ranked_matches(expression: str, language: str, viewer, window: int) -> QuerySet:
    """Both windows' candidates (title matches and matches anywhere, each at least `window`),
    ranked, as a queryset for callers that annotate more (the bot's per-keyword coverage)."""
    title_sql, title_params = candidate_ids(expression, language, viewer, window, titles=True)
    other_sql, other_params = candidate_ids(expression, language, viewer, window, titles=False)
    return _ranked_rows(expression, language, viewer).filter(
        Q(pk__in=RawSQL(title_sql, title_params)) | Q(pk__in=RawSQL(other_sql, other_params))  # noqa: S611
    )


def _ranked_rows(expression: str, language: str, viewer) -> QuerySet:
    rank = SearchRank(F("search_vector"), _raw(expression), weights=RANK_WEIGHTS, normalization=1)
    return (
        visible_translations(viewer, language)
        .annotate(rank=rank * F("vote_boost"))
        .select_related("article")
        .defer(*UNSHOWN_COLUMNS)
        .order_by("-rank", "article__position", "id")
    )


def _with_sections(rows: list[ArticleTranslation]) -> list[ArticleTranslation]:
    """Each row's section and category from the cached help tree (shown under each result),
    instead of two more joins in every search."""
    sections = {section.pk: section for section in help_tree().sections}
    for row in rows:
        section = sections.get(row.article.section_id)
        if section is not None:
            row.article.section = section
    return rows


def suggest_articles(
    query: str, language: str, limit: int = 5, *, viewer=None, cached: bool = True
) -> list[ArticleTranslation]:
    """Search-as-you-type: full-text hits first, then articles the half-typed text begins.

    A Latin word still being typed ("passw") has no lexeme yet: the last word is also tried
    as a prefix of lexemes ('passw':*, through the same GIN index). Japanese needs no such
    step, a partly typed word's character pairs are already in the index.
    """
    query = (query or "")[:MAX_QUERY_CHARS]
    found = [
        hit.translation
        for hit in search_articles(query, language, limit, viewer=viewer, cached=cached)
    ]
    typed = _typed_prefix_expression(query)
    if len(found) < limit and typed:
        seen = [t.pk for t in found]
        found += [
            row
            for row in _remembered_rows(
                ("prefix", language, typed, limit),
                lambda: _ranked(typed, language, viewer, limit),
                viewer,
                cached,
            )
            if row.pk not in seen
        ][: limit - len(found)]
    return found


def _typed_prefix_expression(query: str) -> str:
    """Every word but the last as searched, and the last as a prefix ('' if not Latin)."""
    words = normalize(query).split()[:12]
    last = words[-1] if words else ""
    if not _PREFIX_WORD.fullmatch(last):
        return ""
    escaped = last.replace("'", "''")
    head = query_expression(" ".join(words[:-1]))
    return f"{head} & '{escaped}':*" if head else f"'{escaped}':*"


# ------------------------------------------------------------------------ snippets


def _candidates(word: str) -> list[str]:
    """The word, then ever shorter prefixes: 返品したい → 返品した … 返品; refunds → refund …"""
    shortest = 2 if _CJK.search(word) else 4
    return [word[:end] for end in range(len(word), min(shortest, len(word)) - 1, -1)]


def highlight_terms(text: str, query: str) -> list[str]:
    """For each query word, the longest prefix of it that occurs in `text` (case-insensitive)."""
    folded = text.casefold()
    terms: list[str] = []
    for word in normalize(query)[:MAX_QUERY_CHARS].split()[:12]:
        for candidate in _candidates(word):
            if candidate.casefold() in folded:
                terms.append(candidate)
                break
    return sorted(set(terms), key=len, reverse=True)


def snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> SafeString:
    """An escaped excerpt of `text` around the first query word it holds, words in <mark>."""
    text = unicodedata.normalize("NFKC", (text or "")[:SNIPPET_SOURCE_CHARS])
    terms = highlight_terms(text, query)
    if not terms:
        return _excerpt(text, 0, width, [])
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, first.start() - width // 3) if first else 0
    if start:
        breaks = [m.end() for m in _BREAK.finditer(text, start, first.start())]
        start = breaks[0] if breaks else start
        start += len(text[start : first.start()]) - len(text[start : first.start()].lstrip())
    return _excerpt(text, start, width, [pattern])


def _excerpt(text: str, start: int, width: int, patterns: list[re.Pattern]) -> SafeString:
    window = text[start : start + width]
    parts = ["…" if start else ""]
    cursor = 0
    for match in patterns[0].finditer(window) if patterns else ():
        parts += [escape(window[cursor : match.start()]), f"<mark>{escape(match.group())}</mark>"]
        cursor = match.end()
    parts.append(escape(window[cursor:]))
    if start + width < len(text):
        parts.append("…")
    # Every piece of outside text above went through escape(); only <mark> is ours.
    return mark_safe("".join(parts))  # noqa: S308
