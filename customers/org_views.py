"""Organizations: the list, and one organization's shared view (its people, their tickets)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.roles import staff_required

from . import privacy, selectors
from .audit import customer_access_record, request_ip
from .models import AccessAction, Customer, Organization
from .orders import ticket_order_link, ticket_order_unlink
from .services import organization_sharing_set


@staff_required
@require_GET
def organization_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "customers/organizations.html",
        {"organizations": selectors.organizations_with_counts()},
    )


@staff_required
@require_GET
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    view = selectors.organization_view(organization_id=pk)
    # A page of many customers' names and subjects: one audit row naming the organization.
    customer_access_record(
        actor=request.user,
        action=AccessAction.VIEW,
        customer_id=None,
        ip=request_ip(request),
        detail={"organization": view.organization.pk, "customers": len(view.customers)},
    )
    return render(
        request,
        "customers/organization.html",
        {
            "view": view,
            "show_contact_details": privacy.sees_contact_details(request.user),
            "can_manage": request.user.can_manage,
        },
    )


@staff_required
@require_POST
def organization_sharing(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers turn "members see each other's requests" on or off."""
    if not request.user.can_manage:
        raise PermissionDenied
    organization = get_object_or_404(Organization, pk=pk)
    shared = request.POST.get("shared") == "on"
    organization_sharing_set(organization=organization, shared=shared)
    messages.success(
        request,
        _("Members now see each other's requests in the help center.")
        if shared
        else _("Members now see only their own requests in the help center."),
    )
    return redirect("customers:organization", pk=pk)


@staff_required
@require_POST
def ticket_order(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Link (or, with an empty choice, unlink) the order a ticket is about."""
    customer = get_object_or_404(Customer, tickets__pk=ticket_id)
    order_id = request.POST.get("order", "").strip()
    if not order_id:
        ticket_order_unlink(ticket_id=ticket_id)
        messages.success(request, _("The ticket is no longer linked to an order."))
    elif not order_id.isdecimal():
        messages.error(request, _("Pick one of the customer's orders."))
    else:
        try:
            order = ticket_order_link(
                ticket_id=ticket_id,
                customer=customer,
                order_id=int(order_id),
                actor=request.user,
            )
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("Linked to order %(number)s.") % {"number": order.number})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("tickets:detail", args=[ticket_id])
    return redirect(back)
