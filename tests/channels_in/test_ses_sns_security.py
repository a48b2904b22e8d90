"""Amazon SES inbound: what the SNS endpoint refuses (forged, tampered or malformed
notifications, a wrong secret, unpinned topics) and how it confirms a subscription."""

from __future__ import annotations

import base64
import json

import pytest

from channels_in.models import InboundEvent
from tests.channels_in.ses_amazon import (
    OTHER_KEY,
    SECRET,
    URL,
    amazon_server,
    notification,
    post,
    raw_mail,
    ses_received,
    sign,
    subscription,
    valid_ses,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def amazon(settings):
    yield from amazon_server(settings)


def test_a_tampered_message_is_refused_and_nothing_is_stored(client, amazon):
    signed = sign(valid_ses(amazon))
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
    response = post(client, spoil(valid_ses(amazon), amazon))
    assert response.status_code == 403
    assert not InboundEvent.objects.exists()


def test_topics_can_be_pinned(client, amazon, settings):
    settings.MAIL_SES_TOPIC_ARNS = ["arn:aws:sns:us-east-1:123456789012:another-topic"]
    response = post(client, sign(valid_ses(amazon)))
    assert response.status_code == 403
    assert not InboundEvent.objects.exists()


def test_sns_is_challenged_for_basic_auth_and_a_wrong_secret_is_refused(client, amazon):
    signed = sign(valid_ses(amazon))
    challenge = post(client, signed, auth=None)
    assert challenge.status_code == 401
    assert challenge["WWW-Authenticate"].startswith("Basic ")
    assert post(client, signed, auth="sns:wrong").status_code == 403
    assert not InboundEvent.objects.exists()


def test_header_and_body_disagreeing_is_refused(client, amazon):
    response = post(client, sign(valid_ses(amazon)), kind="SubscriptionConfirmation")
    assert response.status_code == 403


def test_the_certificate_host_being_down_asks_sns_to_retry(client, amazon):
    amazon.cert_status = 500
    response = post(client, sign(valid_ses(amazon)))
    assert response.status_code == 403  # an error page is not a certificate
    amazon.stop()
    response = post(client, sign(valid_ses(amazon)))
    assert response.status_code == 503
    assert not InboundEvent.objects.exists()


def test_a_signed_subscription_confirmation_is_confirmed(client, amazon):
    message = subscription(amazon)
    response = post(client, sign(message))
    assert response.status_code == 200
    assert response.json() == {"stored": []}
    assert any(p.startswith("/?Action=ConfirmSubscription") for p in amazon.requests)


def test_a_forged_subscription_confirmation_visits_nothing(client, amazon):
    message = subscription(amazon)
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
    assert post(client, sign(valid_ses(amazon))).status_code == 404
