"""Knowledge-gap reports for managers: what customers look for and do not find.

All numbers come from SearchQueryLog, ArticleFeedback and ContactAttempt over one period and,
optionally, one language; each list is one grouped query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Max, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from .models import (
    ArticleFeedback,
    ArticleTranslation,
    BotQuestion,
    ContactAttempt,
    SearchQueryLog,
)

PERIOD_DAYS = (7, 30, 90)
TOP = 20
COMMENTS_PER_ARTICLE = 3


@dataclass
class Deflection:
    visits: int = 0
    with_suggestions: int = 0
    opened_article: int = 0
    sent: int = 0
    deflected: int = 0

    @property
    def rate(self) -> float | None:
        """Share of the visits that were shown suggestions and left without writing to us."""
        return self.deflected / self.with_suggestions if self.with_suggestions else None


@dataclass
class BotDeflection:
    asked: int = 0
    answered: int = 0
    solved: int = 0
    led_to_ticket: int = 0
    unanswered: list[dict] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        """Share of the answered questions whose asker said "this solved my problem"."""
        return self.solved / self.answered if self.answered else None


@dataclass
class UnhelpfulArticle:
    translation: ArticleTranslation
    unhelpful: int
    helpful: int
    comments: list[ArticleFeedback] = field(default_factory=list)


@dataclass
class GapReport:
    since: datetime
    language: str
    searches: int
    no_results: list[dict]
    no_click: list[dict]
    led_to_ticket: list[dict]
    top_searches: list[dict]
    unhelpful: list[UnhelpfulArticle]
    deflection: Deflection
    bot: BotDeflection = field(default_factory=BotDeflection)


def _searches(since: datetime, language: str) -> QuerySet[SearchQueryLog]:
    logs = SearchQueryLog.objects.filter(created_at__gte=since)
    return logs.filter(language=language) if language else logs


def _grouped(logs: QuerySet[SearchQueryLog]) -> list[dict]:
    """Searches grouped by their text (case folded): how often, last seen, one language."""
    return list(
        logs.annotate(text=Lower("query"))
        .values("text")
        .annotate(
            count=Count("id"),
            last=Max("created_at"),
            language=Max("language"),
            results=Avg("result_count"),
            clicks=Count("id", filter=Q(clicked_article__isnull=False)),
            tickets=Count("id", filter=Q(led_to_ticket=True)),
        )
        .order_by("-count", "-last")[:TOP]
    )


def gap_report(*, days: int, language: str = "", now: datetime | None = None) -> GapReport:
    since = (now or timezone.now()) - timedelta(days=days)
    logs = _searches(since, language)
    return GapReport(
        since=since,
        language=language,
        searches=logs.count(),
        no_results=_grouped(logs.filter(result_count=0)),
        no_click=_grouped(logs.filter(result_count__gt=0, clicked_article__isnull=True)),
        led_to_ticket=_grouped(logs.filter(led_to_ticket=True)),
        top_searches=_grouped(logs),
        unhelpful=unhelpful_articles(since, language),
        deflection=deflection(since, language),
        bot=bot_deflection(since, language),
    )


def unhelpful_articles(since: datetime, language: str) -> list[UnhelpfulArticle]:
    """Articles with the most "not helpful" answers given in the period, with their comments."""
    votes = ArticleFeedback.objects.filter(updated_at__gte=since)
    if language:
        votes = votes.filter(translation__language=language)
    counts = list(
        votes.values("translation_id")
        .annotate(
            unhelpful=Count("id", filter=Q(helpful=False)),
            helpful=Count("id", filter=Q(helpful=True)),
        )
        .filter(unhelpful__gt=0)
        .order_by("-unhelpful", "helpful", "translation_id")[:TOP]
    )
    ids = [row["translation_id"] for row in counts]
    translations = (
        ArticleTranslation.objects.select_related("article")
        .defer("body", "body_html", "body_text", "search_vector")
        .in_bulk(ids)
    )
    comments: dict[int, list[ArticleFeedback]] = {}
    for feedback in votes.filter(translation_id__in=ids, helpful=False).exclude(comment="")[:200]:
        bucket = comments.setdefault(feedback.translation_id, [])
        if len(bucket) < COMMENTS_PER_ARTICLE:
            bucket.append(feedback)
    return [
        UnhelpfulArticle(
            translations[row["translation_id"]],
            row["unhelpful"],
            row["helpful"],
            comments.get(row["translation_id"], []),
        )
        for row in counts
    ]


def deflection(since: datetime, language: str) -> Deflection:
    visits = ContactAttempt.objects.filter(created_at__gte=since)
    if language:
        visits = visits.filter(language=language)
    shown = Q(suggestions_shown__gt=0)
    opened = Q(opened_article__isnull=False)
    sent = Q(submitted_at__isnull=False)
    numbers = visits.aggregate(
        n_visits=Count("id"),
        n_with_suggestions=Count("id", filter=shown),
        n_opened_article=Count("id", filter=shown & opened),
        n_sent=Count("id", filter=sent),
        n_deflected=Count("id", filter=shown & opened & ~sent),
    )
    # Aggregate names may not repeat field names (opened_article): prefixed, then unprefixed.
    return Deflection(**{name[2:]: value for name, value in numbers.items()})


def bot_deflection(since: datetime, language: str) -> BotDeflection:
    questions = BotQuestion.objects.filter(created_at__gte=since)
    if language:
        questions = questions.filter(language=language)
    numbers = questions.aggregate(
        asked=Count("id"),
        answered=Count("id", filter=~Q(offered=[])),
        solved=Count("id", filter=Q(solved_at__isnull=False)),
        tickets=Count("id", filter=Q(led_to_ticket=True)),
    )
    unanswered = list(
        questions.filter(offered=[])
        .annotate(text=Lower("question"))
        .values("text")
        .annotate(
            count=Count("id"),
            last=Max("created_at"),
            language=Max("language"),
            tickets=Count("id", filter=Q(led_to_ticket=True)),
        )
        .order_by("-count", "-last")[:TOP]
    )
    return BotDeflection(
        asked=numbers["asked"],
        answered=numbers["answered"],
        solved=numbers["solved"],
        led_to_ticket=numbers["tickets"],
        unanswered=unanswered,
    )
