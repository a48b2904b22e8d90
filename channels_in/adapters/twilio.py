"""Twilio: SMS in and out, delivery status callbacks, and voice call status callbacks.

Contract (twilio.com/docs/usage/security, /docs/messaging/api/message-resource):
- webhooks are form posts signed `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, full
  URL + every POST parameter name and value, sorted by name));
- inbound SMS: `MessageSid`, `From`, `To`, `Body`, `NumMedia`, `MediaUrl0`, …; status
  callbacks: `MessageSid`, `MessageStatus` (queued/sent/delivered/undelivered/failed/read),
  `ErrorCode`; voice status callbacks: `CallSid`, `CallStatus`, `Direction`, `CallDuration`;
- send: POST /2010-04-01/Accounts/{AccountSid}/Messages.json (form `To`, `From`, `Body`,
  `StatusCallback`, HTTP basic auth SID:token) → 201 `{"sid", "status"}`; errors
  `{"code", "message", "more_info", "status"}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from tickets.inbound import IncomingMessage

from .. import social_http
from ..models import InboundEvent, OutboundDelivery, SocialAccount
from ..registry import MalformedPayload, PermanentDeliveryError
from ..social_common import (
    ConnectionCheck,
    SocialAdapter,
    access_token,
    account_for_ticket,
    fetched_attachment,
    record_receipt,
    refuse,
    same,
)
from ..social_media import outgoing_files

DEFAULT_BASE_URL = "https://api.twilio.com"
MAX_TEXT = 1600  # Twilio's limit for one Body
MAX_MMS_BYTES = 5 * 1024 * 1024  # all files of one MMS together
MAX_MEDIA = 10
FINAL_CALL_STATUSES = {"completed", "busy", "no-answer", "failed", "canceled"}


def twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    data = url + "".join(f"{key}{value}" for key, value in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def webhook_url(account: SocialAccount) -> str:
    from ..social_accounts import webhook_url as public_url

    return public_url(account)


class TwilioAdapter(SocialAdapter):
    """Signature and form handling shared by the SMS and the voice adapter."""

    kept_headers = ("Content-Type", "X-Twilio-Signature", "I-Twilio-Idempotency-Token")

    def verify(self, request, body: bytes, account: SocialAccount) -> bool:
        params = _form(body)
        given = request.headers.get("X-Twilio-Signature", "")
        token = account.get_access_token()
        # The URL exactly as Twilio called it: the public one we told the admin to paste, or
        # (no proxy in between) the one this request arrived at.
        urls = {f"{settings.SITE_URL}{request.get_full_path()}", request.build_absolute_uri()}
        return any(same(given, twilio_signature(token, url, params)) for url in urls)

    def event_keys(self, request, body: bytes) -> list[str]:
        return [key for key, _item in self.keyed_events(_form(body))]

    def decode_stored(self, event: InboundEvent):
        return _form(bytes(event.payload))

    def ack(self, stored: int, duplicates: int) -> HttpResponse:
        # Empty TwiML: no automatic answer to the customer.
        return HttpResponse(
            '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
            content_type="text/xml",
        )


class SmsAdapter(TwilioAdapter):
    kind = "sms"

    def events(self, params):
        data = dict(params)
        sid = data.get("MessageSid") or data.get("SmsSid")
        if not sid:
            raise MalformedPayload("a Twilio messaging webhook has a MessageSid")
        status = data.get("MessageStatus") or data.get("SmsStatus") or ""
        if status and status != "received":
            yield f"status:{sid}:{status}", data
        else:
            yield sid, data

    def parse_item(self, data: dict, account: SocialAccount, event: InboundEvent):
        status = data.get("MessageStatus") or data.get("SmsStatus") or ""
        if status and status != "received":
            self._status(data, status)
            return []
        if not data.get("From"):
            raise MalformedPayload("an inbound SMS without From")
        attachments, notes = [], []
        auth = (account.api_user, account.get_access_token())
        try:
            count = min(int(data.get("NumMedia") or 0), MAX_MEDIA)
        except ValueError:
            count = 0
        for index in range(count):
            url = data.get(f"MediaUrl{index}")
            if not url:
                continue
            got, note = fetched_attachment(
                url,
                stem=f"mms-{index + 1}",
                content_type=data.get(f"MediaContentType{index}", ""),
                auth=auth,
            )
            if got:
                attachments.append(got)
            if note:
                notes.append(note)
        return [
            IncomingMessage(
                channel="sms",
                identity_kind="sms",
                handle=data["From"],
                body_text="\n".join(p for p in [data.get("Body", ""), *notes] if p),
                external_id=f"sms:{data['MessageSid']}",
                attachments=tuple(attachments),
            )
        ]

    def _status(self, data: dict, status: str) -> None:
        sid = data.get("MessageSid", "")
        if status in ("delivered", "read"):
            record_receipt(kind=self.kind, provider_id=sid, receipt=status)
        elif status in ("undelivered", "failed"):
            record_receipt(
                kind=self.kind,
                provider_id=sid,
                receipt="undelivered",
                error=_("The SMS could not be delivered (Twilio error %(code)s).")
                % {"code": data.get("ErrorCode", "?")},
            )

    def check_reply(self, message) -> None:
        super().check_reply(message)
        if len(message.body_text.strip()) > MAX_TEXT:
            refuse(_("An SMS can hold at most %(n)s characters.") % {"n": MAX_TEXT})
        files = outgoing_files(message)
        if len(files) > MAX_MEDIA:
            refuse(_("An MMS can carry at most %(n)s files.") % {"n": MAX_MEDIA})
        if sum(item.size for item in files) > MAX_MMS_BYTES:
            refuse(_("An MMS can carry at most 5 MB of files in all."))

    def deliver(self, delivery: OutboundDelivery) -> str:
        account = account_for_ticket(delivery.message.ticket, self.kind)
        token = access_token(account)
        text = delivery.message.body_text.strip()
        media = [item.url for item in outgoing_files(delivery.message)]
        if not text and not media:
            raise PermanentDeliveryError(_("SMS messages need text."))
        if len(text) > MAX_TEXT:
            raise PermanentDeliveryError(
                _("An SMS can hold at most %(n)s characters.") % {"n": MAX_TEXT}
            )
        data = {"To": delivery.recipient, "From": account.external_id}
        if text:
            data["Body"] = text
        if media:
            data["MediaUrl"] = media  # an MMS: Twilio fetches each file from our signed link
        data["StatusCallback"] = webhook_url(account)
        response = social_http.request(
            "POST",
            f"{social_http.base_url(account)}/2010-04-01/Accounts/{account.api_user}/Messages.json",
            data=data,
            auth=(account.api_user, token),
        )
        if not response.ok:
            raise PermanentDeliveryError(_twilio_error(response))
        return str(response.body.get("sid", ""))

    def test_connection(self, account: SocialAccount) -> ConnectionCheck:
        return check_twilio_account(account)


class VoiceAdapter(TwilioAdapter):
    """A finished call (status callback) opens a phone ticket with the call's facts."""

    kind = "phone"

    def events(self, params):
        data = dict(params)
        if not data.get("CallSid") or not data.get("CallStatus"):
            raise MalformedPayload("a Twilio voice status callback has CallSid and CallStatus")
        yield f"call:{data['CallSid']}:{data['CallStatus']}", data

    def parse_item(self, data: dict, account: SocialAccount, event: InboundEvent):
        from ..phone import CallFacts, call_summary

        if data["CallStatus"] not in FINAL_CALL_STATUSES:
            return []  # ringing / in-progress: the final callback files the call
        inbound = data.get("Direction", "inbound") == "inbound"
        number = data.get("From" if inbound else "To", "")
        if not number:
            raise MalformedPayload("a call without a number")
        try:
            seconds = int(data.get("CallDuration") or 0)
        except ValueError:
            seconds = 0
        facts = CallFacts(
            direction="inbound" if inbound else "outbound",
            number=number,
            duration_seconds=seconds,
            outcome=data["CallStatus"],
            notes="",
        )
        return [
            IncomingMessage(
                channel="phone",
                identity_kind="phone",
                handle=number,
                display_name=data.get("CallerName", ""),
                subject=_("Call from %(number)s") % {"number": number}
                if inbound
                else _("Call to %(number)s") % {"number": number},
                body_text=call_summary(facts),
                external_id=f"call:{data['CallSid']}",
            )
        ]

    def deliver(self, delivery: OutboundDelivery) -> str:
        raise PermanentDeliveryError(_("Phone tickets are answered by calling the customer."))

    def test_connection(self, account: SocialAccount) -> ConnectionCheck:
        return check_twilio_account(account)


def check_twilio_account(account: SocialAccount) -> ConnectionCheck:
    try:
        response = social_http.request(
            "GET",
            f"{social_http.base_url(account)}/2010-04-01/Accounts/{account.api_user}.json",
            auth=(account.api_user, account.get_access_token()),
        )
    except social_http.ProviderUnavailable as exc:
        return ConnectionCheck(False, _("Twilio could not be reached: %(e)s") % {"e": exc})
    if not response.ok:
        return ConnectionCheck(False, _twilio_error(response))
    return ConnectionCheck(
        True,
        _("Connected to the Twilio account “%(name)s”.")
        % {"name": response.body.get("friendly_name", account.api_user)},
    )


def _twilio_error(response: social_http.ProviderResponse) -> str:
    body = response.body
    if response.status == 401:
        return _("Twilio refused the Account SID or auth token: update them in Settings.")
    return _("Twilio refused the request (error %(code)s): %(detail)s") % {
        "code": body.get("code", response.status),
        "detail": body.get("message", response.text[:300]),
    }


def _form(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise MalformedPayload(f"the form body is not UTF-8: {exc}") from exc
