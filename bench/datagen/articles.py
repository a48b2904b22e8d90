"""Help-center articles for the benchmark data set: many, mixed ja/en, loaded with COPY.

`generate_articles(connection, count=100_000)` writes `count` published, public articles under
bench categories and sections (plus ~2% internal or draft ones, and a few sections for
signed-in customers or agents only), each in Japanese, English or both. Titles and bodies are
made from topic templates filled with product names and numbers, so they read like a shop's
help center and differ from each other, while the expensive part (Sudachi) runs once per
distinct template text: an article's lexemes are assembled from its parts' cached lexemes
exactly as `helpdesk.search.index_terms` orders them, and PostgreSQL computes the weighted
tsvector with the very expression `knowledge.search.translation_vector` stores. A sample of
articles is checked against the real functions before loading, so a change in the tokenizer
or the renderer is caught rather than benchmarked wrongly.

Idempotent: when the bench sections already hold `count` published articles it does nothing;
otherwise it replaces the bench articles (and only those).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from functools import cache

from django.utils.text import slugify

from .article_content import PRODUCTS, RESTRICTED, SECTION_RANGES, TOPICS
from .copy import copy_rows, create_indexes, drop_indexes, secondary_indexes

BENCH_PREFIX = "bench-"
TABLE = "knowledge_articletranslation"
# Of `count` extra articles, this share is internal and this share stays a draft.
INTERNAL_SHARE = 0.01
DRAFT_SHARE = 0.01


# ------------------------------------------------------------------------ text, cached


class TextCache:
    """Per distinct text: rendered HTML, plain text, and its lexemes split as index_terms has
    them (segment lexemes, then Sudachi content words), so a body's lexemes are assembled
    from its paragraphs' without running the analyzer again."""

    def __init__(self):
        from helpdesk import search
        from knowledge.markdown import plain_text, render_markdown

        self._search, self._plain_text, self._render = search, plain_text, render_markdown

    @cache  # noqa: B019 - one cache per load, dropped with the instance
    def parts(self, text: str) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
        """(html, plain text, segment lexemes, content words) of one Markdown paragraph."""
        html = self._render(text)
        plain = self._plain_text(html)
        return (html, plain, *self.lexemes(plain))

    @cache  # noqa: B019
    def lexemes(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """index_terms(text) in its two halves: lexemes of the segments, then content words."""
        s = self._search
        segments: list[str] = []
        runs: list[str] = []
        for kind, segment in s._segments(s.normalize(text)):
            if kind == "cjk":
                runs.append(segment)
                segments.extend(s._bigrams(segment))
            elif kind == "email":
                local, _at, domain = segment.partition("@")
                segments += [
                    s._joined(segment),
                    *s._compound_lexemes(local),
                    *s._compound_lexemes(domain),
                ]
            else:
                segments.extend(s._compound_lexemes(segment))
        words = tuple(s._content_words(runs)) if runs else ()
        return tuple(segments), words

    def terms(self, *texts: str) -> str:
        """index_terms of the texts written one after the other (separated by no word)."""
        halves = [self.lexemes(text) for text in texts]
        return " ".join([t for h in halves for t in h[0]] + [t for h in halves for t in h[1]])

    def body(self, paragraphs: list[str]) -> tuple[str, str, str, str]:
        """(markdown, html, plain text, lexemes) of paragraphs joined as one body."""
        parts = [self.parts(p) for p in paragraphs]
        html = "".join(p[0] for p in parts)
        plain = " ".join(p[1] for p in parts)
        terms = " ".join([t for p in parts for t in p[2]] + [t for p in parts for t in p[3]])
        return "\n\n".join(paragraphs), html, plain, terms


def _check_against_the_real_functions(cache: TextCache, samples: list[tuple]) -> None:
    """Assembled HTML, text and lexemes must equal what knowledge.services would store."""
    from helpdesk.search import index_terms
    from knowledge.markdown import plain_text, render_markdown

    for title, paragraphs in samples:
        body, html, plain, terms = cache.body(paragraphs)
        assert render_markdown(body) == html, "body_html differs from render_markdown"
        assert plain_text(html) == plain, "body_text differs from plain_text"
        assert index_terms(plain) == terms, "body lexemes differ from index_terms"
        base, _sep, number = title.rpartition("No.")
        assert index_terms(title) == cache.terms(base, f"No.{number}"), "title lexemes differ"


# ------------------------------------------------------------------------ rows


def _sections():
    categories, sections = [], []
    for c_pos, ((c_slug, c_ja, c_en), topics) in enumerate(TOPICS.items(), start=1):
        categories.append((f"{BENCH_PREFIX}{c_slug}", c_ja, c_en, c_pos))
        for s_pos, (r_slug, r_ja, r_en) in enumerate(SECTION_RANGES, start=1):
            audience = RESTRICTED.get((c_slug, r_slug), "everyone")
            sections.append(
                (
                    f"{BENCH_PREFIX}{c_slug}-{r_slug}",
                    f"{c_ja}（{r_ja}）",
                    f"{c_en} ({r_en})",
                    s_pos,
                    f"{BENCH_PREFIX}{c_slug}",
                    audience,
                    topics,
                )
            )
    return categories, sections


def _fill(template: str, product: tuple[str, str], language: str, number: int) -> str:
    return template.format(p=product[0] if language == "ja" else product[1], n=number)


def generate_articles(connection, *, count: int = 100_000, seed: int = 7) -> None:
    """Fill the knowledge tables with `count` published public bench articles (see above)."""
    started = time.perf_counter()
    with connection.cursor() as django_cursor:
        cursor = getattr(django_cursor, "cursor", django_cursor)  # psycopg's, for COPY
        cursor.execute(
            "SELECT count(DISTINCT a.id) FROM knowledge_article a "
            "JOIN knowledge_section s ON s.id = a.section_id "
            "JOIN knowledge_articletranslation t ON t.article_id = a.id "
            "WHERE s.slug LIKE %s AND s.audience = 'everyone' AND NOT a.internal "
            "AND t.status = 'published'",
            [f"{BENCH_PREFIX}%"],
        )
        if cursor.fetchone()[0] == count:
            return
        _delete_bench_articles(cursor)
        indexes = secondary_indexes(cursor, [TABLE, "knowledge_article"])
        drop_indexes(cursor, indexes)
        section_ids = _write_sections(cursor)
        _write_articles(cursor, section_ids, count, random.Random(seed))
        # Foreign keys are checked now (unless the caller switched triggers off): an index
        # cannot be built on a table with checks still pending in this transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        create_indexes(cursor, indexes)
        for table in ("knowledge_category", "knowledge_section", "knowledge_article", TABLE):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
            cursor.execute(f"ANALYZE {table}")
    _forget_cached_help_center()
    print(f"  {count} help-center articles in {time.perf_counter() - started:.0f} s")  # noqa: T201


def _forget_cached_help_center() -> None:
    """Rows written with SQL send no signals: move the versions the help center caches under
    (its tree of categories and sections, and search rankings) by hand."""
    from knowledge.search_cache import bump_content_version
    from knowledge.structure import bump_version

    bump_version()
    bump_content_version()


def _delete_bench_articles(cursor) -> None:
    bench = "(SELECT id FROM knowledge_section WHERE slug LIKE %s)"
    like = [f"{BENCH_PREFIX}%"]
    cursor.execute(
        f"DELETE FROM {TABLE} WHERE article_id IN "
        f"(SELECT id FROM knowledge_article WHERE section_id IN {bench})",
        like,
    )
    cursor.execute(f"DELETE FROM knowledge_article WHERE section_id IN {bench}", like)
    cursor.execute(f"DELETE FROM knowledge_section_organizations WHERE section_id IN {bench}", like)
    cursor.execute(f"DELETE FROM knowledge_section_editor_teams WHERE section_id IN {bench}", like)
    cursor.execute("DELETE FROM knowledge_section WHERE slug LIKE %s", like)
    cursor.execute(
        "DELETE FROM knowledge_category_organizations WHERE category_id IN "
        "(SELECT id FROM knowledge_category WHERE slug LIKE %s)",
        like,
    )
    cursor.execute("DELETE FROM knowledge_category WHERE slug LIKE %s", like)


def _write_sections(cursor) -> list[tuple[int, str, list[dict]]]:
    now = datetime.now(UTC)
    categories, sections = _sections()
    category_ids = {}
    for slug, name_ja, name_en, position in categories:
        cursor.execute(
            "INSERT INTO knowledge_category (slug, name_ja, name_en, description_ja, "
            "description_en, position, updated_at, audience) "
            "VALUES (%s, %s, %s, '', '', %s, %s, 'everyone') RETURNING id",
            [slug, name_ja, name_en, 100 + position, now],
        )
        category_ids[slug] = cursor.fetchone()[0]
    found = []
    for slug, name_ja, name_en, position, category, audience, topics in sections:
        cursor.execute(
            "INSERT INTO knowledge_section (slug, name_ja, name_en, description_ja, "
            "description_en, position, updated_at, category_id, audience, editor_roles) "
            "VALUES (%s, %s, %s, '', '', %s, %s, %s, %s, '{}') RETURNING id",
            [slug, name_ja, name_en, position, now, category_ids[category], audience],
        )
        found.append((cursor.fetchone()[0], audience, topics))
    return found


def _write_articles(cursor, sections, count: int, rng: random.Random) -> None:
    cache = TextCache()
    now = datetime.now(UTC).replace(microsecond=0)
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM knowledge_article")
    first_article = cursor.fetchone()[0] + 1
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {TABLE}")
    translation_id = cursor.fetchone()[0]
    public = [s for s in sections if s[1] == "everyone"]
    extra = int(count * (INTERNAL_SHARE + DRAFT_SHARE))
    articles, translations, samples = [], [], []
    for number in range(count + extra):
        article_id = first_article + number
        hidden = number >= count  # the extra ones: internal, draft, or in a restricted section
        pool = sections if hidden else public
        section_id, _audience, topics = pool[rng.randrange(len(pool))]
        topic = topics[rng.randrange(len(topics))]
        product = PRODUCTS[rng.randrange(len(PRODUCTS))]
        figure = rng.randint(2, 9)
        internal = hidden and number % 2 == 0
        draft = hidden and not internal
        articles.append(
            (
                article_id,
                section_id,
                number % 1000,
                internal,
                None,
                ["faq"] if number % 500 == 0 else [],
                now - timedelta(days=number % 700),
            )
        )
        roll = rng.random()
        languages = ["ja"] if roll < 0.35 else ["en"] if roll < 0.7 else ["ja", "en"]
        for language in languages:
            translation_id += 1
            titles = topic[f"{language}_titles"]
            base = _fill(titles[rng.randrange(len(titles))], product, language, figure)
            # Numbered so titles stay distinct: "… (No.123)" / "…（No.123）". The number is
            # its own segment, so the analyzed template is reused.
            base = f"{base} (" if language == "en" else f"{base}（"
            suffix = f"No.{number})" if language == "en" else f"No.{number}）"
            title = base + suffix
            paragraphs = [_fill(p, product, language, figure) for p in topic[language]]
            rng.shuffle(paragraphs)
            paragraphs = paragraphs[: rng.randint(2, len(paragraphs))]
            summary = _fill(topic[f"{language}_summary"], product, language, figure)
            body, html, plain, body_terms = cache.body(paragraphs)
            if len(samples) < 20:
                samples.append((title, paragraphs))
            slug = f"{slugify(title, allow_unicode=True)[:100]}-{article_id}"
            updated = now - timedelta(days=number % 365, minutes=number % 1440)
            translations.append(
                (
                    translation_id,
                    article_id,
                    language,
                    title,
                    slug,
                    summary,
                    body,
                    html,
                    plain,
                    "draft" if draft else "published",
                    None if draft else updated,
                    updated,
                    rng.randint(0, 40),
                    rng.randint(0, 10),
                    cache.terms(base, suffix),
                    cache.terms(summary),
                    body_terms,
                )
            )
    _check_against_the_real_functions(cache, samples)
    copy_rows(
        cursor,
        "knowledge_article",
        ["id", "section_id", "position", "internal", "author_id", "labels", "created_at"],
        articles,
    )
    cursor.execute(
        "CREATE TEMP TABLE bench_article_terms (id bigint, article_id bigint, language text, "
        "title text, slug text, summary text, body text, body_html text, body_text text, "
        "status text, published_at timestamptz, updated_at timestamptz, helpful int, "
        "unhelpful int, title_terms text, summary_terms text, body_terms text)"
    )
    copy_rows(
        cursor,
        "bench_article_terms",
        [
            "id",
            "article_id",
            "language",
            "title",
            "slug",
            "summary",
            "body",
            "body_html",
            "body_text",
            "status",
            "published_at",
            "updated_at",
            "helpful",
            "unhelpful",
            "title_terms",
            "summary_terms",
            "body_terms",
        ],
        translations,
    )
    # The expression knowledge.search.translation_vector makes Django write (title A,
    # summary B, body C), evaluated by PostgreSQL itself.
    cursor.execute(
        f"INSERT INTO {TABLE} (id, article_id, language, title, slug, summary, body, body_html, "
        "body_text, status, published_at, updated_at, helpful_votes, unhelpful_votes, "
        "search_vector) SELECT id, article_id, language, title, slug, summary, body, body_html, "
        "body_text, status, published_at, updated_at, helpful, unhelpful, "
        "setweight(to_tsvector('simple'::regconfig, COALESCE(title_terms, '')), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, COALESCE(summary_terms, '')), 'B') || "
        "setweight(to_tsvector('simple'::regconfig, COALESCE(body_terms, '')), 'C') "
        "FROM bench_article_terms"
    )
    cursor.execute("DROP TABLE bench_article_terms")
