"""The SLA side panel on the agent's ticket page (registered in SlaConfig.ready)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from .models import SlaClock, TicketSla


def render_sla_panel(request, ticket) -> str:
    state = TicketSla.objects.select_related("policy", "calendar").filter(ticket=ticket).first()
    if state is None:
        return ""
    clocks = list(SlaClock.objects.filter(ticket=ticket).order_by("-started_at", "-id")[:12])
    now = timezone.now()
    for clock in clocks:
        clock.overdue = bool(
            clock.completed_at is None and clock.due_at is not None and clock.due_at <= now
        )
    return render_to_string(
        "sla/_ticket_panel.html", {"state": state, "clocks": clocks}, request=request
    )
