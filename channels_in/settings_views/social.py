"""Agent settings → Social accounts (LINE, Meta, WhatsApp, X, Telegram, Twilio). The writes
and the provider talk live in `social_accounts`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import selectors
from .access import admin_required, settings_viewer_required
from .access import can_edit as _can_edit


@settings_viewer_required
@require_GET
def social_list(request):
    from .. import social_accounts
    from ..models import SocialAccount, SocialKind

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
    from ..models import SocialAccount, SocialKind

    if kind not in SocialKind.values:
        raise Http404
    return _social_form(request, SocialAccount(kind=kind))


@settings_viewer_required
@require_http_methods(["GET", "POST"])
def social_edit(request, pk: int):
    from ..models import SocialAccount

    account = get_object_or_404(SocialAccount, pk=pk)
    if request.method == "POST" and not _can_edit(request):
        raise PermissionDenied
    return _social_form(request, account)


def _social_form(request, account):
    from .. import social_accounts
    from ..settings_forms import SocialAccountForm

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
    from .. import social_accounts
    from ..models import SocialAccount

    account = get_object_or_404(SocialAccount, pk=pk)
    check = social_accounts.check_connection(account)
    (messages.success if check.ok else messages.error)(request, f"{account.name}: {check.message}")
    return _social_back(request, account)


@admin_required
@require_POST
def social_set_active(request, pk: int):
    from .. import social_accounts
    from ..models import SocialAccount

    account = get_object_or_404(SocialAccount, pk=pk)
    active = request.POST.get("active") == "1"
    social_accounts.set_social_account_active(account, active=active)
    text = _("“%(name)s” is active.") if active else _("“%(name)s” is deactivated.")
    messages.success(request, text % {"name": account.name})
    return _social_back(request, account)


@admin_required
@require_POST
def social_register_webhook(request, pk: int):
    from .. import social_accounts
    from ..models import SocialAccount, SocialKind

    account = get_object_or_404(SocialAccount, pk=pk, kind=SocialKind.TELEGRAM)
    check = social_accounts.register_telegram_webhook(account)
    (messages.success if check.ok else messages.error)(request, check.message)
    return _social_back(request, account)


def _social_back(request, account):
    if request.POST.get("from") == "edit":
        return redirect("agent_settings:social_edit", pk=account.pk)
    return redirect("agent_settings:social_accounts")
