"""Agent pages for customers: thin — check the role, parse a form, call a selector or service,
write the access audit, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.roles import staff_required

from . import privacy, selectors, services
from .audit import (
    audit_actors,
    customer_access_log,
    customer_access_record,
    customer_access_view,
    customers_by_id,
    request_ip,
)
from .custom_fields import custom_fields_active, custom_fields_shown
from .forms import (
    AccessLogFilterForm,
    BlockForm,
    CustomerSearchForm,
    ImportConfirmForm,
    NoteForm,
    NotePinForm,
    OrderImportForm,
    customer_fields_form,
)
from .import_files import (
    MAX_IMPORT_BYTES,
    ImportFileGone,
    ImportSizeLimit,
    import_file_discard,
    import_file_keep,
    import_file_read,
)
from .models import AccessAction, Customer, CustomerNote
from .orders import CSV_COLUMNS, REQUIRED_COLUMNS, orders_import_csv

CUSTOMERS_PER_PAGE = 25
AUDIT_ENTRIES_PER_PAGE = 50


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _record(request: HttpRequest, action: str, customer_id: int | None, **detail) -> None:
    customer_access_record(
        actor=request.user,
        action=action,
        customer_id=customer_id,
        ip=request_ip(request),
        detail=detail,
    )


@staff_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerSearchForm(request.GET)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    paginator = Paginator(selectors.customer_search(q=q), CUSTOMERS_PER_PAGE)
    return render(
        request,
        "customers/list.html",
        {
            "form": form,
            "q": q,
            "page": paginator.get_page(request.GET.get("page")),
            "show_contact_details": privacy.sees_contact_details(request.user),
        },
    )


def _customer_page(request: HttpRequest, pk: int, *, status: int = 200, **forms) -> HttpResponse:
    """The 360 page; reading it is a view of personal data, so it is always audited."""
    data = selectors.customer_360(customer_id=pk, viewer=request.user)
    customer_access_view(request=request, customer_id=data.customer.pk)
    return render(
        request,
        "customers/customer.html",
        {
            "c360": data,
            "customer": data.customer,
            "show_contact_details": data.show_contact_details,
            # The empty forms are built only when the template's shellcache misses.
            "note_form": forms.get("note_form") or SimpleLazyObject(NoteForm),
            "note_form_bound": forms.get("note_form") is not None,
            "block_form": forms.get("block_form") or SimpleLazyObject(BlockForm),
            "block_form_bound": forms.get("block_form") is not None,
            "can_merge": privacy.can_merge(request.user),
            "can_block": privacy.can_block(request.user),
            "can_privacy": privacy.can_export(request.user) or privacy.can_erase(request.user),
            **_custom_fields_context(request, data.customer, data.custom_fields),
            "timeline": data.timeline,
            "csat": data.csat,
        },
        status=status,
    )


def _custom_fields_context(
    request: HttpRequest, customer: Customer, fields: list | None = None
) -> dict:
    fields = custom_fields_active() if fields is None else fields
    editable = [f for f in fields if privacy.sees_contact_details(request.user) or not f.sensitive]
    return {
        "custom_fields": custom_fields_shown(customer, request.user, fields),
        "fields_form": customer_fields_form(editable, initial=customer.custom_fields)
        if editable
        else None,
    }


# "Show more" on the 360 page: the next keyset page of one list, as rows for htmx to put in
# place of the button. Each page shows personal data, so each is audited like the page.
_MORE = {
    "tickets": (selectors.customer_tickets_page, "customers/_ticket_rows.html"),
    "timeline": (selectors.customer_messages_page, "customers/_timeline_rows.html"),
}


@staff_required
@require_GET
def customer_more(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    if part not in _MORE:
        raise Http404
    customer = get_object_or_404(Customer.objects.only("pk"), pk=pk)
    load, template = _MORE[part]
    try:
        page = load(customer_id=customer.pk, before=request.GET.get("before", ""))
    except selectors.InvalidCursor:
        return HttpResponseBadRequest(_("This link is not valid. Open the customer page again."))
    customer_access_view(request=request, customer_id=customer.pk, part=part)
    return render(
        request,
        template,
        {"customer": customer, "rows": page.rows, "next_cursor": page.next_cursor},
    )


@staff_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _customer_page(request, pk)


@staff_required
@require_POST
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _customer_page(request, pk, status=400, note_form=form)
    try:
        note = services.customer_note_add(
            customer=customer,
            author=request.user,
            body=form.cleaned_data["body"],
            pinned=form.cleaned_data["pinned"],
        )
    except ValidationError as exc:
        form.add_error("body", exc.messages[0])
        return _customer_page(request, pk, status=400, note_form=form)
    _record(request, AccessAction.NOTE, customer.pk, note=note.pk)
    messages.success(request, _("Note added."))
    return redirect("customers:detail", pk=customer.pk)


@staff_required
@require_POST
def note_pin(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    note = get_object_or_404(CustomerNote, pk=note_pk, customer_id=pk)
    form = NotePinForm(request.POST)
    form.is_valid()  # a lone checkbox: absent means False, nothing else can be wrong
    services.customer_note_pin(note=note, pinned=form.cleaned_data["pinned"])
    _record(request, AccessAction.NOTE, pk, note=note.pk, pinned=note.pinned)
    messages.success(request, _("Note pinned.") if note.pinned else _("Note unpinned."))
    return redirect("customers:detail", pk=pk)


@staff_required
@require_http_methods(["GET", "POST"])
def merge_confirm(request: HttpRequest, pk: int, source_pk: int) -> HttpResponse:
    """`source_pk` is folded into `pk`; GET shows what will move, POST does it."""
    _require(privacy.can_merge(request.user))
    into, source = selectors.merge_pair(into_id=pk, source_id=source_pk)
    if request.method == "GET":
        _record(request, AccessAction.VIEW, into.pk)
        _record(request, AccessAction.VIEW, source.pk)
        return render(
            request,
            "customers/merge.html",
            {
                "into": into,
                "source": source,
                "show_contact_details": True,
            },
        )
    try:
        services.customer_merge(source=source, into=into, actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("customers:detail", pk=into.pk)
    _record(request, AccessAction.MERGE, into.pk, merged_customer=source.pk)
    _record(request, AccessAction.MERGE, source.pk, into=into.pk)
    messages.success(
        request, _("Customer #%(merged)s was merged into this one.") % {"merged": source.pk}
    )
    return redirect("customers:detail", pk=into.pk)


@staff_required
@require_POST
def block(request: HttpRequest, pk: int) -> HttpResponse:
    _require(privacy.can_block(request.user))
    customer = get_object_or_404(Customer, pk=pk)
    form = BlockForm(request.POST)
    if not form.is_valid():
        return _customer_page(request, pk, status=400, block_form=form)
    services.customer_block(
        customer=customer, reason=form.cleaned_data["reason"], actor=request.user
    )
    _record(request, AccessAction.BLOCK, customer.pk, reason=customer.blocked_reason)
    messages.success(request, _("Customer blocked: new messages from them open no tickets."))
    return redirect("customers:detail", pk=customer.pk)


@staff_required
@require_POST
def unblock(request: HttpRequest, pk: int) -> HttpResponse:
    _require(privacy.can_block(request.user))
    customer = get_object_or_404(Customer, pk=pk)
    services.customer_unblock(customer=customer, actor=request.user)
    _record(request, AccessAction.UNBLOCK, customer.pk)
    messages.success(request, _("Customer unblocked."))
    return redirect("customers:detail", pk=customer.pk)


@staff_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    _require(privacy.can_read_audit(request.user))
    form = AccessLogFilterForm(request.GET or None)
    form.fields["actor"].queryset = audit_actors()
    paginator = Paginator(customer_access_log(filters=form.access_filter()), AUDIT_ENTRIES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    entries = list(page.object_list)
    customers = customers_by_id(entries)
    return render(
        request,
        "customers/audit.html",
        {
            "form": form,
            "page": page,
            "rows": [(entry, customers.get(entry.customer_id)) for entry in entries],
            "show_contact_details": True,
        },
    )


# --- order CSV import: upload → preview (nothing stored) → confirm → import ------------------
# Room for the multipart envelope around the file itself.
_MAX_IMPORT_REQUEST = MAX_IMPORT_BYTES + 64 * 1024


def _import_page(request: HttpRequest, form: OrderImportForm, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "customers/import.html",
        {
            "form": form,
            "columns": CSV_COLUMNS,
            "required_columns": REQUIRED_COLUMNS,
        },
        status=status,
    )


# CSRF is checked in `_order_import_upload`, once the size limit guards the upload: the CSRF
# middleware would otherwise read (and spool to disk) the whole body first.
@csrf_exempt
@staff_required
@require_http_methods(["GET", "POST"])
def order_import(request: HttpRequest) -> HttpResponse:
    _require(privacy.can_import_orders(request.user))
    if request.method == "GET":
        return _import_page(request, OrderImportForm())
    if int(request.META.get("CONTENT_LENGTH") or 0) > _MAX_IMPORT_REQUEST:
        form = OrderImportForm()
        form.add_error(
            None,
            _("The file is too large: import at most %(limit)s at a time.")
            % {"limit": filesizeformat(MAX_IMPORT_BYTES)},
        )
        return _import_page(request, form, status=413)
    # A body longer than it claimed stops being read at the limit.
    request.upload_handlers.insert(0, ImportSizeLimit(request))
    return _order_import_upload(request)


@csrf_protect
def _order_import_upload(request: HttpRequest) -> HttpResponse:
    form = OrderImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, form, status=400)
    data = form.cleaned_data["file"].read()
    report = orders_import_csv(data, commit=False)
    token = import_file_keep(data=data, user_id=request.user.pk) if report.orders else ""
    return render(
        request,
        "customers/import_preview.html",
        {
            "report": report,
            "filename": form.cleaned_data["file"].name,
            "confirm_form": ImportConfirmForm(initial={"token": token}),
            "show_contact_details": True,
        },
    )


@staff_required
@require_POST
def order_import_confirm(request: HttpRequest) -> HttpResponse:
    _require(privacy.can_import_orders(request.user))
    form = ImportConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise ImportFileGone
        name, data = import_file_read(token=form.cleaned_data["token"], user_id=request.user.pk)
    except ImportFileGone:
        messages.error(
            request, _("That preview has expired or was already imported. Upload the file again.")
        )
        return redirect("customers:import")
    report = orders_import_csv(data, commit=True)
    import_file_discard(name)
    _record(
        request,
        AccessAction.IMPORT,
        None,
        orders=report.orders,
        created=report.created,
        updated=report.updated,
        errors=len(report.errors),
    )
    messages.success(
        request,
        _(
            "Import done. Orders: %(orders)d (new: %(created)d, updated: %(updated)d). "
            "Rows skipped: %(errors)d."
        )
        % {
            "orders": report.orders,
            "created": report.created,
            "updated": report.updated,
            "errors": len(report.errors),
        },
    )
    return redirect("customers:import")
