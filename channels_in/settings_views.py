"""Agent settings → Mailboxes. Admins change them; managers may look. Views stay thin: the
writes are in `mailbox.accounts`, the server talk in `mailbox.check`."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.models import Role
from helpdesk.roles import staff_required

from . import selectors
from .mailbox import test_connection
from .mailbox.accounts import (
    delete_mail_account,
    request_poll,
    save_mail_account,
    set_mail_account_active,
)
from .models import MailAccount
from .settings_forms import MailAccountForm


def settings_viewer_required(view):
    """Admins and managers; any other staff member gets 403."""

    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.can_manage:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.role != Role.ADMIN:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


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


def _can_edit(request) -> bool:
    return request.user.role == Role.ADMIN


def _back(request, account: MailAccount):
    # Only two places post here; no free-form "next" URL to validate.
    if request.POST.get("from") == "edit":
        return redirect("agent_settings:mailbox_edit", pk=account.pk)
    return redirect("agent_settings:mailboxes")


# --- social and messaging accounts (LINE, Meta, WhatsApp, X, Telegram, Twilio) -------------


@settings_viewer_required
@require_GET
def social_list(request):
    from . import social_accounts
    from .models import SocialAccount, SocialKind

    accounts = list(
        SocialAccount.objects.defer("access_token_encrypted", "secret_encrypted").order_by(
            "kind", "name", "pk"
        )
    )
    groups = [
        {
            "kind": kind,
            "label": label,
            "accounts": [a for a in accounts if a.kind == kind],
        }
        for kind, label in SocialKind.choices
    ]
    for group in groups:
        for account in group["accounts"]:
            account.webhook_url = social_accounts.webhook_url(account)
    events, events_total = selectors.events_needing_attention(kinds=SocialKind.values)
    return render(
        request,
        "channels_in/social/account_list.html",
        {
            "groups": groups,
            "can_edit": _can_edit(request),
            "attention_events": events,
            "attention_total": events_total,
            "attention_from": "social",
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def social_create(request, kind: str):
    from .models import SocialAccount, SocialKind

    if kind not in SocialKind.values:
        raise Http404
    return _social_form(request, SocialAccount(kind=kind))


@settings_viewer_required
@require_http_methods(["GET", "POST"])
def social_edit(request, pk: int):
    from .models import SocialAccount

    account = get_object_or_404(SocialAccount, pk=pk)
    if request.method == "POST" and not _can_edit(request):
        raise PermissionDenied
    return _social_form(request, account)


def _social_form(request, account):
    from . import social_accounts
    from .settings_forms import SocialAccountForm

    title = account.name
    form = SocialAccountForm(request.POST or None, instance=account)
    check = None
    if request.method == "POST" and form.is_valid():
        candidate = form.save(commit=False)
        token, secret = form.cleaned_data["access_token"], form.cleaned_data.get("secret", "")
        if request.POST.get("action") == "test":
            if token:
                candidate.set_access_token(token)
            if secret:
                candidate.set_secret(secret)
            check = social_accounts.check_connection(candidate, store=False)
        else:
            try:
                social_accounts.save_social_account(candidate, access_token=token, secret=secret)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Account “%(name)s” saved.") % {"name": candidate.name})
                return redirect("agent_settings:social_edit", pk=candidate.pk)
    if not _can_edit(request):
        for field in form.fields.values():
            field.disabled = True
    context = {
        "form": form,
        "account": account,
        "title": title,
        "check": check,
        "spec": social_accounts.spec_for(account.kind),
        "webhook_url": social_accounts.webhook_url(account) if account.pk else "",
        "can_edit": _can_edit(request),
    }
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "channels_in/social/account_form.html", context, status=status)


@admin_required
@require_POST
def social_test(request, pk: int):
    from . import social_accounts
    from .models import SocialAccount

    account = get_object_or_404(SocialAccount, pk=pk)
    check = social_accounts.check_connection(account)
    (messages.success if check.ok else messages.error)(request, f"{account.name}: {check.message}")
    return _social_back(request, account)


@admin_required
@require_POST
def social_set_active(request, pk: int):
    from . import social_accounts
    from .models import SocialAccount

    account = get_object_or_404(SocialAccount, pk=pk)
    active = request.POST.get("active") == "1"
    social_accounts.set_social_account_active(account, active=active)
    text = _("“%(name)s” is active.") if active else _("“%(name)s” is deactivated.")
    messages.success(request, text % {"name": account.name})
    return _social_back(request, account)


@admin_required
@require_POST
def social_register_webhook(request, pk: int):
    from . import social_accounts
    from .models import SocialAccount, SocialKind

    account = get_object_or_404(SocialAccount, pk=pk, kind=SocialKind.TELEGRAM)
    check = social_accounts.register_telegram_webhook(account)
    (messages.success if check.ok else messages.error)(request, check.message)
    return _social_back(request, account)


def _social_back(request, account):
    if request.POST.get("from") == "edit":
        return redirect("agent_settings:social_edit", pk=account.pk)
    return redirect("agent_settings:social_accounts")


# --- held and failed inbound events (the buttons beside `release_inbound` / `replay_inbound`) --


@admin_required
@require_POST
def inbound_release(request, pk: int):
    from . import services
    from .models import InboundStatus

    try:
        event = services.release_held_event(pk)
    except services.NotActionable:
        messages.error(request, _("Event %(id)s is not held (any more).") % {"id": pk})
        return _attention_back(request)
    _report_outcome(request, event, InboundStatus)
    return _attention_back(request)


@admin_required
@require_POST
def inbound_retry(request, pk: int):
    from . import services
    from .models import InboundStatus

    try:
        event = services.retry_failed_event(pk)
    except services.NotActionable:
        messages.error(request, _("Event %(id)s has not failed (any more).") % {"id": pk})
        return _attention_back(request)
    _report_outcome(request, event, InboundStatus)
    return _attention_back(request)


def _report_outcome(request, event, InboundStatus) -> None:
    if event.status == InboundStatus.PROCESSED:
        messages.success(request, _("Event %(id)s was filed.") % {"id": event.pk})
    elif event.status == InboundStatus.HELD:
        messages.warning(
            request,
            _("Event %(id)s is held again: %(reason)s")
            % {"id": event.pk, "reason": event.error or _("the sender is blocked")},
        )
    else:
        messages.error(
            request,
            _("Event %(id)s failed again: %(error)s") % {"id": event.pk, "error": event.error},
        )


def _attention_back(request):
    # A fixed set of pages, never a free-form "next" URL.
    if request.POST.get("from") == "mailboxes":
        return redirect("agent_settings:mailboxes")
    return redirect("agent_settings:social_accounts")


# --- phone calls logged by agents ------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def call_log(request, ticket_pk: int | None = None):
    """Log a call as a new phone ticket, or (`ticket_pk`) on an existing ticket."""
    from tickets.selectors import ticket_for_agent

    from .phone import CallFacts, log_call
    from .settings_forms import CallLogForm

    ticket = ticket_for_agent(ticket_id=ticket_pk, viewer=request.user) if ticket_pk else None
    initial = {}
    if ticket is not None and ticket.identity and ticket.identity.kind in ("phone", "sms"):
        initial["number"] = ticket.identity.handle
    form = CallLogForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        facts = CallFacts(
            direction=data["direction"],
            number=data["number"],
            duration_seconds=data["duration_seconds"],
            outcome=data["outcome"],
            notes=data["notes"],
        )
        try:
            note = log_call(agent=request.user, facts=facts, ticket=ticket)
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You are not allowed to do that."))
        else:
            messages.success(request, _("Call logged."))
            return redirect("tickets:detail", pk=note.ticket_id)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "channels_in/social/call_form.html",
        {"form": form, "ticket": ticket},
        status=status,
    )
