"""Settings pages for managers and admins: automations, routing, assignment, webhooks, log."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tickets.models import UNSOLVED_STATUSES, Team

from . import configuration
from .assignment import default_capacity
from .forms import (
    CAPACITY_CHANNELS,
    AgentSettingsForm,
    AutomationForm,
    ProductForm,
    RoutingRuleForm,
    TeamAssignmentForm,
    WebhookForm,
    assignable_staff,
)
from .models import (
    AgentCapacity,
    AgentSkills,
    Automation,
    AutomationRun,
    Product,
    RoutingRule,
    WebhookDelivery,
    WebhookEndpoint,
)


def manager_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.can_manage:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _edit(request, *, model, form_class, pk, template, done, saved):
    instance = get_object_or_404(model, pk=pk) if pk else model()
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        configuration.rule_save(form.save(commit=False))
        messages.success(request, saved)
        return redirect(done)
    return render(
        request,
        template,
        {"form": form, "object": instance},
        status=400 if request.method == "POST" else 200,
    )


def _delete(request, model, pk, done):
    get_object_or_404(model, pk=pk).delete()
    messages.success(request, _("Deleted."))
    return redirect(done)


# --- automations --------------------------------------------------------------------------


@manager_required
def automation_list(request):
    automations = Automation.objects.select_related("set_team", "assign_to", "webhook", "team")
    return render(request, "automations/automation_list.html", {"automations": automations})


@manager_required
@require_http_methods(["GET", "POST"])
def automation_edit(request, pk: int | None = None):
    return _edit(
        request,
        model=Automation,
        form_class=AutomationForm,
        pk=pk,
        template="automations/automation_form.html",
        done="automations:automations",
        saved=_("Automation saved."),
    )


@manager_required
@require_POST
def automation_delete(request, pk: int):
    return _delete(request, Automation, pk, "automations:automations")


# --- routing ------------------------------------------------------------------------------


@manager_required
def routing_list(request):
    rules = RoutingRule.objects.select_related("set_team", "set_product")
    return render(request, "automations/routing_list.html", {"rules": rules})


@manager_required
@require_http_methods(["GET", "POST"])
def routing_edit(request, pk: int | None = None):
    return _edit(
        request,
        model=RoutingRule,
        form_class=RoutingRuleForm,
        pk=pk,
        template="automations/routing_form.html",
        done="automations:routing",
        saved=_("Routing rule saved."),
    )


@manager_required
@require_POST
def routing_delete(request, pk: int):
    return _delete(request, RoutingRule, pk, "automations:routing")


@manager_required
@require_POST
def move(request, kind: str, pk: int, direction: str):
    """Swap a rule with its neighbour; positions are renumbered 10, 20, … so gaps stay."""
    model = {"routing": RoutingRule, "automation": Automation}.get(kind)
    if model is None or direction not in ("up", "down"):
        raise Http404
    rows = list(model.objects.order_by("position", "id"))
    index = next((i for i, row in enumerate(rows) if row.pk == pk), None)
    if index is None:
        return redirect("automations:routing" if kind == "routing" else "automations:automations")
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows, start=1):
        if row.position != position * 10:
            model.objects.filter(pk=row.pk).update(position=position * 10)
    return redirect("automations:routing" if kind == "routing" else "automations:automations")


# --- assignment ---------------------------------------------------------------------------


@manager_required
def assignment(request):
    teams = list(Team.objects.select_related("assignment").annotate(n=Count("members")))
    agents = list(
        assignable_staff()
        .prefetch_related("teams")
        .annotate(
            open_count=Count(
                "assigned_tickets", filter=Q(assigned_tickets__status__in=UNSOLVED_STATUSES)
            )
        )
    )
    capacity = {}
    for row in AgentCapacity.objects.filter(user__in=agents):
        capacity.setdefault(row.user_id, {})[row.channel] = row.max_open
    skills = {
        row.user_id: row
        for row in AgentSkills.objects.filter(user__in=agents).prefetch_related("products")
    }
    for agent in agents:
        mine = capacity.get(agent.pk, {})
        agent.capacity_cells = [mine.get(ch, default_capacity(ch)) for ch in CAPACITY_CHANNELS]
        skill = skills.get(agent.pk)
        agent.languages = skill.languages if skill else []
        agent.product_names = [p.name for p in skill.products.all()] if skill else []
    return render(
        request,
        "automations/assignment.html",
        {"teams": teams, "agents": agents, "channels": [c.label for c in CAPACITY_CHANNELS]},
    )


@manager_required
@require_http_methods(["GET", "POST"])
def team_assignment_edit(request, team_id: int):
    team = get_object_or_404(Team, pk=team_id)
    form = TeamAssignmentForm(
        request.POST or None, instance=configuration.team_assignment_for(team)
    )
    if request.method == "POST" and form.is_valid():
        configuration.rule_save(form.save(commit=False))
        messages.success(request, _("Assignment for %(team)s saved.") % {"team": team.name})
        return redirect("automations:assignment")
    return render(
        request,
        "automations/team_form.html",
        {"form": form, "team": team},
        status=400 if request.method == "POST" else 200,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def agent_edit(request, user_id: int):
    agent = get_object_or_404(assignable_staff(), pk=user_id)
    current = dict(AgentCapacity.objects.filter(user=agent).values_list("channel", "max_open"))
    skills = AgentSkills.objects.filter(user=agent).first()
    form = AgentSettingsForm(
        request.POST or None,
        capacities=current,
        defaults={ch: default_capacity(ch) for ch in CAPACITY_CHANNELS},
        initial={
            "languages": skills.languages if skills else [],
            "products": list(skills.products.all()) if skills else [],
        },
    )
    if request.method == "POST" and form.is_valid():
        configuration.agent_settings_save(
            user=agent,
            languages=form.cleaned_data["languages"],
            capacities=form.capacities(),
            products=form.cleaned_data["products"],
        )
        messages.success(request, _("Settings for %(name)s saved.") % {"name": agent.display_name})
        return redirect("automations:assignment")
    return render(
        request,
        "automations/agent_form.html",
        {"form": form, "agent": agent},
        status=400 if request.method == "POST" else 200,
    )


# --- products -----------------------------------------------------------------------------


@manager_required
def product_list(request):
    products = Product.objects.annotate(n=Count("skilled", distinct=True))
    return render(request, "automations/product_list.html", {"products": products})


@manager_required
@require_http_methods(["GET", "POST"])
def product_edit(request, pk: int | None = None):
    return _edit(
        request,
        model=Product,
        form_class=ProductForm,
        pk=pk,
        template="automations/product_form.html",
        done="automations:products",
        saved=_("Product saved."),
    )


@manager_required
@require_POST
def product_delete(request, pk: int):
    return _delete(request, Product, pk, "automations:products")


# --- webhooks and the log -----------------------------------------------------------------


@manager_required
def webhook_list(request):
    endpoints = WebhookEndpoint.objects.all()
    deliveries = WebhookDelivery.objects.select_related("endpoint", "automation")[:50]
    return render(
        request,
        "automations/webhook_list.html",
        {"endpoints": endpoints, "deliveries": deliveries},
    )


@manager_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request, pk: int | None = None):
    return _edit(
        request,
        model=WebhookEndpoint,
        form_class=WebhookForm,
        pk=pk,
        template="automations/webhook_form.html",
        done="automations:webhooks",
        saved=_("Webhook saved."),
    )


@manager_required
@require_POST
def webhook_delete(request, pk: int):
    return _delete(request, WebhookEndpoint, pk, "automations:webhooks")


@manager_required
def run_log(request):
    runs = AutomationRun.objects.select_related("ticket")
    ticket = request.GET.get("ticket", "").strip()
    if ticket:
        if not ticket.isdecimal():
            messages.error(request, _("A ticket number is digits only."))
        else:
            runs = runs.filter(ticket_id=int(ticket))
    return render(request, "automations/run_log.html", {"runs": runs[:100], "ticket": ticket})
