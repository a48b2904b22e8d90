"""Agent pages: thin — parse the request, call a selector or service, render."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from customers import audit as customer_audit
from customers.privacy import can_block, sees_contact_details
from helpdesk.roles import staff_required
from helpdesk.uploads import as_incoming

from . import panels, presence, selectors, services, timeline
from .downloads import attachment_response
from .forms import CollisionFields, ReplyForm, TicketPropertiesForm
from .inbox_rows import build_rows
from .models import Priority, Status
from .opened import mark_ticket_opened
from .paging import InvalidCursor
from .search_query import OPERATOR_HELP, parse_ticket_query, search_box_text
from .ticket_page import ticket_editors
from .ticket_page_queries import ticket_for_page
from .ticket_page_sidebar import other_ticket_rows, sidebar_data


@staff_required
@require_GET
def inbox(request):
    query = search_box_text(request.GET.get("q", ""))
    box = selectors.inbox_for(viewer=request.user, view=request.GET.get("view"))
    show_contact = sees_contact_details(request.user)
    context = {
        "views": box.views,
        # While searching no view is current: results come from every ticket.
        "current_view": "" if query else box.current,
        "current": box.current_view,
        "return_view": box.current,
        "counts": selectors.inbox_counts(
            viewer=request.user, inbox=box, cap=selectors.INBOX_COUNT_CAP
        ),
        "show_contact_details": show_contact,
        "query": query,
    }
    if query:
        parsed = parse_ticket_query(query)
        tickets = selectors.search_rows(viewer=request.user, query=parsed)
        context.update(
            search_hints=parsed.hints,
            search_limit=selectors.SEARCH_LIMIT,
            operator_help=OPERATOR_HELP,
        )
    else:
        try:
            page = selectors.inbox_page(
                viewer=request.user, inbox=box, after=request.GET.get("after", "")
            )
        except InvalidCursor:
            return HttpResponseBadRequest(
                _("This page link is not valid (any more). Open the view again from its tab.")
            )
        tickets = page.tickets
        after = request.GET.get("after", "")
        context.update(next_cursor=page.next_cursor, after=after, paged=bool(after))
    context["tickets"] = tickets
    context["rows"] = build_rows(
        tickets,
        show_contact_details=show_contact,
        presence=presence.viewers_for(ticket.pk for ticket in tickets),
    )
    if request.htmx:  # the live socket asks for just the list when something changed
        return render(request, "tickets/_inbox_list.html", context)
    context.update(
        statuses=Status.choices,
        priorities=Priority.choices,
    )
    return render(request, "tickets/inbox.html", context)


def _ticket_context(request, ticket, reply_form=None, collision=None):
    """The ticket page itself: conversation, composer and properties. The customer's details
    and the other apps' panels come from ticket_sidebar, fetched once the page is shown, so
    the page answers in a fixed, small number of queries whatever apps are installed."""
    show_contact = sees_contact_details(request.user)
    conversation = timeline.ticket_timeline(ticket=ticket, show_contact_details=show_contact)
    editors = ticket_editors(ticket=ticket, viewer=request.user)
    return {
        "ticket": ticket,
        "show_contact_details": show_contact,
        "timeline": conversation,
        "last_message_id": conversation.last_message_id,
        "editors": editors,
        "reply_form": reply_form or ReplyForm(),
        "collision": collision,
        "viewers": [v for v in presence.viewers(ticket.pk) if v["id"] != request.user.pk],
        "merged_into": ticket.merged_into_id,
        "links": (
            selectors.ticket_links(ticket=ticket, viewer=request.user) if editors.has_links else []
        ),
        "can_block": can_block(request.user),
    }


@staff_required
@require_GET
def ticket_detail(request, pk: int):
    ticket = ticket_for_page(ticket_id=pk, viewer=request.user)
    if request.htmx and request.GET.get("part") == "timeline":
        services.mark_ticket_seen(ticket=ticket, user=request.user)
        conversation = timeline.ticket_timeline(
            ticket=ticket, show_contact_details=sees_contact_details(request.user)
        )
        return render(request, "tickets/_timeline.html", {"timeline": conversation})
    # Opening a ticket shows the customer's personal data: audited (once per 10 minutes).
    customer_audit.customer_access_record_from_ticket(
        request=request, customer_id=ticket.customer_id, ticket_id=ticket.pk
    )
    mark_ticket_opened(ticket=ticket, user=request.user)
    return render(request, "tickets/ticket.html", _ticket_context(request, ticket))


@staff_required
@require_GET
def ticket_sidebar(request, pk: int):
    """The ticket page's side panels below the properties: the customer's notes, orders,
    identities and other tickets, then every panel other apps registered."""
    ticket = ticket_for_page(ticket_id=pk, viewer=request.user)
    customer_audit.customer_access_record_from_ticket(
        request=request, customer_id=ticket.customer_id, ticket_id=ticket.pk
    )
    # Panels build their links and "next" targets from the request: they belong to the ticket
    # page, not to this fragment's URL.
    page_request = copy.copy(request)
    page_request.path = page_request.path_info = reverse("tickets:detail", args=[ticket.pk])
    data = sidebar_data(ticket=ticket, viewer=request.user)
    context = {
        "ticket": ticket,
        "customer_panel": data.customer_panel,
        "show_contact_details": sees_contact_details(request.user),
        "other_tickets": data.other_tickets,
        "other_ticket_rows": other_ticket_rows(data.other_tickets),
        "panels": panels.render_panels(page_request, ticket, data.panels),
    }
    return render(request, "tickets/_sidebar.html", context)


@staff_required
@require_POST
def ticket_reply(request, pk: int):
    ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
    form = ReplyForm(request.POST, request.FILES)
    extra = CollisionFields(request.POST)
    if not extra.is_valid():  # tampered hidden fields: never block the reply over them
        extra = CollisionFields({})
        extra.is_valid()
    collision = None
    if form.is_valid():
        collision = selectors.replies_since(
            ticket=ticket, after_message=extra.cleaned_data["seen_message"], viewer=request.user
        )
        if collision and not extra.cleaned_data["send_anyway"]:
            form.add_error(
                None,
                _("%(names)s answered while you were writing. Read it, then send again.")
                % {"names": ", ".join(collision)},
            )
        else:
            try:
                services.reply(
                    ticket=ticket,
                    author=request.user,
                    body_text=form.cleaned_data["body"],
                    internal=form.cleaned_data["internal"],
                    status=form.cleaned_data["status"] or None,
                    attachments=as_incoming(form.cleaned_data["attachments"]),
                    macros=selectors.macros_by_id(ids=extra.macro_ids(), viewer=request.user),
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages[0])
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You are not allowed to do that."))
            else:
                internal = form.cleaned_data["internal"]
                messages.success(request, _("Note added.") if internal else _("Reply sent."))
                return redirect("tickets:detail", pk=ticket.pk)
    context = _ticket_context(request, ticket, form, collision=collision)
    context["carried_macros"] = request.POST.get("macros", "")[:200]
    return render(request, "tickets/ticket.html", context, status=400)


@staff_required
@require_POST
def ticket_update(request, pk: int):
    ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
    form = TicketPropertiesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Those ticket properties are not valid."))
        return redirect("tickets:detail", pk=ticket.pk)
    data = form.cleaned_data
    try:
        services.update_ticket(
            ticket=ticket,
            actor=request.user,
            status=data["status"],
            priority=data["priority"],
            assignee=data["assignee"],
            team=data["team"],
            tags=form.tag_names(),
            based_on=form.based_on(),
        )
    except ValidationError as exc:  # StaleTicketError too: it says what changed
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Ticket updated."))
    return redirect("tickets:detail", pk=ticket.pk)


@staff_required
@require_GET
def attachment_download(request, pk: int):
    attachment = selectors.attachment_for_agent(attachment_id=pk, viewer=request.user)
    return attachment_response(attachment)
