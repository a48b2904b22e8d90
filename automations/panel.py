"""The "Automations" side panel on the agent's ticket page: what rules did to this ticket.

Its data is one jsonb value of the sidebar's single panel query (`panel_query`, see
tickets.panels) rather than an ORM query of its own (~1.5 ms of CPU per sidebar to build).
"""

from __future__ import annotations

from django.template.loader import render_to_string

from tickets import panels

from .models import AutomationRun

PANEL_RUNS = 10


def panel_query() -> panels.PanelQuery:
    table = f'"{AutomationRun._meta.db_table}"'
    sql = (
        f"(SELECT jsonb_agg({panels.json_object_sql(AutomationRun, 'r')} "  # noqa: S608 - names from models
        f"ORDER BY r.created_at DESC, r.id DESC) FROM (SELECT * FROM {table} "
        "WHERE ticket_id = %s ORDER BY created_at DESC, id DESC LIMIT %s) r)"
    )
    return panels.PanelQuery(sql, (panels.TICKET_ID, PANEL_RUNS))


def render_ticket_panel(request, ticket, data: list | None = panels.NOT_READ) -> str:
    if data is panels.NOT_READ:
        data = panels.panel_data(panel_query, ticket)
    runs = panels.instances(AutomationRun, data)
    if not runs:
        return ""
    return render_to_string(
        "automations/_ticket_panel.html",
        {"runs": runs, "can_manage": request.user.can_manage},
        request=request,
    )
