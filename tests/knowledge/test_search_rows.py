"""knowledge.search_rows sends by hand the statement the ORM query used to: the same rows, ranks
and order, for customers and staff, with the visibility rule intact."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models.expressions import RawSQL

from helpdesk.search import query_expression
from knowledge import services
from knowledge.models import Audience
from knowledge.search import _ranked_rows
from knowledge.search_candidates import candidate_ids
from knowledge.search_rows import ranked_window
from tests.factories import UserFactory

from .conftest import make_article

pytestmark = pytest.mark.django_db


def _orm(expression: str, viewer, limit: int, titles: bool) -> list[tuple]:
    sql, params = candidate_ids(expression, "en", viewer, limit, titles=titles)
    rows = _ranked_rows(expression, "en", viewer).filter(pk__in=RawSQL(sql, params))[:limit]  # noqa: S611
    return [(r.pk, r.rank, r.title, r.article.internal, r.article.section_id) for r in rows]


def _hand(expression: str, viewer, limit: int, titles: bool) -> list[tuple]:
    rows = ranked_window(expression, "en", viewer, limit, titles=titles)
    return [(r.pk, r.rank, r.title, r.article.internal, r.article.section_id) for r in rows]


def test_the_hand_written_window_is_the_orm_querys(section):
    for n in range(8):
        make_article(section, en=(f"Parcel tracking {n}", "Track the parcel." * (n + 1)))
    make_article(section, en=("Parcel rules", "Internal parcel notes."), internal=True)
    make_article(section, published=False, en=("Parcel draft", "Draft parcel text."))
    hidden = services.upsert_section(
        category=section.category, slug="staff-only", name_ja="社内", name_en="Staff"
    )
    services.set_section_access(hidden, audience=Audience.AGENTS)
    make_article(hidden, en=("Parcel desk", "Agents' parcel desk."))
    expression = query_expression("parcel")
    anonymous, staff = AnonymousUser(), UserFactory()
    for viewer in (anonymous, staff):
        for titles in (True, False):
            for limit in (3, 20):
                assert _hand(expression, viewer, limit, titles) == _orm(
                    expression, viewer, limit, titles
                )
    customers = {row[2] for row in _hand(expression, anonymous, 20, False)}
    assert "Parcel rules" not in customers and "Parcel desk" not in customers
    assert "Parcel draft" not in customers
    assert {"Parcel rules", "Parcel desk"} <= {
        row[2] for row in _hand(expression, staff, 20, False)
    }
