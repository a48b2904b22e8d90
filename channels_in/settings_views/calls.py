"""Phone calls logged by agents (a new phone ticket, or a note on an existing ticket)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from helpdesk.roles import staff_required


@staff_required
@require_http_methods(["GET", "POST"])
def call_log(request, ticket_pk: int | None = None):
    """Log a call as a new phone ticket, or (`ticket_pk`) on an existing ticket."""
    from tickets.selectors import ticket_for_agent

    from ..phone import CallFacts, log_call
    from ..settings_forms import CallLogForm

    ticket = ticket_for_agent(ticket_id=ticket_pk, viewer=request.user) if ticket_pk else None
    initial = {}
    if ticket is not None and ticket.identity and ticket.identity.kind in ("phone", "sms"):
        initial["number"] = ticket.identity.handle
    form = CallLogForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        facts = CallFacts(
            direction=data["direction"],
            number=data["number"],
            duration_seconds=data["duration_seconds"],
            outcome=data["outcome"],
            notes=data["notes"],
        )
        try:
            note = log_call(agent=request.user, facts=facts, ticket=ticket)
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You are not allowed to do that."))
        else:
            messages.success(request, _("Call logged."))
            return redirect("tickets:detail", pk=note.ticket_id)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "channels_in/social/call_form.html",
        {"form": form, "ticket": ticket},
        status=status,
    )
