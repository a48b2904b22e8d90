"""Turning rollup sums into the Performance report's rows (shared by every rollup grain).

Inputs are keyed by (group, key): ("", None) is the total, ("channel", "email"), ("team_id", 3),
("agent_id", 7), ("metric", "first_reply"). `sums` rows hold the counters of one rollup row
summed (created, first_replies, …, csat_responses, csat_good); `histograms` map the same keys
to {"first_reply": {bucket: count}, "resolution": {...}}; `clocks` to {"met", "breached"}.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps

from helpdesk.models import User
from tickets.models import Channel

from ..histograms import estimate_percentile
from .common import Period, rate, report_changes, team_names


def time_stat(histograms: dict, key: tuple, measure: str, count: int) -> dict:
    histogram = histograms.get(key, {}).get(measure, {})
    return {
        "count": count,
        "median": estimate_percentile(histogram, 0.5),
        "p90": estimate_percentile(histogram, 0.9),
    }


def attainment_of(row: dict | None) -> dict:
    met, breached = (row or {}).get("met", 0), (row or {}).get("breached", 0)
    return {"judged": met + breached, "met": met, "rate": rate(met, met + breached)}


def csat_of(row: dict | None) -> dict:
    """The feedback app's CSAT summary shape, from a rollup row's counters."""
    responses, good = (
        int((row or {}).get("csat_responses", 0)),
        int((row or {}).get("csat_good", 0)),
    )
    return {
        "responses": responses,
        "good": good,
        "bad": responses - good,
        "score": rate(good, responses),
    }


def csat_groups(sums: dict, group: str) -> dict:
    """{key: {"responses", "good", "score"}} of a group's rows with ratings (feedback's shape)."""
    out = {}
    for (name, key), row in sums.items():
        if name == group and row.get("csat_responses"):
            summary = csat_of(row)
            out[key] = {k: summary[k] for k in ("responses", "good", "score")}
    return out


def overall_of(sums: dict, histograms: dict, clocks: dict, key: tuple) -> dict:
    row = sums.get(key) or {}
    solved, one_touch, reopened = (int(row.get(c, 0)) for c in ("solved", "one_touch", "reopened"))
    return {
        "tickets": int(row.get("created", 0)),
        "first_reply": time_stat(histograms, key, "first_reply", int(row.get("first_replies", 0))),
        "resolution": time_stat(histograms, key, "resolution", int(row.get("resolutions", 0))),
        "solved": solved,
        "one_touch": one_touch,
        "reopened": reopened,
        "one_touch_rate": rate(one_touch, solved),
        "reopen_rate": rate(reopened, solved),
        "attainment": attainment_of(clocks.get(key)),
    }


def _measured(row: dict) -> bool:
    return bool(row.get("first_replies") or row.get("resolutions"))


def _stat_or_none(histograms: dict, key: tuple, measure: str, row: dict) -> dict | None:
    count = int(row.get("first_replies" if measure == "first_reply" else "resolutions", 0))
    return time_stat(histograms, key, measure, count) if count else None


def breakdown(sums, histograms, clocks, group: str, labels: dict) -> list[dict]:
    """Channel or team rows: measured, judged or rated in the period."""
    csat = csat_groups(sums, group)
    keys = {key for (name, key), row in sums.items() if name == group and _measured(row)}
    keys |= {key for name, key in clocks if name == group} | set(csat)
    rows = []
    for key in keys:
        row = sums.get((group, key), {})
        rows.append(
            {
                "key": key,
                "label": labels.get(key, key) if key is not None else None,
                "first_reply": _stat_or_none(histograms, (group, key), "first_reply", row),
                "resolution": _stat_or_none(histograms, (group, key), "resolution", row),
                "attainment": attainment_of(clocks[(group, key)])
                if (group, key) in clocks
                else None,
                "csat": csat.get(key),
            }
        )
    return sorted(rows, key=lambda row: (str(labels.get(row["key"], "")), str(row["key"])))


def agent_breakdown(sums: dict, histograms: dict, csat: dict | None) -> list[dict]:
    keys = {key for (name, key), row in sums.items() if name == "agent_id" and _measured(row)}
    ids = {key for key in (*keys, *(csat or {})) if key is not None}
    names = {user.pk: user.display_name for user in User.objects.filter(pk__in=ids)}
    rows = []
    for key in ids:
        row = sums.get(("agent_id", key), {})
        rows.append(
            {
                "key": key,
                "label": names.get(key, "—"),
                "first_reply": _stat_or_none(histograms, ("agent_id", key), "first_reply", row),
                "resolution": _stat_or_none(histograms, ("agent_id", key), "resolution", row),
                "attainment": None,
                "csat": (csat or {}).get(key),
            }
        )
    return sorted(rows, key=lambda row: (row["label"], row["key"]))


def backlog_of(period: Period, per_day: dict[dt.date, tuple[int, int]], opening: int) -> list:
    """The daily trend from (created, solved) per local day and the backlog before the period."""
    trend, backlog = [], opening
    for day in period.days:
        created, solved = per_day.get(day, (0, 0))
        backlog += created - solved
        trend.append({"day": day, "created": created, "solved": solved, "backlog": backlog})
    return trend


def report(
    *,
    overall: dict,
    previous: dict,
    overall_sums: dict | None,
    previous_sums: dict,
    sums: dict,
    histograms: dict,
    clocks: dict,
    agent_sums: dict,
    agent_histograms: dict,
    volume_by_hour: dict,
    week_grid: dict,
    backlog: list,
) -> dict:
    """The Performance report from one rollup grain's sums (hourly or daily read it the same)."""
    rated = apps.is_installed("feedback")
    csat = csat_of(overall_sums) if rated else None
    previous_csat = csat_of(previous_sums.get(("", None))) if rated else None
    channel_labels = dict(Channel.choices)
    volume = [
        {"channel": key, "count": row["created"], "label": channel_labels.get(key, key)}
        for (group, key), row in sums.items()
        if group == "channel" and row["created"]
    ]
    return {
        "overall": overall,
        "previous": previous,
        "changes": report_changes(overall, previous, csat, previous_csat),
        # Equal counts in channel order: the same table on every grain and every reload.
        "volume_by_channel": sorted(volume, key=lambda row: (-row["count"], row["channel"])),
        "volume_by_hour": [{"hour": h, "count": volume_by_hour[h]} for h in range(24)],
        "week_grid": {key: count for key, count in week_grid.items() if count},
        "by_channel": breakdown(sums, histograms, clocks, "channel", channel_labels),
        "by_team": breakdown(sums, histograms, clocks, "team_id", team_names()),
        "by_agent": agent_breakdown(
            agent_sums, agent_histograms, csat_groups(agent_sums, "agent_id") if rated else None
        ),
        "attainment_by_metric": {
            key: {"metric": key, **attainment_of(row)}
            for (group, key), row in clocks.items()
            if group == "metric"
        },
        "backlog": backlog,
        "csat": csat,
        "previous_csat": previous_csat,
    }
