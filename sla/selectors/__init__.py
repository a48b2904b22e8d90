"""Reads for the manager dashboards; every function runs a fixed, small number of queries.

now.py          open work right now (live ticket rows)
performance.py  the Performance page: rollups for large periods, exact stored measurements else
attainment.py   SLA attainment from judged clock runs; the backlog trend
feedback.py     CSAT from the feedback app when installed
common.py       the period and its filters, percentiles, rates
"""

from .attainment import backlog_trend, sla_attainment
from .common import PercentileCont, Period
from .feedback import csat_by_agent, csat_summary
from .now import ABOUT_TO_BREACH, LIST_LIMIT, WAITING_STATUSES, NowSnapshot, now_snapshot
from .performance import performance_report

__all__ = [
    "ABOUT_TO_BREACH",
    "LIST_LIMIT",
    "WAITING_STATUSES",
    "NowSnapshot",
    "Period",
    "PercentileCont",
    "backlog_trend",
    "csat_by_agent",
    "csat_summary",
    "now_snapshot",
    "performance_report",
    "sla_attainment",
]
