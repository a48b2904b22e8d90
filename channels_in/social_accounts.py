"""Writes and facts about connected social accounts (the settings pages stay thin)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpdesk import crypto

from . import registry
from .models import SocialAccount, SocialKind
from .social_common import ConnectionCheck


@dataclass(frozen=True)
class KindSpec:
    """What an admin is asked for when connecting an account of one kind."""

    base_url: str
    external_id_label: Promise | str = ""
    external_id_help: Promise | str = ""
    token_label: Promise | str = ""
    token_help: Promise | str = ""
    secret_label: Promise | str = ""
    secret_help: Promise | str = ""
    api_user_label: Promise | str = ""
    uses_verify_token: bool = False
    uses_template: bool = False
    uses_human_agent_tag: bool = False
    setup: list[Promise | str] = field(default_factory=list)
    # The secret is one we make up (Telegram's secret_token), not one the provider issues.
    generated_secret: bool = False


_META_SECRET = _("App secret (App settings → Basic). Used to check X-Hub-Signature-256.")

SPECS: dict[str, KindSpec] = {
    SocialKind.LINE: KindSpec(
        base_url="https://api.line.me",
        external_id_label=_("Bot user ID"),
        external_id_help=_("Filled in by “Test connection” (U followed by 32 characters)."),
        token_label=_("Channel access token"),
        token_help=_("LINE Developers console → Messaging API → Channel access token."),
        secret_label=_("Channel secret"),
        secret_help=_("Basic settings → Channel secret. Used to check X-Line-Signature."),
        setup=[
            _(
                "Paste the webhook URL below into Messaging API → Webhook URL and turn on “Use webhook”."
            ),
            _("Turn off “Auto-reply messages” so customers do not get two answers."),
        ],
    ),
    SocialKind.MESSENGER: KindSpec(
        base_url="https://graph.facebook.com/v21.0",
        external_id_label=_("Page ID"),
        token_label=_("Page access token"),
        token_help=_("A long-lived token of the page with the pages_messaging permission."),
        secret_label=_("App secret"),
        secret_help=_META_SECRET,
        uses_verify_token=True,
        uses_human_agent_tag=True,
        setup=[
            _(
                "In the Meta app → Webhooks, subscribe the Page object with the callback URL and verify token below."
            ),
            _("Subscribe the fields messages, message_deliveries and message_reads."),
        ],
    ),
    SocialKind.INSTAGRAM: KindSpec(
        base_url="https://graph.facebook.com/v21.0",
        external_id_label=_("Page ID of the linked Facebook page"),
        token_label=_("Page access token"),
        token_help=_("Needs the instagram_manage_messages permission."),
        secret_label=_("App secret"),
        secret_help=_META_SECRET,
        uses_verify_token=True,
        uses_human_agent_tag=True,
        setup=[
            _(
                "In the Meta app → Webhooks, subscribe the Instagram object with the callback URL and verify token below."
            ),
        ],
    ),
    SocialKind.WHATSAPP: KindSpec(
        base_url="https://graph.facebook.com/v21.0",
        external_id_label=_("Phone number ID"),
        external_id_help=_("WhatsApp → API Setup → Phone number ID (not the phone number)."),
        token_label=_("Access token"),
        token_help=_("A system user token with whatsapp_business_messaging."),
        secret_label=_("App secret"),
        secret_help=_META_SECRET,
        uses_verify_token=True,
        uses_template=True,
        setup=[
            _(
                "In WhatsApp → Configuration, set the callback URL and verify token below and subscribe the messages field."
            ),
            _(
                "Outside the 24-hour window WhatsApp only accepts an approved template: name one with a single body variable {{1}}, which carries the agent's reply."
            ),
        ],
    ),
    SocialKind.X: KindSpec(
        base_url="https://api.x.com",
        external_id_label=_("Account user ID"),
        external_id_help=_("Filled in by “Test connection”."),
        token_label=_("User access token (OAuth 2.0)"),
        token_help=_("With the dm.read, dm.write, tweet.read, tweet.write and users.read scopes."),
        secret_label=_("Consumer secret (API secret key)"),
        secret_help=_("Used for the CRC check and X-Twitter-Webhooks-Signature."),
        setup=[
            _(
                "Register the webhook URL below for the Account Activity API and subscribe this account."
            ),
            _("Mentions are answered with a public reply, direct messages privately."),
        ],
    ),
    SocialKind.TELEGRAM: KindSpec(
        base_url="https://api.telegram.org",
        external_id_label=_("Bot username"),
        external_id_help=_("Filled in by “Test connection”."),
        token_label=_("Bot token"),
        token_help=_("From @BotFather, e.g. 123456:ABC-DEF…"),
        secret_label=_("Webhook secret token"),
        secret_help=_("Made up for you when left empty; sent back by Telegram with every update."),
        generated_secret=True,
        setup=[
            _(
                "Save, then press “Register webhook”: it calls setWebhook with the URL and secret token."
            ),
        ],
    ),
    SocialKind.SMS: KindSpec(
        base_url="https://api.twilio.com",
        external_id_label=_("Twilio phone number"),
        external_id_help=_("In E.164 form, e.g. +815012345678. Replies are sent from it."),
        api_user_label=_("Account SID"),
        token_label=_("Auth token"),
        token_help=_("Also checks X-Twilio-Signature on every webhook."),
        setup=[
            _(
                "In the Twilio console, set the number's “A message comes in” webhook (HTTP POST) to the URL below."
            ),
        ],
    ),
    SocialKind.PHONE: KindSpec(
        base_url="https://api.twilio.com",
        external_id_label=_("Twilio phone number"),
        api_user_label=_("Account SID"),
        token_label=_("Auth token"),
        token_help=_("Also checks X-Twilio-Signature on every webhook."),
        setup=[
            _(
                "Set the number's “Call status changes” callback (HTTP POST) to the URL below: every finished call opens a phone ticket."
            ),
        ],
    ),
}


def spec_for(kind: str) -> KindSpec:
    return SPECS[kind]


def webhook_url(account: SocialAccount) -> str:
    path = reverse("webhooks:social", kwargs={"kind": account.kind, "account_id": account.pk})
    return f"{settings.SITE_URL}{path}"


def save_social_account(
    account: SocialAccount, *, access_token: str = "", secret: str = ""
) -> SocialAccount:
    """Save the account; empty token/secret arguments keep the stored ones."""
    spec = spec_for(account.kind)
    if access_token:
        account.set_access_token(access_token)
    if secret:
        account.set_secret(secret)
    elif spec.generated_secret and not account.secret_encrypted:
        # Telegram allows A-Z, a-z, 0-9, _ and - (1–256 characters).
        account.set_secret(secrets.token_urlsafe(32))
    if spec.uses_verify_token and not account.verify_token:
        account.verify_token = secrets.token_urlsafe(24)
    if not account.api_base_url:
        account.api_base_url = spec.base_url
    account.full_clean(exclude=["access_token_encrypted", "secret_encrypted"])
    account.save()
    return account


def set_social_account_active(account: SocialAccount, *, active: bool) -> None:
    account.active = active
    account.save(update_fields=["active", "updated_at"])


def check_connection(account: SocialAccount, *, store: bool = True) -> ConnectionCheck:
    """Call the provider's cheapest authenticated endpoint; keep the outcome on the account."""
    from django.utils.translation import gettext as _g

    try:
        check = registry.adapter_for(account.kind).test_connection(account)  # type: ignore[attr-defined]
    except crypto.DecryptionError:
        check = ConnectionCheck(
            False, _g("The stored token cannot be decrypted any more: enter it again.")
        )
    if store and account.pk:
        with transaction.atomic():
            account.last_checked_at = timezone.now()
            account.last_error = "" if check.ok else check.message
            account.save(
                update_fields=["last_checked_at", "last_error", "external_id", "updated_at"]
            )
    return check


def register_telegram_webhook(account: SocialAccount) -> ConnectionCheck:
    """setWebhook with our URL and the secret token Telegram must send back."""
    from django.utils.translation import gettext as _g

    from . import social_http

    try:
        response = social_http.request(
            "POST",
            f"{social_http.base_url(account)}/bot{account.get_access_token()}/setWebhook",
            json={
                "url": webhook_url(account),
                "secret_token": account.get_secret(),
                "allowed_updates": ["message"],
            },
        )
    except social_http.ProviderUnavailable as exc:
        return ConnectionCheck(False, _g("Telegram could not be reached: %(e)s") % {"e": exc})
    if not response.body.get("ok"):
        return ConnectionCheck(
            False,
            _g("Telegram refused the webhook: %(reason)s")
            % {"reason": response.body.get("description") or response.status},
        )
    return ConnectionCheck(
        True, _g("Telegram will send updates to %(url)s.") % {"url": webhook_url(account)}
    )
