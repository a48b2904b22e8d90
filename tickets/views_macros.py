"""Macros: the management pages, and what the ticket page's macro picker asks for."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.roles import staff_required

from . import macros, selectors
from .forms import MacroForm
from .models import Macro


@staff_required
@require_GET
def macro_list(request):
    return render(
        request,
        "tickets/macros.html",
        {
            "macros": macros.manageable_macros(request.user),
            "placeholders": macros.PLACEHOLDERS,
        },
    )


def _form_page(request, form, macro=None, status=200):
    context = {"form": form, "macro": macro, "placeholders": macros.PLACEHOLDERS}
    return render(request, "tickets/macro_form.html", context, status=status)


def _save(request, form, macro=None):
    data = form.cleaned_data
    return macros.macro_save(
        actor=request.user,
        macro=macro,
        name=data["name"],
        body=data["body"],
        body_ja=data["body_ja"],
        body_en=data["body_en"],
        internal=data["internal"],
        shared=data["shared"] if request.user.can_manage else False,
        set_status=data["set_status"],
        set_priority=data["set_priority"],
        add_tags=form.tag_names(),
        assignee_action=data["assignee_action"],
        assignee=data["assignee"],
        team=data["team"],
        active=data["active"],
    )


@staff_required
@require_http_methods(["GET", "POST"])
def macro_create(request):
    if request.method == "GET":
        return _form_page(request, MacroForm(viewer=request.user, initial={"active": True}))
    form = MacroForm(request.POST, viewer=request.user)
    if form.is_valid():
        try:
            macro = _save(request, form)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("Macro “%(name)s” saved.") % {"name": macro.name})
            return redirect("tickets:macros")
    return _form_page(request, form, status=400)


@staff_required
@require_http_methods(["GET", "POST"])
def macro_edit(request, pk: int):
    macro = get_object_or_404(macros.manageable_macros(request.user), pk=pk)
    if request.method == "GET":
        initial = {
            field: getattr(macro, field)
            for field in (
                "name",
                "body",
                "body_ja",
                "body_en",
                "internal",
                "shared",
                "set_status",
                "set_priority",
            )
        }
        initial.update(
            add_tags=", ".join(macro.add_tags),
            assignee_action=macro.assignee_action,
            assignee=macro.assignee_id,
            team=macro.team_id,
            active=macro.active,
        )
        return _form_page(request, MacroForm(initial=initial, viewer=request.user), macro)
    form = MacroForm(request.POST, viewer=request.user)
    if form.is_valid():
        try:
            _save(request, form, macro)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("Macro updated."))
            return redirect("tickets:macros")
    return _form_page(request, form, macro, status=400)


@staff_required
@require_POST
def macro_delete(request, pk: int):
    macro = get_object_or_404(macros.manageable_macros(request.user), pk=pk)
    try:
        macros.macro_delete(macro=macro, actor=request.user)
    except PermissionDenied as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Macro deleted."))
    return redirect("tickets:macros")


@staff_required
@require_GET
def ticket_macros(request, pk: int):
    """The picker's list for this ticket (JSON): name, preview and what it changes."""
    selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
    found = macros.macros_for(request.user, query=request.GET.get("q", "")[:100])[:50]
    return JsonResponse({"macros": [_summary(macro) for macro in found]})


@staff_required
@require_GET
def ticket_macro_render(request, pk: int, macro_pk: int):
    """The macro's text filled in for this ticket, for the composer."""
    ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
    macro = macros.macro_for(macro_id=macro_pk, viewer=request.user)
    rendered = macros.render_macro(macro=macro, ticket=ticket, agent=request.user)
    return JsonResponse({**_summary(macro), "body": rendered.body, "warnings": rendered.warnings})


@staff_required
@require_POST
def ticket_macro_apply(request, pk: int, macro_pk: int):
    """Apply a macro's ticket changes now (macros without text, or "actions only")."""
    ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
    macro = macros.macro_for(macro_id=macro_pk, viewer=request.user)
    try:
        macros.apply_macro_actions(ticket=ticket, macros=[macro], actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Macro “%(name)s” applied.") % {"name": macro.name})
    return redirect("tickets:detail", pk=ticket.pk)


def _summary(macro: Macro) -> dict:
    return {
        "id": macro.pk,
        "name": macro.name,
        "preview": (macro.body or macro.body_ja or macro.body_en)[:160],
        "internal": macro.internal,
        "shared": macro.shared,
        "status": macro.set_status,
        "has_text": macro.has_text,
        "has_actions": macro.has_actions,
        "actions": _describe_actions(macro),
    }


def _describe_actions(macro: Macro) -> list[str]:
    described = []
    if macro.set_status:
        described.append(_("Status: %(value)s") % {"value": macro.get_set_status_display()})
    if macro.set_priority:
        described.append(_("Priority: %(value)s") % {"value": macro.get_set_priority_display()})
    if macro.add_tags:
        described.append(_("Tags: %(value)s") % {"value": ", ".join(macro.add_tags)})
    if macro.assignee_action == "actor":
        described.append(_("Assign to me"))
    elif macro.assignee_action == "none":
        described.append(_("Unassign"))
    elif macro.assignee_action == "user" and macro.assignee:
        described.append(_("Assign to %(name)s") % {"name": macro.assignee.display_name})
    if macro.team_id:
        described.append(_("Team: %(value)s") % {"value": macro.team.name})
    return described


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return exc.messages[0]
    return str(exc) or _("You are not allowed to do that.")
