"""SLA models, one module per responsibility; every model is importable from `sla.models`.

calendars.py     business calendars, their weekly hours and closures
policies.py      policies (conditions) and their targets per priority and metric
measurements.py  each ticket's measured clocks (TicketSla, SlaClock) and the notices sent
mailings.py      scheduled report mail
rollups.py       the dashboards' derived rollup rows
"""

from .calendars import BusinessCalendar, BusinessHours, Closure, _public_holidays
from .mailings import ReportKind, ReportMailing
from .measurements import SlaClock, SlaNotice, TicketSla
from .policies import Metric, PolicyTarget, SlaPolicy
from .rollups import (
    AgentDailyRollup,
    AgentDayTotal,
    ClockRollup,
    DailyRollup,
    HourlyRollup,
    RollupDirtyHour,
    TagClockRollup,
    TagDailyRollup,
    TagDayTotal,
    TagHourlyRollup,
)

__all__ = [
    "AgentDailyRollup",
    "AgentDayTotal",
    "BusinessCalendar",
    "BusinessHours",
    "ClockRollup",
    "Closure",
    "DailyRollup",
    "HourlyRollup",
    "Metric",
    "PolicyTarget",
    "ReportKind",
    "ReportMailing",
    "RollupDirtyHour",
    "SlaClock",
    "SlaNotice",
    "SlaPolicy",
    "TagClockRollup",
    "TagDailyRollup",
    "TagDayTotal",
    "TagHourlyRollup",
    "TicketSla",
    "_public_holidays",
]
