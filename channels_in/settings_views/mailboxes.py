"""Agent settings → Mailboxes. Views stay thin: the writes are in `mailbox.accounts`, the
server talk in `mailbox.check`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import selectors
from ..mailbox import test_connection
from ..mailbox.accounts import (
    delete_mail_account,
    request_poll,
    save_mail_account,
    set_mail_account_active,
)
from ..models import MailAccount
from ..settings_forms import MailAccountForm
from .access import admin_required, settings_viewer_required
from .access import can_edit as _can_edit


@settings_viewer_required
@require_GET
def mailbox_list(request):
    events, events_total = selectors.events_needing_attention(kinds=["email"])
    return render(
        request,
        "channels_in/settings/mailbox_list.html",
        {
            "accounts": selectors.mail_accounts(),
            "can_edit": _can_edit(request),
            "attention_events": events,
            "attention_total": events_total,
            "attention_from": "mailboxes",
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def mailbox_create(request):
    return _mailbox_form(request, MailAccount())


@settings_viewer_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request, pk: int):
    account = get_object_or_404(MailAccount, pk=pk)
    if request.method == "POST" and not _can_edit(request):
        raise PermissionDenied
    return _mailbox_form(request, account)


def _mailbox_form(request, account: MailAccount):
    title = account.name  # before the form writes the typed values onto the instance
    form = MailAccountForm(request.POST or None, instance=account)
    check = None
    if request.method == "POST" and form.is_valid():
        candidate = form.save(commit=False)  # not saved: "test" tries the values as typed
        password = form.cleaned_data["password"]
        if request.POST.get("action") == "test":
            if password:
                candidate.set_password(password)
            check = test_connection(candidate)
        else:
            try:
                save_mail_account(candidate, password=password)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Mailbox “%(name)s” saved.") % {"name": account.name})
                return redirect("agent_settings:mailboxes")
    if not _can_edit(request):
        for field in form.fields.values():
            field.disabled = True
    context = {
        "form": form,
        "account": account,
        "title": title,
        "check": check,
        "can_edit": _can_edit(request),
    }
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "channels_in/settings/mailbox_form.html", context, status=status)


@admin_required
@require_POST
def mailbox_test(request, pk: int):
    account = get_object_or_404(MailAccount, pk=pk)
    check = test_connection(account)
    (messages.success if check.ok else messages.error)(request, f"{account.name}: {check.message}")
    return _back(request, account)


@admin_required
@require_POST
def mailbox_poll(request, pk: int):
    account = get_object_or_404(MailAccount, pk=pk)
    if not account.active:
        messages.error(request, _("Activate the mailbox before polling it."))
    else:
        request_poll(account)
        messages.success(
            request, _("“%(name)s” will be polled in a moment.") % {"name": account.name}
        )
    return _back(request, account)


@admin_required
@require_POST
def mailbox_set_active(request, pk: int):
    account = get_object_or_404(MailAccount, pk=pk)
    active = request.POST.get("active") == "1"
    set_mail_account_active(account, active=active)
    text = _("“%(name)s” is active.") if active else _("“%(name)s” is paused.")
    messages.success(request, text % {"name": account.name})
    return _back(request, account)


@admin_required
@require_http_methods(["GET", "POST"])
def mailbox_delete(request, pk: int):
    account = get_object_or_404(MailAccount, pk=pk)
    if request.method == "POST":
        delete_mail_account(account)
        messages.success(request, _("Mailbox “%(name)s” deleted.") % {"name": account.name})
        return redirect("agent_settings:mailboxes")
    return render(request, "channels_in/settings/mailbox_confirm_delete.html", {"account": account})


def _back(request, account: MailAccount):
    # Only two places post here; no free-form "next" URL to validate.
    if request.POST.get("from") == "edit":
        return redirect("agent_settings:mailbox_edit", pk=account.pk)
    return redirect("agent_settings:mailboxes")
