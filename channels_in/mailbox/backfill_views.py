"""The mailbox's "Backfill" page: an admin imports a date range of the folder again."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ..models import MailAccount
from ..settings_views import admin_required
from . import backfill, errors


class BackfillForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("Through"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Both days are included."),
    )


@admin_required
@require_http_methods(["GET", "POST"])
def mailbox_backfill(request, pk: int):
    account = get_object_or_404(MailAccount, pk=pk)
    today = timezone.localdate()
    form = BackfillForm(
        request.POST or None, initial={"since": today - timedelta(days=7), "until": today}
    )
    if request.method == "POST" and form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        try:
            backfill.request_backfill(account, since, until)
        except errors.MailboxError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Backfill of “%(name)s” from %(since)s through %(until)s started.")
                % {"name": account.name, "since": since, "until": until},
            )
            return redirect("agent_settings:mailbox_backfill", pk=account.pk)
    return render(
        request,
        "channels_in/settings/mailbox_backfill.html",
        {
            "account": account,
            "form": form,
            "status": _shown_status(backfill.backfill_status(account.pk)),
        },
        status=400 if form.errors else 200,
    )


def _shown_status(status: dict | None) -> dict | None:
    """The cached status with its dates as dates, for the template's filters."""
    if not status:
        return None
    shown = dict(status)
    for key in ("requested_at", "started_at", "finished_at"):
        value = status.get(key)
        shown[key] = parse_datetime(value) if isinstance(value, str) else None
    for key in ("since", "until"):
        try:
            shown[key] = date.fromisoformat(status.get(key) or "")
        except ValueError:
            shown[key] = None
    return shown
