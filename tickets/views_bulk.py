"""Bulk changes from the inbox, merging, splitting and marking spam, and the notification bell.
Thin views."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.roles import staff_required

from . import bulk, notifications, selectors
from .forms import BulkForm, MergeForm, SpamForm, SplitForm


def _back_to_inbox(request) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("tickets:inbox")
    return HttpResponseRedirect(target or reverse("tickets:inbox"))


@staff_required
@require_POST
def bulk_update(request):
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return _back_to_inbox(request)
    action = form.cleaned_data["action"]
    try:
        if action:
            count = bulk.mark_spam(
                ticket_ids=form.cleaned_data["tickets"],
                actor=request.user,
                block_senders=action == "spam_block",
            )
        else:
            count = bulk.bulk_update_tickets(
                ticket_ids=form.cleaned_data["tickets"], actor=request.user, **form.changes()
            )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You are not allowed to do that."))
    else:
        if action == "spam_block":
            text = _("%(count)s tickets marked as spam; their senders are blocked.")
        elif action == "spam":
            text = _("%(count)s tickets marked as spam and closed.")
        else:
            text = _("%(count)s tickets updated.")
        messages.success(request, text % {"count": count})
    return _back_to_inbox(request)


@staff_required
@require_POST
def ticket_spam(request, pk: int):
    """The ticket page's "mark as spam" (and "… and block the sender") buttons."""
    ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
    form = SpamForm(request.POST)
    block = form.is_valid() and form.cleaned_data["block"]
    try:
        bulk.mark_spam(ticket_ids=[ticket.pk], actor=request.user, block_senders=block)
    except (ValidationError, PermissionDenied) as exc:
        text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text or _("You are not allowed to do that."))
    else:
        messages.success(
            request,
            _("Marked as spam and closed; the sender is blocked.")
            if block
            else _("Marked as spam and closed."),
        )
    return redirect("tickets:detail", pk=ticket.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def ticket_split(request, pk: int):
    """Pick messages of this ticket to move into a new one, then split."""
    ticket = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
    timeline = list(selectors.ticket_timeline(ticket=ticket).exclude(author_kind="system"))
    choices = [(message.pk, str(message.pk)) for message in timeline]
    form = SplitForm(request.POST or None, choices=choices)
    if form.is_bound and form.is_valid():
        try:
            new = bulk.split_ticket(
                ticket=ticket,
                message_ids=form.cleaned_data["messages"],
                actor=request.user,
                subject=form.cleaned_data["subject"],
            )
        except (ValidationError, PermissionDenied) as exc:
            text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            form.add_error(None, text or _("You are not allowed to do that."))
        else:
            messages.success(
                request,
                _("Ticket #%(new)s was split off from this ticket.") % {"new": new.pk},
            )
            return redirect("tickets:detail", pk=new.pk)
    chosen = {str(value) for value in (form["messages"].value() or [])}
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "tickets/split.html",
        {"ticket": ticket, "timeline": timeline, "form": form, "chosen": chosen},
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def ticket_merge(request, pk: int):
    """Confirm, then merge this ticket (the source) into the one the agent names."""
    source = selectors.ticket_for_agent(ticket_id=pk, viewer=request.user)
    form = MergeForm(request.POST or None, initial={"target": request.GET.get("into")})
    target = None
    if form.is_bound and form.is_valid():
        target = selectors.ticket_or_none(
            ticket_id=form.cleaned_data["target"], viewer=request.user
        )
        if target is None:
            form.add_error("target", _("There is no ticket with that number."))
        elif request.POST.get("confirm") == "yes":
            try:
                bulk.merge_tickets(source=source, target=target, actor=request.user)
            except (ValidationError, PermissionDenied) as exc:
                text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
                form.add_error(None, text or _("You are not allowed to do that."))
            else:
                messages.success(
                    request,
                    _("Ticket #%(source)s was merged into this ticket.") % {"source": source.pk},
                )
                return redirect("tickets:detail", pk=target.pk)
    elif not form.is_bound and request.GET.get("into", "").isdecimal():
        target = selectors.ticket_or_none(ticket_id=int(request.GET["into"]), viewer=request.user)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "tickets/merge.html",
        {"source": source, "target": target, "form": form},
        status=status,
    )


@staff_required
@require_GET
def notification_list(request):
    items = notifications.recent_notifications(request.user)
    template = "tickets/_notifications.html" if request.htmx else "tickets/notifications.html"
    return render(
        request,
        template,
        {"notifications": items, "unread": notifications.unread_count(request.user)},
    )


@staff_required
@require_POST
def notification_read(request):
    notifications.mark_read(user=request.user)
    if request.htmx:
        return notification_list(request)
    return redirect("tickets:notifications")
