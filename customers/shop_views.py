"""Settings → Shops: connect Shopify and BASE, see the webhook URL, test, sync. Admins only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.roles import staff_required

from . import privacy
from .forms import ShopConnectionForm
from .models import ShopConnection, ShopPlatform
from .shops import ShopConnectionError, shop_client, shop_connection_save


def _require_admin(request: HttpRequest) -> None:
    if not privacy.can_manage_shops(request.user):
        raise PermissionDenied


def webhook_url(request: HttpRequest, connection: ShopConnection) -> str:
    """The address to paste into the shop's webhook settings ("" for polled platforms)."""
    if connection.platform != ShopPlatform.SHOPIFY:
        return ""
    try:
        return request.build_absolute_uri(reverse("webhooks:shopify", args=[connection.key]))
    except NoReverseMatch:
        return ""


@staff_required
@require_GET
def shop_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    connections = list(ShopConnection.objects.order_by("name", "id"))
    return render(
        request,
        "customers/shops.html",
        {"rows": [(c, webhook_url(request, c)) for c in connections]},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def shop_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request)
    connection = get_object_or_404(ShopConnection, pk=pk) if pk else None
    initial = (
        {
            f: getattr(connection, f)
            for f in (
                "platform",
                "name",
                "api_base_url",
                "api_version",
                "client_id",
                "redirect_uri",
            )
        }
        if connection
        else {"platform": ShopPlatform.SHOPIFY, "api_version": "2025-01"}
    )
    form = ShopConnectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            connection = shop_connection_save(connection=connection, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Shop connection saved."))
            return redirect("customers:shops")
    return render(
        request,
        "customers/shop_form.html",
        {
            "form": form,
            "connection": connection,
            "webhook_url": webhook_url(request, connection) if connection else "",
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def shop_test(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    connection = get_object_or_404(ShopConnection, pk=pk)
    try:
        shop_name = shop_client(connection.platform).check(connection)
    except ShopConnectionError as exc:
        connection.last_error = str(exc)[:2000]
        connection.save(update_fields=["last_error"])
        messages.error(
            request, _("The shop refused or could not be reached: %(error)s") % {"error": exc}
        )
    else:
        connection.last_error = ""
        connection.save(update_fields=["last_error"])
        messages.success(request, _("Connected to %(shop)s.") % {"shop": shop_name})
    return redirect("customers:shops")


@staff_required
@require_POST
def shop_sync(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    connection = get_object_or_404(ShopConnection, pk=pk, active=True)
    try:
        shop_client(connection.platform).start_sync(connection)
    except ShopConnectionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Fetching orders in the background; refresh to see progress."))
    return redirect("customers:shops")


@staff_required
@require_POST
def shop_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Disconnects the shop; orders already imported stay in purchase history."""
    _require_admin(request)
    get_object_or_404(ShopConnection, pk=pk).delete()
    messages.success(request, _("Shop disconnected. Orders already imported are kept."))
    return redirect("customers:shops")
