"""An article page's rows for customers in one prepared-shape SQL statement, without the ORM.

The article page is the help center's most read page, and for a first view (nothing kept in
page_cache yet) building the ORM query (the visibility Q, four joined models, column lists)
cost six times what PostgreSQL took to answer it. For customers the statement is always the
same shape, so it is written once per process from the models' own column lists and the rows
are turned into model instances with `from_db` (as the ORM would, `body` and the search
vectors deferred). Staff, who may preview drafts, keep the ORM query in knowledge.selectors.
The visibility rule is knowledge.selectors.visible_filter's, written in SQL: published, its
time come, not internal, in a section the viewer may read.
"""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.utils import timezone

from .models import Article, ArticleStatus, ArticleTranslation, Category, Section

# What the ORM query defers: the Markdown source and the search vectors stay in the database.
_UNREAD = {"body", "search_vector", "title_vector"}
_MODELS = (
    (ArticleTranslation, "t"),
    (Article, "a"),
    (Section, "s"),
    (Category, "c"),
)


def _fields(model) -> list:
    fields = model._meta.concrete_fields
    if model is ArticleTranslation:
        fields = [f for f in fields if f.name not in _UNREAD]
    return list(fields)


@cache
def _statement() -> tuple[str, tuple[tuple[type, list[str], int, int], ...], tuple]:
    """The SELECT; per model its field attnames and the slice of a row holding them; and the
    (row index, field) pairs whose values need the field's own conversion (JSON)."""
    columns, shapes, converted, start = [], [], [], 0
    quote = connection.ops.quote_name
    for model, alias in _MODELS:
        fields = _fields(model)
        columns += [f"{alias}.{quote(f.column)}" for f in fields]
        converted += [(start + i, f) for i, f in enumerate(fields) if hasattr(f, "from_db_value")]
        shapes.append((model, [f.attname for f in fields], start, start + len(fields)))
        start += len(fields)
    table = {model: quote(model._meta.db_table) for model, _alias in _MODELS}
    # Only the models' own table and column names (quoted) are put in; values go as parameters.
    select = ", ".join(columns)
    sql = (
        f"SELECT {select} FROM {table[ArticleTranslation]} t"  # noqa: S608
        f" JOIN {table[Article]} a ON a.id = t.article_id"
        f" JOIN {table[Section]} s ON s.id = a.section_id"
        f" JOIN {table[Category]} c ON c.id = s.category_id"
        " WHERE t.article_id = %s AND t.status = %s AND t.published_at <= %s"
        " AND NOT a.internal AND a.section_id = ANY(%s)"
    )
    return sql, tuple(shapes), tuple(converted)


def readable_translations(article_id: int, section_ids: list[int]) -> list[ArticleTranslation]:
    """The article's translations a customer who may read `section_ids` may read, each with its
    article, section and category attached (as select_related would)."""
    if not section_ids:
        return []
    sql, shapes, converted = _statement()
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [article_id, ArticleStatus.PUBLISHED, timezone.now(), list(section_ids)]
        )
        rows = cursor.fetchall()
    db = connection.alias
    translations = []
    for row in rows:
        if converted:
            row = list(row)
            for index, field in converted:
                row[index] = field.from_db_value(row[index], None, connection)
        translation, article, section, category = (
            model.from_db(db, names, row[start:end]) for model, names, start, end in shapes
        )
        section.category = category
        article.section = section
        translation.article = article
        translations.append(translation)
    return translations
