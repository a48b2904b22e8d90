"""Data subject request pages: the privacy page of a customer, export (zip) and erasure."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.roles import staff_required

from . import privacy, selectors
from .audit import customer_access_record, request_ip
from .data_requests import customer_erase, customer_export, erasure_confirmation_phrase
from .forms import EraseForm
from .models import AccessAction, Customer


def _page(request: HttpRequest, customer: Customer, form: EraseForm, *, status: int = 200):
    return render(
        request,
        "customers/privacy.html",
        {
            "customer": customer,
            "held": selectors.personal_data_summary(customer=customer),
            "erase_form": form,
            "phrase": erasure_confirmation_phrase(customer),
            "can_export": privacy.can_export(request.user),
            "can_erase": privacy.can_erase(request.user),
            "show_contact_details": True,
        },
        status=status,
    )


@staff_required
@require_GET
def privacy_page(request: HttpRequest, pk: int) -> HttpResponse:
    if not (privacy.can_export(request.user) or privacy.can_erase(request.user)):
        raise PermissionDenied
    customer = get_object_or_404(Customer, pk=pk)
    customer_access_record(
        actor=request.user,
        action=AccessAction.VIEW,
        customer_id=customer.pk,
        ip=request_ip(request),
        detail={"via": "privacy"},
    )
    return _page(request, customer, EraseForm())


@staff_required
@require_POST
def export(request: HttpRequest, pk: int) -> FileResponse:
    if not privacy.can_export(request.user):
        raise PermissionDenied
    customer = get_object_or_404(Customer, pk=pk)
    archive = customer_export(customer=customer, actor=request.user, ip=request_ip(request))
    return FileResponse(
        archive,
        as_attachment=True,
        filename=f"customer-{customer.pk}-export.zip",
        content_type="application/zip",
    )


@staff_required
@require_POST
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    if not privacy.can_erase(request.user):
        raise PermissionDenied
    customer = get_object_or_404(Customer, pk=pk)
    form = EraseForm(request.POST)
    if not form.is_valid():
        return _page(request, customer, form, status=400)
    try:
        customer_erase(
            customer=customer,
            actor=request.user,
            confirmation=form.cleaned_data["confirmation"],
            ip=request_ip(request),
        )
    except ValidationError as exc:
        form.add_error("confirmation", exc.messages[0])
        return _page(request, customer, form, status=400)
    messages.success(request, _("The customer's personal data was erased."))
    return redirect("customers:privacy", pk=customer.pk)
