"""Inbound mail pushed by an email service provider, through django-anymail's inbound views.

Anymail checks the provider's signature (Mailgun) or the shared basic-auth secret (Postmark,
SendGrid, Amazon SES, whose SNS signature `sns` checks on top); then the mail's raw MIME is stored with `inbound_batch.store_raw_mails`, exactly as a mail
fetched over IMAP or piped into `manage.py ingest_mail`, and processed the same way.

Settings (anymail's own names): `ANYMAIL = {"WEBHOOK_SECRET": "user:password",
"MAILGUN_WEBHOOK_SIGNING_KEY": "…"}`. An endpoint whose secret is not set answers 404, so
a forgotten setting never leaves an open door.
"""

from __future__ import annotations

import logging
import warnings
from base64 import b64decode
from io import BytesIO

from anymail.exceptions import (
    AnymailConfigurationError,
    AnymailError,
    AnymailWebhookValidationFailure,
)
from anymail.utils import get_anymail_setting
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from .. import inbound_batch
from . import sns

log = logging.getLogger(__name__)


class _RawMimeInbound:
    """Mixin over an anymail inbound view: validate, then store the raw mail, never a
    re-serialized one when the provider sent the original bytes."""

    esp_key = ""
    # SNS sends basic-auth credentials only after a 401 challenge asks for them.
    challenges_basic_auth = False

    def raw_mime(self, request: HttpRequest, event) -> bytes:
        return event.message.as_bytes()

    def store(self, request: HttpRequest) -> list[int]:
        """The post's mails stored in one INSERT (a duplicate gives the id stored before),
        then filed by one task, as a mailbox batch is."""
        self.run_validators(request)
        raws = []
        for event in self.parse_events(request):
            raw = self.raw_mime(request, event)
            if not raw.strip():
                raise ValueError("the provider sent an empty mail")
            raws.append(raw)
        stored = inbound_batch.store_raw_mails(raws, source=f"webhook:{self.esp_key}")
        return [event_id for event_id, _created in stored]


def _form_field_bytes(request: HttpRequest, name: str) -> bytes | None:
    """A form field's exact bytes: the body parsed again as Latin-1, which maps every byte
    to one character, so 8-bit mail in any charset survives the form encoding."""
    if request.content_type == "multipart/form-data":
        parser = MultiPartParser(
            request.META, BytesIO(request.body), request.upload_handlers, encoding="latin-1"
        )
        fields, _files = parser.parse()
    elif request.content_type == "application/x-www-form-urlencoded":
        fields = QueryDict(request.body, encoding="latin-1")
    else:
        return None
    value = fields.get(name)
    return value.encode("latin-1") if value is not None else None


class MailgunInbound(_RawMimeInbound, MailgunInboundWebhookView):
    """Mailgun route `forward("https://…/webhooks/email/mailgun/")`; raw MIME when the URL
    ends in "mime" or the route asks for it (`body-mime`), else the parsed fields."""

    esp_key = "mailgun"

    def raw_mime(self, request, event):
        return _form_field_bytes(request, "body-mime") or event.message.as_bytes()


class SendGridInbound(_RawMimeInbound, SendGridInboundWebhookView):
    """SendGrid Inbound Parse; "POST the raw, full MIME message" gives the `email` field."""

    esp_key = "sendgrid"

    def raw_mime(self, request, event):
        return _form_field_bytes(request, "email") or event.message.as_bytes()


class PostmarkInbound(_RawMimeInbound, PostmarkInboundWebhookView):
    """Postmark inbound JSON; with "Include raw email content" on, `RawEmail` is the mail."""

    esp_key = "postmark"

    def raw_mime(self, request, event):
        raw = event.esp_event.get("RawEmail") if isinstance(event.esp_event, dict) else None
        return raw.encode("utf-8", "surrogateescape") if raw else event.message.as_bytes()


class AmazonSESInbound(_RawMimeInbound, AmazonSESInboundWebhookView):
    """Amazon SES receipt rule → SNS topic → HTTPS subscription to this URL, with the
    WEBHOOK_SECRET as basic auth in it (https://user:password@host/webhooks/email/amazon_ses/).

    SNS action: the mail is inline (encoding BASE64 keeps its exact bytes; UTF-8 is SES's
    re-encoding). S3 action: the mail is read from the bucket with boto3 (anymail's
    `AMAZON_SES_CLIENT_PARAMS` / `AMAZON_SES_SESSION_PARAMS`), and stored as read.
    """

    esp_key = "amazon_ses"
    challenges_basic_auth = True

    def validate_request(self, request):
        super().validate_request(request)  # the SNS headers match the body
        sns.verify(self._parse_sns_message(request))

    def auto_confirm_sns_subscription(self, sns_message):
        # Basic auth proved the subscription is meant for us, the signature that SNS sent
        # it: confirm by visiting the SubscribeURL (anymail would need an AWS client).
        if self.auto_confirm_enabled:
            sns.confirm_subscription(sns_message)

    def fetch_s3_chunks(self, bucket_name, object_key):
        self._s3_raw = b""
        for chunk in super().fetch_s3_chunks(bucket_name, object_key):
            self._s3_raw += chunk
            yield chunk

    def raw_mime(self, request, event):
        action = event.esp_event.get("receipt", {}).get("action", {})
        if action.get("type") == "S3":
            return getattr(self, "_s3_raw", b"") or event.message.as_bytes()
        content = event.esp_event.get("content") or ""
        if action.get("encoding") == "BASE64":
            return b64decode(content.encode("ascii"))
        return content.encode("utf-8", "surrogateescape")


PROVIDERS: dict[str, type[_RawMimeInbound]] = {
    "amazon_ses": AmazonSESInbound,
    "mailgun": MailgunInbound,
    "postmark": PostmarkInbound,
    "sendgrid": SendGridInbound,
}


try:
    from anymail.webhooks.amazon_ses import AnymailBotoClientAPIError
    from botocore.exceptions import BotoCoreError

    _RETRYABLE: tuple[type[Exception], ...] = (AnymailBotoClientAPIError, BotoCoreError)
except ImportError:  # boto3 not installed: the S3 action cannot be used at all
    _RETRYABLE = ()


def _configured(esp: str) -> bool:
    if esp == "mailgun":
        return bool(
            get_anymail_setting("webhook_signing_key", esp_name="mailgun", default="")
            or get_anymail_setting("api_key", esp_name="mailgun", default="")
        )
    return bool(get_anymail_setting("webhook_secret", default=""))


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
def inbound_mail(request: HttpRequest, esp: str) -> JsonResponse:
    """POST /webhooks/email/<esp>/: one provider's inbound mail → stored raw events."""
    view_class = PROVIDERS.get(esp)
    if view_class is None or not _configured(esp):
        return _error(404, f"no inbound mail endpoint for {esp!r}")
    if request.method == "HEAD":  # providers probe the URL when it is configured
        return JsonResponse({})
    if request.method != "POST":
        return _error(405, "POST only")
    if view_class.challenges_basic_auth and not request.META.get("HTTP_AUTHORIZATION"):
        response = _error(401, "basic auth required")
        response["WWW-Authenticate"] = 'Basic realm="Anymail WEBHOOK_SECRET"'
        return response
    try:
        request.body  # noqa: B018 - keep the body for a second, byte-exact read of the form
    except RequestDataTooBig:
        log.warning("inbound mail webhook %s: request too large", esp)
        return _error(413, "the mail is larger than this server accepts")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anymail warns that SendGrid support is community-only
        view = view_class()
    view.setup(request, esp=esp)
    try:
        stored = view.store(request)
    except (AnymailWebhookValidationFailure, sns.SnsRefused) as exc:
        log.warning("inbound mail webhook %s refused: %s", esp, exc)
        return _error(403, "signature or credentials do not match")
    except (sns.SnsUnavailable, *_RETRYABLE) as exc:
        # Amazon (the certificate, the subscription URL, the S3 bucket) did not answer:
        # a 5xx makes SNS deliver the notification again later.
        log.warning("inbound mail webhook %s: try again later: %s", esp, exc)
        return _error(503, "could not complete now; deliver again later")
    except (
        AnymailConfigurationError,
        AnymailError,
        MultiPartParserError,
        KeyError,
        ValueError,
        TypeError,
    ) as exc:
        # Malformed or not an inbound-mail post: the provider must not retry it forever.
        log.warning("inbound mail webhook %s: bad payload: %s", esp, exc)
        return _error(400, f"not an inbound mail payload: {exc.__class__.__name__}")
    except (RequestDataTooBig, TooManyFieldsSent):
        return _error(413, "the mail is larger than this server accepts")
    return JsonResponse({"stored": stored})
