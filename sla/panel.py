"""The SLA side panel on the agent's ticket page (registered in SlaConfig.ready).

Its data (the ticket's SLA state with policy and calendar, and its latest clocks) is one jsonb
value of the sidebar's single panel query (`panel_query`, see tickets.panels): the two ORM
queries it replaces cost ~4 ms of CPU per sidebar to build.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from tickets import panels

from .models import BusinessCalendar, SlaClock, SlaPolicy, TicketSla

PANEL_CLOCKS = 12


def _q(model) -> str:
    return f'"{model._meta.db_table}"'


def panel_query() -> panels.PanelQuery:
    obj = panels.json_object_sql
    sql = (
        f"(SELECT {obj(TicketSla, 's')} || jsonb_build_object("  # noqa: S608 - names from models
        f"'policy', (SELECT {obj(SlaPolicy, 'p')} FROM {_q(SlaPolicy)} p WHERE p.id = s.policy_id), "
        f"'calendar', (SELECT {obj(BusinessCalendar, 'b')} FROM {_q(BusinessCalendar)} b "
        "WHERE b.id = s.calendar_id), "
        f"'clocks', (SELECT jsonb_agg({obj(SlaClock, 'c')} ORDER BY c.started_at DESC, c.id DESC) "
        f"FROM (SELECT * FROM {_q(SlaClock)} WHERE ticket_id = s.ticket_id "
        "ORDER BY started_at DESC, id DESC LIMIT %s) c)"
        f") FROM {_q(TicketSla)} s WHERE s.ticket_id = %s)"
    )
    return panels.PanelQuery(sql, (PANEL_CLOCKS, panels.TICKET_ID))


def render_sla_panel(request, ticket, data: dict[str, Any] | None = panels.NOT_READ) -> str:
    if data is panels.NOT_READ:
        data = panels.panel_data(panel_query, ticket)
    if data is None:  # no SLA state: the ticket predates the sla app or was never measured
        return ""
    state = panels.instances(TicketSla, [data], policy=SlaPolicy, calendar=BusinessCalendar)[0]
    clocks = panels.instances(SlaClock, data["clocks"])
    now = timezone.now()
    for clock in clocks:
        clock.overdue = bool(
            clock.completed_at is None and clock.due_at is not None and clock.due_at <= now
        )
    return render_to_string(
        "sla/_ticket_panel.html", {"state": state, "clocks": clocks}, request=request
    )
