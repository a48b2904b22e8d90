"""Agent pages: thin — parse the request, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from customers import selectors as customer_selectors
from customers.privacy import sees_contact_details
from helpdesk.roles import staff_required
from helpdesk.uploads import as_incoming

from . import panels, selectors, services
from .downloads import attachment_response
from .forms import ReplyForm, TicketPropertiesForm
from .search_query import OPERATOR_HELP, parse_ticket_query, search_box_text


@staff_required
@require_GET
def inbox(request):
    view = request.GET.get("view", selectors.DEFAULT_VIEW)
    query = search_box_text(request.GET.get("q", ""))
    context = {
        "views": selectors.INBOX_VIEWS,
        # While searching no view is current: results come from every ticket.
        "current_view": "" if query else view,
        "return_view": view,
        "counts": selectors.inbox_counts(viewer=request.user),
        "show_contact_details": sees_contact_details(request.user),
        "query": query,
    }
    if query:
        parsed = parse_ticket_query(query)
        context.update(
            tickets=selectors.search_tickets(viewer=request.user, query=parsed),
            search_hints=parsed.hints,
            search_limit=selectors.SEARCH_LIMIT,
            operator_help=OPERATOR_HELP,
        )
    else:
        context["tickets"] = selectors.inbox_tickets(viewer=request.user, view=view)
    # The live socket asks for just the list when something changed.
    template = "tickets/_inbox_list.html" if request.htmx else "tickets/inbox.html"
    return render(request, template, context)


def _ticket_context(request, ticket, reply_form=None):
    return {
        "ticket": ticket,
        "customer_panel": customer_selectors.customer_panel(customer=ticket.customer),
        "show_contact_details": sees_contact_details(request.user),
        "timeline": selectors.ticket_timeline(ticket=ticket),
        "other_tickets": selectors.customer_other_tickets(ticket=ticket),
        "agents": selectors.assignable_agents(),
        "teams": selectors.teams(),
        "reply_form": reply_form or ReplyForm(),
        "properties_form": TicketPropertiesForm(),  # its choices label the sidebar selects
        "panels": panels.render_panels(request, ticket),
    }


@staff_required
@require_GET
def ticket_detail(request, pk: int):
    ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
    if request.htmx and request.GET.get("part") == "timeline":
        return render(request, "tickets/_timeline.html", _ticket_context(request, ticket))
    return render(request, "tickets/ticket.html", _ticket_context(request, ticket))


@staff_required
@require_POST
def ticket_reply(request, pk: int):
    ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.reply(
                ticket=ticket,
                author=request.user,
                body_text=form.cleaned_data["body"],
                internal=form.cleaned_data["internal"],
                status=form.cleaned_data["status"] or None,
                attachments=as_incoming(form.cleaned_data["attachments"]),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You are not allowed to do that."))
        else:
            messages.success(
                request, _("Note added.") if form.cleaned_data["internal"] else _("Reply sent.")
            )
            return redirect("tickets:detail", pk=ticket.pk)
    return render(
        request, "tickets/ticket.html", _ticket_context(request, ticket, form), status=400
    )


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
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Ticket updated."))
    return redirect("tickets:detail", pk=ticket.pk)


@staff_required
@require_GET
def attachment_download(request, pk: int):
    attachment = selectors.attachment_for_agent(attachment_id=pk, viewer=request.user)
    return attachment_response(attachment)
