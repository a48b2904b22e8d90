"""Amazon SES inbound mail: SNS notifications (the mail inline, or an S3 object) posted to
/webhooks/email/amazon_ses/, their SNS signatures verified against a signing certificate
fetched over HTTP, subscriptions confirmed, the raw mail stored first and filed like IMAP mail.

A local HTTP server plays Amazon: it serves the signing certificate, answers the
SubscribeURL, and serves S3 GetObject for the bucket of the S3 action. The notifications are
built field by field from the documented SES and SNS formats and signed with our own key.
"""

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

from channels_in.models import InboundEvent
from tickets.models import Ticket

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


@pytest.fixture
def amazon(settings):
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


def test_base64_sns_action_is_stored_byte_exact_and_filed(
    client, amazon, django_capture_on_commit_callbacks
):
    raw = raw_mail()
    ses = ses_received(
        {"type": "SNS", "topicArn": TOPIC, "encoding": "BASE64"}, base64.b64encode(raw).decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, sign(notification(amazon, ses)))

    assert response.status_code == 200, response.content
    event = InboundEvent.objects.get()
    assert bytes(event.payload) == raw
    assert event.headers["source"] == "webhook:amazon_ses"
    ticket = Ticket.objects.get()
    assert ticket.subject == "注文"
    assert ticket.messages.get().body_text == "商品が届きません。"
    assert [f.identity.handle for f in ticket.followers.all()] == ["sato@example.jp"]
    assert any(path.endswith(".pem") for path in amazon.requests)


def test_utf8_sns_action_with_signature_version_1(
    client, amazon, django_capture_on_commit_callbacks
):
    mail = (
        "From: Taro <taro@example.com>\r\nTo: support@madoguchi.localhost\r\n"
        f"Subject: Refund please\r\nMessage-ID: <{uuid.uuid4().hex}@example.com>\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n\r\n返金をお願いします。\r\n"
    )
    ses = ses_received({"type": "SNS", "topicArn": TOPIC, "encoding": "UTF8"}, mail)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, sign(notification(amazon, ses), version="1"))

    assert response.status_code == 200, response.content
    assert bytes(InboundEvent.objects.get().payload) == mail.encode()
    assert Ticket.objects.get().messages.get().body_text == "返金をお願いします。"


def test_a_redelivered_notification_is_one_event_and_one_ticket(
    client, amazon, django_capture_on_commit_callbacks
):
    raw = raw_mail()
    ses = ses_received(
        {"type": "SNS", "topicArn": TOPIC, "encoding": "BASE64"}, base64.b64encode(raw).decode()
    )
    signed = sign(notification(amazon, ses))
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, signed)
        second = post(client, signed)

    assert first.status_code == second.status_code == 200
    assert first.json()["stored"] == second.json()["stored"]
    assert InboundEvent.objects.count() == 1
    assert Ticket.objects.count() == 1
    # The certificate was fetched once and then taken from the cache.
    assert sum(path.endswith(".pem") for path in amazon.requests) == 1


def test_s3_action_reads_the_mail_from_the_bucket(
    client, amazon, django_capture_on_commit_callbacks
):
    raw = raw_mail()
    amazon.objects["/madoguchi-mail/inbound/abc123"] = raw
    ses = ses_received(
        {
            "type": "S3",
            "topicArn": TOPIC,
            "bucketName": "madoguchi-mail",
            "objectKeyPrefix": "inbound",
            "objectKey": "inbound/abc123",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, sign(notification(amazon, ses)))

    assert response.status_code == 200, response.content
    assert bytes(InboundEvent.objects.get().payload) == raw
    assert Ticket.objects.get().messages.get().body_text == "商品が届きません。"
    assert "/madoguchi-mail/inbound/abc123" in amazon.requests


def test_a_missing_s3_object_is_retried_later_not_lost(client, amazon):
    ses = ses_received(
        {"type": "S3", "topicArn": TOPIC, "bucketName": "madoguchi-mail", "objectKey": "gone"}
    )
    response = post(client, sign(notification(amazon, ses)))
    assert response.status_code == 503  # SNS delivers again; the mail stays in the bucket
    assert not InboundEvent.objects.exists()


def _valid_ses(amazon) -> dict:
    raw = raw_mail()
    ses = ses_received(
        {"type": "SNS", "topicArn": TOPIC, "encoding": "BASE64"}, base64.b64encode(raw).decode()
    )
    return notification(amazon, ses)


def test_a_tampered_message_is_refused_and_nothing_is_stored(client, amazon):
    signed = sign(_valid_ses(amazon))
    other_mail = base64.b64encode(raw_mail()).decode()
    tampered = json.loads(signed["Message"])
    tampered["content"] = other_mail
    signed["Message"] = json.dumps(tampered)

    response = post(client, signed)
    assert response.status_code == 403
    assert response.json() == {"error": "signature or credentials do not match"}
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda m, a: sign(m, key=OTHER_KEY), id="signed-by-another-key"),
        pytest.param(lambda m, a: {**sign(m), "Signature": "not base64!"}, id="garbage-signature"),
        pytest.param(
            lambda m, a: {k: v for k, v in sign(m).items() if k != "Signature"}, id="unsigned"
        ),
        pytest.param(lambda m, a: {**sign(m), "SignatureVersion": "3"}, id="unknown-version"),
        pytest.param(
            lambda m, a: sign({**m, "SigningCertURL": "https://evil.example/sns.pem"}),
            id="certificate-elsewhere",
        ),
        pytest.param(
            lambda m, a: sign({**m, "SigningCertURL": f"{a.base}/cert.txt"}), id="not-a-pem"
        ),
        pytest.param(
            lambda m, a: sign(
                {**m, "SigningCertURL": f"http://x@127.0.0.1:{a.server.server_port}/c.pem"}
            ),
            id="userinfo-in-url",
        ),
        pytest.param(lambda m, a: sign({**m, "TopicArn": ["x"]}), id="non-string-field"),
    ],
)
def test_bad_signatures_are_refused(client, amazon, spoil):
    response = post(client, spoil(_valid_ses(amazon), amazon))
    assert response.status_code == 403
    assert not InboundEvent.objects.exists()


def test_topics_can_be_pinned(client, amazon, settings):
    settings.MAIL_SES_TOPIC_ARNS = ["arn:aws:sns:us-east-1:123456789012:another-topic"]
    response = post(client, sign(_valid_ses(amazon)))
    assert response.status_code == 403
    assert not InboundEvent.objects.exists()


def test_sns_is_challenged_for_basic_auth_and_a_wrong_secret_is_refused(client, amazon):
    signed = sign(_valid_ses(amazon))
    challenge = post(client, signed, auth=None)
    assert challenge.status_code == 401
    assert challenge["WWW-Authenticate"].startswith("Basic ")
    assert post(client, signed, auth="sns:wrong").status_code == 403
    assert not InboundEvent.objects.exists()


def test_header_and_body_disagreeing_is_refused(client, amazon):
    response = post(client, sign(_valid_ses(amazon)), kind="SubscriptionConfirmation")
    assert response.status_code == 403


def test_the_certificate_host_being_down_asks_sns_to_retry(client, amazon):
    amazon.cert_status = 500
    response = post(client, sign(_valid_ses(amazon)))
    assert response.status_code == 403  # an error page is not a certificate
    amazon.stop()
    response = post(client, sign(_valid_ses(amazon)))
    assert response.status_code == 503
    assert not InboundEvent.objects.exists()


def _subscription(amazon) -> dict:
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


def test_a_signed_subscription_confirmation_is_confirmed(client, amazon):
    message = _subscription(amazon)
    response = post(client, sign(message))
    assert response.status_code == 200
    assert response.json() == {"stored": []}
    assert any(p.startswith("/?Action=ConfirmSubscription") for p in amazon.requests)


def test_a_forged_subscription_confirmation_visits_nothing(client, amazon):
    message = _subscription(amazon)
    forged = sign({**message, "SubscribeURL": "https://evil.example/?Action=ConfirmSubscription"})
    forged["SubscribeURL"] = message["SubscribeURL"]  # signed one URL, carries another
    assert post(client, forged).status_code == 403
    assert not any(p.startswith("/?Action=ConfirmSubscription") for p in amazon.requests)

    elsewhere = sign({**message, "SubscribeURL": "https://evil.example/?Action=Confirm"})
    assert post(client, elsewhere).status_code == 403


def test_the_validation_notice_after_subscribing_is_accepted(client, amazon):
    message = notification(
        amazon, "Successfully validated SNS topic for Amazon SES event publishing."
    )
    response = post(client, sign(message))
    assert response.status_code == 200
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    ("ses_message", "body"),
    [
        pytest.param('{"notificationType": "Bounce", "bounce": {}}', None, id="sending-event"),
        pytest.param("{not json", None, id="message-not-json"),
        pytest.param(
            ses_received({"type": "Lambda", "functionArn": "arn:aws:lambda:x"}), None, id="lambda"
        ),
        pytest.param(
            ses_received({"type": "SNS", "encoding": "BASE64"}, "%%%not-base64%%%"),
            None,
            id="bad-base64",
        ),
        pytest.param(
            ses_received({"type": "SNS", "encoding": "BASE64"}, ""), None, id="empty-mail"
        ),
        pytest.param(None, b"\xff\xfe not json at all", id="body-not-json"),
    ],
)
def test_malformed_notifications_get_a_clear_400(client, amazon, ses_message, body):
    if body is not None:
        response = client.post(
            URL,
            body,
            content_type="text/plain",
            HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
            HTTP_X_AMZ_SNS_MESSAGE_ID="x",
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(SECRET.encode()).decode(),
        )
    else:
        response = post(client, sign(notification(amazon, ses_message)))
    assert response.status_code == 400
    assert "error" in response.json()
    assert not InboundEvent.objects.exists()


def test_without_the_shared_secret_the_endpoint_does_not_exist(client, amazon, settings):
    settings.ANYMAIL = {}
    assert post(client, sign(_valid_ses(amazon))).status_code == 404
