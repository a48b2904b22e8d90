"""Amazon played on 127.0.0.1 for the SES inbound tests: the SNS signing certificate, the
SubscribeURL and an S3 bucket, plus notifications built field by field from the documented SES
and SNS formats and signed with our own key."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

pytestmark = pytest.mark.django_db

SECRET = "sns:s3cret-passw0rd"
TOPIC = "arn:aws:sns:us-east-1:123456789012:madoguchi-inbound"
URL = "/webhooks/email/amazon_ses/"


def _key_and_cert(common_name: str = "sns.amazonaws.com"):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


SNS_KEY, SNS_CERT = _key_and_cert()
OTHER_KEY, _OTHER_CERT = _key_and_cert()


class FakeAmazon:
    """The SNS certificate host, the SubscribeURL and an S3 bucket, on 127.0.0.1."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.objects: dict[str, bytes] = {}
        self.cert_status = 200
        amazon = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                amazon.requests.append(self.path)
                if self.path.endswith(".pem"):
                    return self._send(amazon.cert_status, SNS_CERT)
                if self.path.startswith("/?Action=ConfirmSubscription"):
                    return self._send(200, b"<ConfirmSubscriptionResponse/>")
                body = amazon.objects.get(self.path.split("?")[0])
                if body is None:
                    return self._send(404, b"<Error><Code>NoSuchKey</Code></Error>")
                return self._send(200, body)

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def amazon_server(settings):
    """A FakeAmazon with the settings pointing at it (used as a fixture by the test files)."""
    server = FakeAmazon()
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": SECRET,
        "AMAZON_SES_CLIENT_PARAMS": {
            "endpoint_url": server.base,
            "region_name": "us-east-1",
            "aws_access_key_id": "AKIDEXAMPLE",
            "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "config": {"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 1}},
        },
    }
    settings.MAIL_SNS_URL_PATTERN = rf"http://127\.0\.0\.1:{server.server.server_port}/"
    from django.core.cache import cache

    cache.clear()  # certificates are cached by URL; every test has its own server
    yield server
    server.stop()


def raw_mail(message_id: str | None = None) -> bytes:
    """Shift_JIS 8-bit text: only a byte-exact path keeps it readable."""
    message_id = message_id or f"<{uuid.uuid4().hex}@example.jp>"
    return (
        b"From: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>\r\n"
        b"To: support@madoguchi.localhost\r\n"
        b"Cc: sato@example.jp\r\n"
        b"Subject: =?ISO-2022-JP?B?GyRCQ21KOBsoQg==?=\r\n"
        b"Message-ID: " + message_id.encode() + b"\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=Shift_JIS\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + "商品が届きません。".encode("cp932") + b"\r\n"
    )


def ses_received(action: dict, content: str | None = None) -> str:
    """The SES "Received" notification (documented example's shape)."""
    event = {
        "notificationType": "Received",
        "receipt": {
            "timestamp": "2026-11-22T20:32:33.936Z",
            "processingTimeMillis": 222,
            "recipients": ["support@madoguchi.localhost"],
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "spfVerdict": {"status": "PASS"},
            "dkimVerdict": {"status": "PASS"},
            "action": action,
        },
        "mail": {
            "timestamp": "2026-11-22T20:32:33.936Z",
            "source": "yamada@example.jp",
            "messageId": uuid.uuid4().hex[:26],
            "destination": ["support@madoguchi.localhost"],
            "headersTruncated": False,
            "headers": [{"name": "From", "value": "yamada@example.jp"}],
            "commonHeaders": {"from": ["yamada@example.jp"], "subject": "..."},
        },
    }
    if content is not None:
        event["content"] = content
    return json.dumps(event)


def sign(message: dict, *, key=SNS_KEY, version: str = "2") -> dict:
    fields = (
        ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
        if message["Type"] == "Notification"
        else ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
    )
    text = "".join(f"{name}\n{message[name]}\n" for name in fields if name in message)
    algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()  # noqa: S303 - SNS v1
    signature = key.sign(text.encode(), padding.PKCS1v15(), algorithm)
    return {
        **message,
        "SignatureVersion": version,
        "Signature": base64.b64encode(signature).decode(),
    }


def notification(amazon: FakeAmazon, ses_json: str, **extra) -> dict:
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": TOPIC,
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": ses_json,
        "Timestamp": "2026-11-22T20:32:34.136Z",
        "SigningCertURL": f"{amazon.base}/SimpleNotificationService-0000000000000000.pem",
        "UnsubscribeURL": f"{amazon.base}/?Action=Unsubscribe&SubscriptionArn={TOPIC}:1",
        **extra,
    }


def post(client, message: dict, *, auth: str | None = SECRET, kind: str | None = None):
    headers = {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": kind or message["Type"],
        "HTTP_X_AMZ_SNS_MESSAGE_ID": message["MessageId"],
        "HTTP_X_AMZ_SNS_TOPIC_ARN": message.get("TopicArn", ""),
        "HTTP_USER_AGENT": "Amazon Simple Notification Service Agent",
    }
    if auth:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    # SNS posts JSON labelled text/plain.
    return client.post(
        URL, json.dumps(message), content_type="text/plain; charset=UTF-8", **headers
    )


def valid_ses(amazon) -> dict:
    raw = raw_mail()
    ses = ses_received(
        {"type": "SNS", "topicArn": TOPIC, "encoding": "BASE64"}, base64.b64encode(raw).decode()
    )
    return notification(amazon, ses)


def subscription(amazon) -> dict:
    token = uuid.uuid4().hex * 4
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": str(uuid.uuid4()),
        "Token": token,
        "TopicArn": TOPIC,
        "Message": (
            f"You have chosen to subscribe to the topic {TOPIC}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message."
        ),
        "SubscribeURL": f"{amazon.base}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token={token}",
        "Timestamp": "2026-11-22T20:30:00.000Z",
        "SigningCertURL": f"{amazon.base}/SimpleNotificationService-0000000000000000.pem",
    }
