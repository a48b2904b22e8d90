"""SLA settings pages for admins: policies (conditions, targets, escalation) and calendars."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import configuration
from .access import admin_required
from .forms import CalendarForm, PolicyForm
from .models import BusinessCalendar, Metric, SlaPolicy


@admin_required
def policy_list(request):
    policies = (
        SlaPolicy.objects.select_related("calendar", "escalate_team")
        .prefetch_related("teams", "organizations", "targets")
        .order_by("position", "id")
    )
    return render(request, "sla/settings/policy_list.html", {"policies": policies})


@admin_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, pk: int | None = None):
    policy = get_object_or_404(SlaPolicy, pk=pk) if pk else SlaPolicy()
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        policy = form.save(commit=False)
        policy.customer_tags = form.cleaned_data["customer_tags"]
        policy.vip = form.cleaned_data["vip"]
        configuration.policy_save(
            policy=policy,
            targets=form.cleaned_data["targets"],
            teams=form.cleaned_data["teams"],
            organizations=form.cleaned_data["organizations"],
        )
        messages.success(
            request, _("Policy saved. Open tickets get their new due times in a moment.")
        )
        return redirect("sla:settings")
    return render(
        request,
        "sla/settings/policy_form.html",
        {"form": form, "policy": policy, "metrics": Metric.choices},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_POST
def policy_delete(request, pk: int):
    configuration.policy_delete(policy=get_object_or_404(SlaPolicy, pk=pk))
    messages.success(request, _("Policy deleted."))
    return redirect("sla:settings")


@admin_required
def calendar_list(request):
    calendars = BusinessCalendar.objects.prefetch_related("hours", "closures", "teams")
    return render(request, "sla/settings/calendar_list.html", {"calendars": calendars})


@admin_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request, pk: int | None = None):
    calendar = get_object_or_404(BusinessCalendar, pk=pk) if pk else BusinessCalendar()
    form = CalendarForm(request.POST or None, instance=calendar)
    if request.method == "POST" and form.is_valid():
        configuration.calendar_save(
            calendar=form.save(commit=False),
            weekly=form.cleaned_data["weekly"],
            closures=form.cleaned_data["closures"],
            teams=form.cleaned_data["teams"],
        )
        messages.success(request, _("Calendar saved."))
        return redirect("sla:calendars")
    return render(
        request,
        "sla/settings/calendar_form.html",
        {"form": form, "calendar": calendar},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_POST
def calendar_delete(request, pk: int):
    configuration.calendar_delete(calendar=get_object_or_404(BusinessCalendar, pk=pk))
    messages.success(request, _("Calendar deleted."))
    return redirect("sla:calendars")
