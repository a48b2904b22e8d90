"""Custom fields: admins define them; staff fill them in on the customer page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.roles import staff_required

from . import privacy
from .audit import customer_access_record, request_ip
from .custom_fields import custom_field_save, custom_fields_active, customer_custom_fields_update
from .forms import CustomFieldForm, customer_fields_form
from .models import AccessAction, Customer, CustomField


def _require_admin(request: HttpRequest) -> None:
    if not privacy.can_define_fields(request.user):
        raise PermissionDenied


def _save(request: HttpRequest, form: CustomFieldForm, field: CustomField | None) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        custom_field_save(field=field, **data)
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return False
    return True


@staff_required
@require_http_methods(["GET", "POST"])
def field_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and _save(request, form, None):
        messages.success(request, _("Custom field added."))
        return redirect("customers:fields")
    return render(
        request,
        "customers/fields.html",
        {"fields": CustomField.objects.order_by("position", "id"), "form": form},
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    field = get_object_or_404(CustomField, pk=pk)
    initial = {
        "key": field.key,
        "label": field.label,
        "kind": field.kind,
        "choices": "\n".join(field.choices),
        "sensitive": field.sensitive,
        "position": field.position,
        "active": field.active,
    }
    form = CustomFieldForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and _save(request, form, field):
        messages.success(request, _("Custom field saved."))
        return redirect("customers:fields")
    return render(
        request,
        "customers/field_edit.html",
        {"field": field, "form": form},
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def customer_fields_update(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    if customer.is_erased:
        raise PermissionDenied
    fields = custom_fields_active()
    if not privacy.sees_contact_details(request.user):
        # Light agents cannot see sensitive values, so they do not overwrite them either.
        fields = [f for f in fields if not f.sensitive]
    form = customer_fields_form(fields, data=request.POST)
    form.is_valid()
    values = {f.key: form.cleaned_data.get(f.key) for f in fields}
    try:
        customer_custom_fields_update(customer=customer, values=values)
    except ValidationError as exc:
        for key, errors in exc.message_dict.items():
            label = next((f.label for f in fields if f.key == key), key)
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect("customers:detail", pk=pk)
    customer_access_record(
        actor=request.user,
        action=AccessAction.EDIT,
        customer_id=customer.pk,
        ip=request_ip(request),
        detail={"fields": sorted(values)},
    )
    messages.success(request, _("Details saved."))
    return redirect("customers:detail", pk=pk)
