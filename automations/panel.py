"""The "Automations" side panel on the agent's ticket page: what rules did to this ticket."""

from __future__ import annotations

from django.template.loader import render_to_string

from .models import AutomationRun

PANEL_RUNS = 10


def render_ticket_panel(request, ticket) -> str:
    runs = list(
        AutomationRun.objects.filter(ticket=ticket).order_by("-created_at", "-id")[:PANEL_RUNS]
    )
    if not runs:
        return ""
    return render_to_string(
        "automations/_ticket_panel.html",
        {"runs": runs, "can_manage": request.user.can_manage},
        request=request,
    )
