"""Saved inbox views: the editor page (new, edit, delete). Thin: form → saved_views service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.roles import staff_required

from . import saved_views
from .forms import SavedViewForm


def _inbox(view_key: str | int) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('tickets:inbox')}?{urlencode({'view': view_key})}")


def _editor(request, form, view=None, status=200):
    return render(request, "tickets/view_form.html", {"form": form, "view": view}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def view_create(request):
    if request.method == "GET":
        return _editor(request, SavedViewForm(viewer=request.user))
    form = SavedViewForm(request.POST, viewer=request.user)
    if form.is_valid():
        try:
            view = saved_views.saved_view_create(
                owner=request.user,
                name=form.cleaned_data["name"],
                filters=form.filters(),
                sort=form.cleaned_data["sort"],
                shared=form.cleaned_data["shared"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return _inbox(view.pk)
    return _editor(request, form, status=400)


@staff_required
@require_http_methods(["GET", "POST"])
def view_edit(request, pk: int):
    view = saved_views.saved_view_for(view_id=pk, viewer=request.user)
    if request.method == "GET":
        initial = SavedViewForm.initial_for(view)
        return _editor(request, SavedViewForm(initial=initial, viewer=request.user), view)
    form = SavedViewForm(request.POST, viewer=request.user)
    if form.is_valid():
        try:
            saved_views.saved_view_update(
                view=view,
                actor=request.user,
                name=form.cleaned_data["name"],
                filters=form.filters(),
                sort=form.cleaned_data["sort"],
                shared=form.cleaned_data["shared"] if request.user.can_manage else view.shared,
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("View updated."))
            return _inbox(view.pk)
    return _editor(request, form, view, status=400)


@staff_required
@require_POST
def view_delete(request, pk: int):
    view = saved_views.saved_view_for(view_id=pk, viewer=request.user)
    try:
        saved_views.saved_view_delete(view=view, actor=request.user)
    except PermissionDenied as exc:
        messages.error(request, _error_text(exc))
        return _inbox(view.pk)
    messages.success(request, _("View deleted."))
    return _inbox(saved_views.DEFAULT_VIEW)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return exc.messages[0]
    return str(exc) or _("You are not allowed to do that.")
