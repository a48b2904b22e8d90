"""Staff pages: CSAT report, survey settings, follow-up templates, feedback items, and the
ticket panel's forms. Thin: parse, call a selector or service, render or redirect."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.models import Role
from helpdesk.roles import staff_required
from tickets import selectors as ticket_selectors
from tickets.models import Channel, Team

from . import selectors
from .forms import (
    FollowUpTemplateForm,
    ItemCreateForm,
    ItemLinkForm,
    ItemUpdateForm,
    PersonalFollowUpForm,
    SurveySettingsForm,
)
from .models import FeedbackLink, FollowUp, FollowUpTemplate, ItemStatus, SurveySettings
from .services import followups as followup_services
from .services import items as item_services

PERIODS = (7, 30, 90, 365)


def _require_manager(user) -> None:
    if not user.can_manage:
        raise PermissionDenied


def _error_text(exc: Exception) -> str:
    return (
        " ".join(getattr(exc, "messages", [])) or str(exc) or _("You are not allowed to do that.")
    )


# --- CSAT report ----------------------------------------------------------------------------


@staff_required
@require_GET
def csat_report(request):
    _require_manager(request.user)
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    days = days if days in PERIODS else 30
    channel = request.GET.get("channel", "")
    channel = channel if channel in Channel.values else ""
    team_id = request.GET.get("team", "")
    team_id = int(team_id) if team_id.isdecimal() else None
    until = timezone.now()
    since = until - timedelta(days=days)
    report = selectors.csat_report(
        since=since,
        until=until,
        channel=channel or None,
        team_id=team_id,
        comments_only_bad=request.GET.get("comments") == "bad",
    )
    return render(
        request,
        "feedback/report.html",
        {
            "report": report,
            "days": days,
            "periods": PERIODS,
            "channel": channel,
            "channels": Channel.choices,
            "team_id": team_id,
            "teams": Team.objects.order_by("name"),
            "comments_filter": request.GET.get("comments", ""),
            "since": since,
        },
    )


# --- survey settings and follow-up templates ------------------------------------------------


@staff_required
@require_GET
def settings_list(request):
    _require_manager(request.user)
    return render(
        request,
        "feedback/settings_list.html",
        {
            "rows": selectors.survey_settings_rows(),
            "templates": selectors.followup_templates(),
            "can_edit": request.user.role == Role.ADMIN,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def settings_edit(request, channel: str):
    _require_manager(request.user)
    if channel not in Channel.values:
        return render(request, "404.html", status=404)
    instance = SurveySettings.objects.filter(channel=channel).first() or SurveySettings(
        channel=channel
    )
    can_edit = request.user.role == Role.ADMIN
    form = SurveySettingsForm(request.POST or None, instance=instance)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            form.save()
            messages.success(request, _("Survey settings saved."))
            return redirect("feedback:settings")
    return render(
        request,
        "feedback/settings_form.html",
        {"form": form, "row": instance, "can_edit": can_edit},
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def template_edit(request, pk: int | None = None):
    _require_manager(request.user)
    instance = get_object_or_404(FollowUpTemplate, pk=pk) if pk else FollowUpTemplate()
    can_edit = request.user.role == Role.ADMIN
    form = FollowUpTemplateForm(request.POST or None, instance=instance)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if request.POST.get("action") == "delete" and instance.pk:
            instance.delete()
            messages.success(request, _("Follow-up template deleted."))
            return redirect("feedback:settings")
        if form.is_valid():
            form.save()
            messages.success(request, _("Follow-up template saved."))
            return redirect("feedback:settings")
    return render(
        request,
        "feedback/template_form.html",
        {"form": form, "template_row": instance, "can_edit": can_edit},
        status=400 if form.errors else 200,
    )


# --- ticket panel actions -------------------------------------------------------------------


@staff_required
@require_POST
def followup_create(request, ticket_id: int):
    ticket = ticket_selectors.ticket_for_agent(ticket_id=ticket_id, viewer=request.user)
    form = PersonalFollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what should happen and when."))
        return redirect("tickets:detail", pk=ticket.pk)
    try:
        followup_services.schedule_personal(
            ticket=ticket,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            due_at=form.cleaned_data["due_at"],
            body=form.cleaned_data["body"],
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Follow-up scheduled."))
    return redirect("tickets:detail", pk=ticket.pk)


@staff_required
@require_POST
def followup_cancel(request, pk: int):
    followup = get_object_or_404(FollowUp, pk=pk)
    ticket = ticket_selectors.ticket_for_agent(ticket_id=followup.ticket_id, viewer=request.user)
    try:
        followup_services.cancel_followup(followup=followup, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Follow-up cancelled."))
    return redirect("tickets:detail", pk=ticket.pk)


@staff_required
@require_POST
def ticket_item_link(request, ticket_id: int):
    ticket = ticket_selectors.ticket_for_agent(ticket_id=ticket_id, viewer=request.user)
    if request.POST.get("action") == "create":
        form = ItemCreateForm(request.POST, prefix="item")
        if not form.is_valid():
            messages.error(request, _("Give the item a title."))
            return redirect("tickets:detail", pk=ticket.pk)
        try:
            item_services.create_item(actor=request.user, ticket=ticket, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Feedback item created and linked."))
        return redirect("tickets:detail", pk=ticket.pk)
    form = ItemLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an open feedback item."))
        return redirect("tickets:detail", pk=ticket.pk)
    item_services.link_ticket(item=form.cleaned_data["item"], ticket=ticket, actor=request.user)
    messages.success(request, _("Ticket linked to the feedback item."))
    return redirect("tickets:detail", pk=ticket.pk)


# --- feedback items -------------------------------------------------------------------------


@staff_required
@require_GET
def item_list(request):
    status = request.GET.get("status", "")
    status = status if status in ItemStatus.values else ""
    # PostgreSQL refuses NUL in text; nobody types one.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    listed = list(selectors.feedback_items(status=status or None, query=query)[:200])
    revenue = selectors.items_revenue(item_ids=[item.pk for item in listed])
    for item in listed:
        item.revenue = revenue.get(item.pk, [])
    return render(
        request,
        "feedback/item_list.html",
        {
            "items": listed,
            "status": status,
            "statuses": ItemStatus.choices,
            "query": query,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def item_create(request):
    form = ItemCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = item_services.create_item(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            return redirect("feedback:item", pk=item.pk)
    return render(
        request, "feedback/item_create.html", {"form": form}, status=400 if form.errors else 200
    )


@staff_required
@require_http_methods(["GET", "POST"])
def item_detail(request, pk: int):
    item = selectors.feedback_item(item_id=pk)
    initial = {
        "title": item.title,
        "description": item.description,
        "status": item.status,
        "public_note": item.public_note,
    }
    form = ItemUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item_services.update_item(item=item, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("Feedback item saved."))
            return redirect("feedback:item", pk=item.pk)
    return render(
        request,
        "feedback/item_detail.html",
        {
            "item": item,
            "form": form,
            "links": selectors.item_links(item=item),
            "notified": selectors.item_notified_customer_ids(item=item),
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def item_unlink(request, pk: int, link_id: int):
    link = get_object_or_404(FeedbackLink, pk=link_id, item_id=pk)
    item_services.unlink_ticket(link=link, actor=request.user)
    messages.success(request, _("Ticket unlinked."))
    return redirect("feedback:item", pk=pk)
