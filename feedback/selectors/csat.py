"""CSAT numbers: summaries for the dashboards, the reports page, the agent profile, the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language

from tickets.models import Channel, Macro

from ..models import (
    Survey,
    SurveyResponse,
    SurveyStatus,
)

GOOD = Count("id", filter=Q(is_good=True))


def score(good: int, responses: int) -> float | None:
    return round(100 * good / responses, 1) if responses else None


def _responses(
    *,
    since: datetime,
    until: datetime,
    channel: str | None = None,
    team_id: int | None = None,
    agent_id: int | None = None,
    tag: str | None = None,
) -> QuerySet[SurveyResponse]:
    responses = SurveyResponse.objects.filter(created_at__gte=since, created_at__lt=until)
    if channel:
        responses = responses.filter(channel=channel)
    if team_id:
        responses = responses.filter(team_id=team_id)
    if agent_id:
        responses = responses.filter(agent_id=agent_id)
    if tag:
        responses = responses.filter(ticket__tags__name=tag)
    return responses


def csat_summary(
    *,
    since: datetime,
    until: datetime,
    channel: str | None = None,
    team_id: int | None = None,
    agent_id: int | None = None,
    tag: str | None = None,
) -> dict[str, Any]:
    """CSAT of the responses given in [since, until): counts and percent good (None if none).

    Attributed as at rating time (the response keeps the channel, team and agent it was about).
    """
    totals = _responses(
        since=since, until=until, channel=channel, team_id=team_id, agent_id=agent_id, tag=tag
    ).aggregate(responses=Count("id"), good=GOOD)
    responses, good = totals["responses"], totals["good"]
    return {
        "responses": responses,
        "good": good,
        "bad": responses - good,
        "score": score(good, responses),
    }


def csat_by_agent(
    *,
    since: datetime,
    until: datetime,
    channel: str | None = None,
    team_id: int | None = None,
    agent_id: int | None = None,
    tag: str | None = None,
) -> dict[int, dict[str, Any]]:
    """CSAT per agent (as attributed at rating time) for a dashboard's agent rows (1 query)."""
    grouped = (
        _responses(
            since=since, until=until, channel=channel, team_id=team_id, agent_id=agent_id, tag=tag
        )
        .exclude(agent_id=None)
        .values("agent_id")
        .annotate(n=Count("id"), good=GOOD)
    )
    return {
        row["agent_id"]: {
            "responses": row["n"],
            "good": row["good"],
            "score": score(row["good"], row["n"]),
        }
        for row in grouped
    }


@dataclass(frozen=True)
class CsatRow:
    key: Any
    label: str
    responses: int
    good: int

    @property
    def bad(self) -> int:
        return self.responses - self.good

    @property
    def score(self) -> float | None:
        return score(self.good, self.responses)


def _rows(responses: QuerySet[SurveyResponse], field: str, label_field: str) -> list[CsatRow]:
    grouped = (
        responses.values(*dict.fromkeys((field, label_field)))
        .annotate(n=Count("id"), good=GOOD)
        .order_by("-n", field)
    )
    return [
        CsatRow(key=row[field], label=row[label_field] or "", responses=row["n"], good=row["good"])
        for row in grouped
    ]


def csat_report(
    *,
    since: datetime,
    until: datetime,
    channel: str | None = None,
    team_id: int | None = None,
    comments_only_bad: bool = False,
    comments_limit: int = 50,
) -> dict[str, Any]:
    """Everything the managers' CSAT page shows, in a fixed number of queries."""
    responses = _responses(since=since, until=until, channel=channel, team_id=team_id)
    surveys = Survey.objects.filter(status=SurveyStatus.SENT, sent_at__gte=since, sent_at__lt=until)
    if channel:
        surveys = surveys.filter(channel=channel)
    if team_id:
        surveys = surveys.filter(ticket__team_id=team_id)
    sent = surveys.count()
    answered = surveys.filter(response__isnull=False).count()
    channel_labels = dict(Channel.choices)
    by_channel = [
        CsatRow(
            key=row.key,
            label=str(channel_labels.get(row.key, row.key)),
            responses=row.responses,
            good=row.good,
        )
        for row in _rows(responses, "channel", "channel")
    ]
    comments = responses.exclude(comment="").select_related("ticket", "agent", "team", "customer")
    if comments_only_bad:
        comments = comments.filter(is_good=False)
    return {
        "trend": csat_trend(responses=responses, days=(until - since).days),
        "by_macro": _macro_rows(responses),
        "by_article": _article_rows(responses),
        "summary": csat_summary(since=since, until=until, channel=channel, team_id=team_id),
        "sent": sent,
        "response_rate": round(100 * answered / sent, 1) if sent else None,
        "by_agent": _rows(responses, "agent_id", "agent__name"),
        "by_team": _rows(responses, "team_id", "team__name"),
        "by_channel": by_channel,
        "comments": list(comments.order_by("-created_at", "-id")[:comments_limit]),
    }


def csat_trend(*, responses: QuerySet[SurveyResponse], days: int) -> list[CsatRow]:
    """CSAT per day (up to a month), per week (up to a quarter) or per month, oldest first."""
    trunc = TruncDay if days <= 31 else TruncWeek if days <= 92 else TruncMonth
    grouped = (
        responses.annotate(period=trunc("created_at", tzinfo=timezone.get_current_timezone()))
        .values("period")
        .annotate(n=Count("id"), good=GOOD)
        .order_by("period")
    )
    return [
        CsatRow(key=row["period"], label="", responses=row["n"], good=row["good"])
        for row in grouped
    ]


def _macro_rows(responses: QuerySet[SurveyResponse], limit: int = 20) -> list[CsatRow]:
    """CSAT of the conversations each macro was used in (a response counts for every macro)."""
    counts: dict[int, list[int]] = {}
    for macro_ids, good in responses.exclude(macro_ids=[]).values_list("macro_ids", "is_good"):
        for macro_id in set(macro_ids):
            total = counts.setdefault(macro_id, [0, 0])
            total[0] += 1
            total[1] += int(good)
    names = dict(Macro.objects.filter(pk__in=counts).values_list("pk", "name"))
    rows = [
        CsatRow(key=pk, label=names.get(pk, f"#{pk}"), responses=n, good=good)
        for pk, (n, good) in counts.items()
    ]
    return sorted(rows, key=lambda row: (-row.responses, row.label))[:limit]


@dataclass(frozen=True)
class ArticleCsatRow(CsatRow):
    url: str = ""


def _article_rows(responses: QuerySet[SurveyResponse], limit: int = 20) -> list[ArticleCsatRow]:
    """CSAT of the conversations whose agent replies linked each help-center article.

    Titles come from the knowledge app when it is installed (looked up by model name, so
    feedback does not import it); an article deleted since keeps its row as "#id".
    """
    counts: dict[int, list[int]] = {}
    for article_ids, good in responses.exclude(article_ids=[]).values_list(
        "article_ids", "is_good"
    ):
        for article_id in set(article_ids):
            total = counts.setdefault(article_id, [0, 0])
            total[0] += 1
            total[1] += int(good)
    if not counts:
        return []
    titles = _article_titles(list(counts))
    rows = [
        ArticleCsatRow(
            key=pk,
            label=titles.get(pk, (f"#{pk}", ""))[0],
            responses=n,
            good=good,
            url=titles.get(pk, ("", ""))[1],
        )
        for pk, (n, good) in counts.items()
    ]
    return sorted(rows, key=lambda row: (-row.responses, row.label))[:limit]


def _article_titles(article_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Article id → (title in the viewer's language if there is one, help-center URL)."""
    if not apps.is_installed("knowledge"):
        return {}
    try:
        translation_model = apps.get_model("knowledge", "ArticleTranslation")
    except LookupError:
        return {}
    language = (get_language() or settings.LANGUAGE_CODE)[:2]
    found: dict[int, tuple[str, str]] = {}
    rows = translation_model.objects.filter(article_id__in=article_ids).values_list(
        "article_id", "language", "title"
    )
    for article_id, lang, title in sorted(rows, key=lambda row: row[1] != language):
        if article_id not in found:
            try:
                url = reverse("knowledge:article_short", kwargs={"lang": lang, "pk": article_id})
            except NoReverseMatch:
                url = ""
            found[article_id] = (title, url)
    return found


def agent_csat(*, agent_id: int, since: datetime, until: datetime) -> dict[str, Any]:
    """One agent's CSAT over a period (for an agent profile or dashboard)."""
    totals = SurveyResponse.objects.filter(
        agent_id=agent_id, created_at__gte=since, created_at__lt=until
    ).aggregate(responses=Count("id"), good=GOOD)
    return {
        **totals,
        "bad": totals["responses"] - totals["good"],
        "score": score(totals["good"], totals["responses"]),
    }


def responses_for_api(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    channel: str | None = None,
    agent_id: int | None = None,
    team_id: int | None = None,
    good: bool | None = None,
) -> QuerySet[SurveyResponse]:
    responses = SurveyResponse.objects.select_related("survey")
    if since:
        responses = responses.filter(created_at__gte=since)
    if until:
        responses = responses.filter(created_at__lt=until)
    if channel:
        responses = responses.filter(channel=channel)
    if agent_id:
        responses = responses.filter(agent_id=agent_id)
    if team_id:
        responses = responses.filter(team_id=team_id)
    if good is not None:
        responses = responses.filter(is_good=good)
    return responses
