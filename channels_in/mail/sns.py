"""Amazon SNS, the envelope Amazon SES inbound mail arrives in: signatures and subscriptions.

django-anymail checks that the SNS headers match the body and the shared basic-auth secret,
but (as of 15.x) not the message signature. That is done here, as the SNS documentation
prescribes: the signing certificate is fetched only from an SNS URL (`MAIL_SNS_URL_PATTERN`),
cached, must be valid now, and its RSA key must verify the signature over the documented
"name\\nvalue\\n" string (SignatureVersion 1: SHA-1, 2: SHA-256).

A SubscriptionConfirmation is confirmed by fetching its SubscribeURL (the documented way
without the AWS SDK), after the same checks; the topic can be pinned with
`MAIL_SES_TOPIC_ARNS`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from datetime import UTC, datetime

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

DEFAULT_URL_PATTERN = r"https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/"
CERT_CACHE_SECONDS = 24 * 3600
MAX_CERT_BYTES = 64 * 1024
HTTP_TIMEOUT = 10.0
_SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
_SIGNED_FIELDS["UnsubscribeConfirmation"] = _SIGNED_FIELDS["SubscriptionConfirmation"]
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}


class SnsRefused(Exception):
    """The message is not provably from Amazon SNS for one of our topics."""


class SnsUnavailable(Exception):
    """Amazon could not be reached just now: answer 5xx, and SNS delivers again later."""


def verify(message: dict) -> None:
    """Raise `SnsRefused` unless `message` carries a valid SNS signature (and, when
    `MAIL_SES_TOPIC_ARNS` is set, comes from one of those topics)."""
    if not getattr(settings, "MAIL_SNS_VERIFY_SIGNATURE", True):
        return
    kind = message.get("Type")
    fields = _SIGNED_FIELDS.get(kind if isinstance(kind, str) else "")
    if fields is None:
        raise SnsRefused(f"unknown SNS message type {kind!r}")
    topics = list(getattr(settings, "MAIL_SES_TOPIC_ARNS", ()) or ())
    if topics and message.get("TopicArn") not in topics:
        raise SnsRefused(f"topic {message.get('TopicArn')!r} is not one of ours")
    algorithm = _HASHES.get(str(message.get("SignatureVersion", "")))
    if algorithm is None:
        raise SnsRefused(f"unsupported SignatureVersion {message.get('SignatureVersion')!r}")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except (binascii.Error, ValueError):
        raise SnsRefused("the signature is not base64") from None
    key = _public_key(str(message.get("SigningCertURL") or message.get("SigningCertUrl") or ""))
    try:
        key.verify(signature, string_to_sign(message, fields), padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise SnsRefused("the signature does not match the message") from None


def string_to_sign(message: dict, fields: tuple[str, ...]) -> bytes:
    parts = []
    for name in fields:
        if name not in message:
            if name == "Subject":  # the only optional one
                continue
            raise SnsRefused(f"the message has no {name}")
        value = message[name]
        if not isinstance(value, str):
            raise SnsRefused(f"{name} is not a string")
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode("utf-8")


def sns_url_allowed(url: str) -> bool:
    pattern = getattr(settings, "MAIL_SNS_URL_PATTERN", DEFAULT_URL_PATTERN)
    return bool(url) and re.match(pattern, url) is not None and "@" not in url.split("/")[2]


def _public_key(url: str) -> rsa.RSAPublicKey:
    if not sns_url_allowed(url) or not url.split("?")[0].endswith(".pem"):
        raise SnsRefused(f"the signing certificate URL {url[:200]!r} is not Amazon SNS's")
    cache_key = "madoguchi:sns-cert:" + hashlib.sha256(url.encode()).hexdigest()
    pem = cache.get(cache_key)
    if pem is None:
        pem = _fetch(url)
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise SnsRefused("the signing certificate cannot be read") from None
    now = datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SnsRefused("the signing certificate is not valid now")
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SnsRefused("the signing certificate has no RSA key")
    cache.set(cache_key, pem, CERT_CACHE_SECONDS)
    return key


def _fetch(url: str) -> bytes:
    try:
        with httpx.stream("GET", url, timeout=HTTP_TIMEOUT, follow_redirects=False) as response:
            if response.status_code != 200:
                raise SnsRefused(f"the signing certificate answered {response.status_code}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_CERT_BYTES:
                    raise SnsRefused("the signing certificate is too large")
            return body
    except httpx.HTTPError as exc:
        # Not the sender's fault: SNS retries, and we must not refuse for good.
        raise SnsUnavailable(str(exc)) from exc


def confirm_subscription(message: dict) -> None:
    """Visit the SubscribeURL of a verified SubscriptionConfirmation."""
    url = str(message.get("SubscribeURL") or "")
    if not sns_url_allowed(url):
        raise SnsRefused(f"the SubscribeURL {url[:200]!r} is not Amazon SNS's")
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise SnsUnavailable(f"confirming the subscription failed: {exc}") from exc
    if response.status_code != 200:
        raise SnsUnavailable(f"confirming the subscription answered {response.status_code}")
    log.info("confirmed the SNS subscription to %s", message.get("TopicArn"))
