"""Held and failed inbound events: the buttons beside `release_inbound` / `replay_inbound`."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .access import admin_required


@admin_required
@require_POST
def inbound_release(request, pk: int):
    from .. import services
    from ..models import InboundStatus

    try:
        event = services.release_held_event(pk)
    except services.NotActionable:
        messages.error(request, _("Event %(id)s is not held (any more).") % {"id": pk})
        return _attention_back(request)
    _report_outcome(request, event, InboundStatus)
    return _attention_back(request)


@admin_required
@require_POST
def inbound_retry(request, pk: int):
    from .. import services
    from ..models import InboundStatus

    try:
        event = services.retry_failed_event(pk)
    except services.NotActionable:
        messages.error(request, _("Event %(id)s has not failed (any more).") % {"id": pk})
        return _attention_back(request)
    _report_outcome(request, event, InboundStatus)
    return _attention_back(request)


def _report_outcome(request, event, InboundStatus) -> None:
    if event.status == InboundStatus.PROCESSED:
        messages.success(request, _("Event %(id)s was filed.") % {"id": event.pk})
    elif event.status == InboundStatus.HELD:
        messages.warning(
            request,
            _("Event %(id)s is held again: %(reason)s")
            % {"id": event.pk, "reason": event.error or _("the sender is blocked")},
        )
    else:
        messages.error(
            request,
            _("Event %(id)s failed again: %(error)s") % {"id": event.pk, "error": event.error},
        )


def _attention_back(request):
    # A fixed set of pages, never a free-form "next" URL.
    if request.POST.get("from") == "mailboxes":
        return redirect("agent_settings:mailboxes")
    return redirect("agent_settings:social_accounts")
