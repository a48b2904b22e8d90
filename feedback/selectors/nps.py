"""NPS numbers: the campaign list, a campaign's results by segment, its trend and comments.

NPS = % promoters (9–10) − % detractors (0–6) of the answers, from −100 to 100. Every number
is counted in the database (a campaign may survey a hundred thousand customers); the segment
values are the ones kept on each recipient row when it was drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from customers.models import Organization
from tickets.models import Channel

from ..models import NpsCampaign, NpsRecipient, RecipientSkip, RecipientStatus
from ..nps_models import DETRACTOR_MAX, PROMOTER_MIN

SENT = Q(status=RecipientStatus.SENT)
ANSWERED = Q(score__isnull=False)
PROMOTERS = Q(score__gte=PROMOTER_MIN)
DETRACTORS = Q(score__lte=DETRACTOR_MAX)
PASSIVES = Q(score__gt=DETRACTOR_MAX, score__lt=PROMOTER_MIN)


def nps(promoters: int, detractors: int, responses: int) -> int | None:
    return round(100 * (promoters - detractors) / responses) if responses else None


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class NpsRow:
    key: object
    label: str = ""
    sent: int = 0
    responses: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def nps(self) -> int | None:
        return nps(self.promoters, self.detractors, self.responses)

    @property
    def response_rate(self) -> float | None:
        return _percent(self.responses, self.sent)

    @property
    def promoter_share(self) -> float | None:
        return _percent(self.promoters, self.responses)

    @property
    def passive_share(self) -> float | None:
        return _percent(self.passives, self.responses)

    @property
    def detractor_share(self) -> float | None:
        return _percent(self.detractors, self.responses)


COUNTS = {
    "sent": Count("id", filter=SENT),
    "responses": Count("id", filter=ANSWERED),
    "promoters": Count("id", filter=PROMOTERS),
    "passives": Count("id", filter=PASSIVES),
    "detractors": Count("id", filter=DETRACTORS),
}


def campaigns_with_numbers() -> list[tuple[NpsCampaign, NpsRow]]:
    campaigns = list(NpsCampaign.objects.annotate(**{f"n_{k}": v for k, v in _counts().items()}))
    return [
        (
            campaign,
            NpsRow(key=campaign.pk, **{k: getattr(campaign, f"n_{k}") for k in COUNTS}),
        )
        for campaign in campaigns
    ]


def _counts() -> dict:
    return {
        "sent": Count("recipients", filter=Q(recipients__status=RecipientStatus.SENT)),
        "responses": Count("recipients", filter=Q(recipients__score__isnull=False)),
        "promoters": Count("recipients", filter=Q(recipients__score__gte=PROMOTER_MIN)),
        "passives": Count(
            "recipients",
            filter=Q(recipients__score__gt=DETRACTOR_MAX, recipients__score__lt=PROMOTER_MIN),
        ),
        "detractors": Count("recipients", filter=Q(recipients__score__lte=DETRACTOR_MAX)),
    }


@dataclass
class CampaignResults:
    summary: NpsRow
    queued: int
    drawn: int
    skipped: list[tuple[str, int]]
    distribution: list[tuple[int, int]]
    by_tag: list[NpsRow] = field(default_factory=list)
    by_organization: list[NpsRow] = field(default_factory=list)
    by_language: list[NpsRow] = field(default_factory=list)
    by_channel: list[NpsRow] = field(default_factory=list)
    by_vip: list[NpsRow] = field(default_factory=list)
    trend: list[NpsRow] = field(default_factory=list)


def _rows(recipients: QuerySet, column: str) -> list[NpsRow]:
    grouped = recipients.values(column).annotate(**COUNTS).order_by("-sent", column)
    return [NpsRow(key=row.pop(column), **row) for row in grouped if row["sent"]]


def _tag_rows(campaign: NpsCampaign) -> list[NpsRow]:
    # One row per tag a recipient had when drawn: unnest the array in SQL.
    sql = """
        SELECT tag,
               count(*) FILTER (WHERE status = %s),
               count(score),
               count(*) FILTER (WHERE score >= %s),
               count(*) FILTER (WHERE score > %s AND score < %s),
               count(*) FILTER (WHERE score <= %s)
          FROM feedback_npsrecipient, unnest(tags) AS tag
         WHERE campaign_id = %s
         GROUP BY tag
        HAVING count(*) FILTER (WHERE status = %s) > 0
         ORDER BY 2 DESC, tag
         LIMIT 50
    """
    params = [
        RecipientStatus.SENT,
        PROMOTER_MIN,
        DETRACTOR_MAX,
        PROMOTER_MIN,
        DETRACTOR_MAX,
        campaign.pk,
        RecipientStatus.SENT,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            NpsRow(key=tag, label=tag, sent=s, responses=r, promoters=p, passives=n, detractors=d)
            for tag, s, r, p, n, d in cursor.fetchall()
        ]


def campaign_results(campaign: NpsCampaign) -> CampaignResults:
    recipients = NpsRecipient.objects.filter(campaign=campaign)
    totals = recipients.aggregate(
        **COUNTS,
        queued=Count("id", filter=Q(status=RecipientStatus.QUEUED)),
        drawn=Count("id"),
    )
    queued, drawn = totals.pop("queued"), totals.pop("drawn")
    skipped_counts = dict(
        recipients.filter(status=RecipientStatus.SKIPPED)
        .values_list("skip_reason")
        .annotate(n=Count("id"))
        .values_list("skip_reason", "n")
    )
    skipped = [
        (label, skipped_counts[value])
        for value, label in RecipientSkip.choices
        if skipped_counts.get(value)
    ]
    scores = dict(
        recipients.filter(ANSWERED)
        .values_list("score")
        .annotate(n=Count("id"))
        .values_list("score", "n")
    )
    results = CampaignResults(
        summary=NpsRow(key="all", **totals),
        queued=queued,
        drawn=drawn,
        skipped=skipped,
        distribution=[(score, scores.get(score, 0)) for score in range(11)],
    )
    if not totals["sent"]:
        return results
    results.by_tag = _tag_rows(campaign)
    results.by_organization = _rows(recipients, "organization_id")
    names = dict(
        Organization.objects.filter(
            pk__in=[row.key for row in results.by_organization if row.key]
        ).values_list("pk", "name")
    )
    for row in results.by_organization:
        row.label = names.get(row.key, "")
    results.by_language = _rows(recipients, "language")
    language_names = dict(settings.LANGUAGES)
    for row in results.by_language:
        row.label = str(language_names.get(row.key, row.key))
    results.by_channel = _rows(recipients.filter(SENT), "channel")
    channel_labels = dict(Channel.choices)
    for row in results.by_channel:
        row.label = str(channel_labels.get(row.key, row.key))
    results.by_vip = _rows(recipients, "vip")
    results.trend = weekly_trend(campaign)
    return results


def weekly_trend(campaign: NpsCampaign) -> list[NpsRow]:
    """NPS of the answers given each week (by the time of the first answer)."""
    weeks = (
        NpsRecipient.objects.filter(campaign=campaign, answered_at__isnull=False)
        .annotate(week=TruncWeek("answered_at", tzinfo=timezone.get_current_timezone()))
        .values("week")
        .annotate(
            responses=Count("id"),
            promoters=Count("id", filter=PROMOTERS),
            passives=Count("id", filter=PASSIVES),
            detractors=Count("id", filter=DETRACTORS),
        )
        .order_by("week")
    )
    return [NpsRow(key=row.pop("week"), **row) for row in weeks]


CATEGORY_FILTERS = {"promoter": PROMOTERS, "passive": PASSIVES, "detractor": DETRACTORS}


def campaign_comments(
    campaign: NpsCampaign, *, category: str = "", limit: int = 100
) -> list[NpsRecipient]:
    comments = (
        NpsRecipient.objects.filter(campaign=campaign, score__isnull=False)
        .exclude(comment="")
        .select_related("customer", "organization", "ticket")
    )
    if category in CATEGORY_FILTERS:
        comments = comments.filter(CATEGORY_FILTERS[category])
    return list(comments.order_by("-answered_at", "-id")[:limit])


def export_rows(campaign: NpsCampaign, *, since: datetime | None = None):
    """Every answer of the campaign, oldest first, for the CSV export (streamed)."""
    answers = (
        NpsRecipient.objects.filter(campaign=campaign, score__isnull=False)
        .select_related("organization")
        .order_by("answered_at", "id")
    )
    if since:
        answers = answers.filter(answered_at__gte=since)
    return answers.iterator(chunk_size=2000)
