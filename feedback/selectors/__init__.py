"""Reads of the feedback app, by responsibility:

csat.py     CSAT numbers (dashboards, reports page, agent profile, API)
tickets.py  the ticket panel and the customer sidebar
items.py    feedback items, their links and the revenue behind them
setup.py    survey settings per channel and follow-up templates
"""

from .csat import (
    ArticleCsatRow,
    CsatRow,
    agent_csat,
    csat_by_agent,
    csat_report,
    csat_summary,
    csat_trend,
    responses_for_api,
)
from .items import (
    feedback_item,
    feedback_items,
    item_links,
    item_notified_customer_ids,
    items_revenue,
    open_items_for_linking,
)
from .setup import followup_templates, survey_settings_rows
from .tickets import (
    customer_csat,
    scheduled_followups_count,
    survey_for_ticket,
    ticket_feedback_links,
    ticket_followups,
)

__all__ = [
    "ArticleCsatRow",
    "CsatRow",
    "agent_csat",
    "csat_by_agent",
    "csat_report",
    "csat_summary",
    "csat_trend",
    "customer_csat",
    "feedback_item",
    "feedback_items",
    "followup_templates",
    "item_links",
    "item_notified_customer_ids",
    "items_revenue",
    "open_items_for_linking",
    "responses_for_api",
    "scheduled_followups_count",
    "survey_for_ticket",
    "survey_settings_rows",
    "ticket_feedback_links",
    "ticket_followups",
]
