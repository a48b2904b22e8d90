"""Dashboard pages (thin): parse filters, call a selector, render or export."""

from __future__ import annotations

import csv
import datetime as dt

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from . import charts, selectors
from .access import manager_required
from .forms import PerformanceFilterForm

WEEKDAY_SHORT = [
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
]
NOW_REFRESH_SECONDS = 15  # a fallback: socket events refresh at once


@manager_required
@require_GET
def now(request):
    context = {"snapshot": selectors.now_snapshot(), "refresh_seconds": NOW_REFRESH_SECONDS}
    snapshot = context["snapshot"]
    context["channel_bars"] = charts.share_bars(snapshot.by_channel, "open")
    # Polling asks for the panel only; a full page load gets the whole page around it.
    template = "sla/_now_panel.html" if request.htmx else "sla/now.html"
    return render(request, template, context)


def _period(request) -> tuple[PerformanceFilterForm, selectors.Period]:
    form = PerformanceFilterForm(request.GET or None)
    first, last = form.date_range()
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    team, agent = data.get("team"), data.get("agent")
    period = selectors.Period(
        since=since,
        until=until,
        channel=data.get("channel") or "",
        team_id=team.pk if team else None,
        agent_id=agent.pk if agent else None,
        tag=data.get("tag") or "",
    )
    return form, period


@manager_required
@require_GET
def performance(request):
    form, period = _period(request)
    report = selectors.performance_report(period)
    hours = [row["count"] for row in report["volume_by_hour"]]
    backlog = report["backlog"]
    # Fill about 840 units whatever the period: 7 days get wide columns, 90 days thin ones.
    step = max(8, min(120, 840 // max(len(backlog), 1)))
    label_every = -(-len(backlog) // 10)
    context = {
        "form": form,
        "period": period,
        "first_day": period.days[0],
        "last_day": period.days[-1],
        "report": report,
        "hour_chart": charts.column_chart(hours),
        "heatmap": charts.heatmap(report["week_grid"], [str(day) for day in WEEKDAY_SHORT]),
        "channel_bars": charts.share_bars(report["volume_by_channel"], "count"),
        "backlog_chart": {
            **charts.column_chart([row["created"] for row in backlog], width=step - 4, gap=4),
            "line": charts.line_points([row["backlog"] for row in backlog], step=step),
            "days": backlog,
            "labels": [
                {"x": index * step, "day": row["day"]}
                for index, row in enumerate(backlog)
                if index % label_every == 0
            ],
            "peak_backlog": max((row["backlog"] for row in backlog), default=0),
        },
        "query": request.GET.urlencode(),
    }
    return render(request, "sla/performance.html", context)


def _minutes(stat: dict | None, key: str) -> str:
    value = (stat or {}).get(key)
    return "" if value is None else f"{value:.1f}"


@manager_required
@require_GET
def performance_csv(request):
    _form, period = _period(request)
    report = selectors.performance_report(period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    first, last = period.days[0], period.days[-1]
    response["Content-Disposition"] = f'attachment; filename="performance-{first}-{last}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 (Japanese names) correctly only with a BOM
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Group"),
            _("Name"),
            _("First replies"),
            _("First reply median (business min)"),
            _("First reply p90 (business min)"),
            _("Solved"),
            _("Resolution median (business min)"),
            _("Resolution p90 (business min)"),
            _("SLA attainment %"),
            _("CSAT %"),
        ]
    )
    sections = [
        (_("Channel"), report["by_channel"]),
        (_("Team"), report["by_team"]),
        (_("Agent"), report["by_agent"]),
    ]
    for section, rows in sections:
        for row in rows:
            attainment = row["attainment"] or {}
            writer.writerow(
                [
                    section,
                    _csv_safe(str(row["label"] or _("No team"))),
                    (row["first_reply"] or {}).get("count", 0),
                    _minutes(row["first_reply"], "median"),
                    _minutes(row["first_reply"], "p90"),
                    (row["resolution"] or {}).get("count", 0),
                    _minutes(row["resolution"], "median"),
                    _minutes(row["resolution"], "p90"),
                    "" if attainment.get("rate") is None else attainment["rate"],
                    "" if (row.get("csat") or {}).get("score") is None else row["csat"]["score"],
                ]
            )
    return response


def _csv_safe(text: str) -> str:
    # Names come from staff input: a leading =, +, - or @ would run as a formula in a sheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
