"""Rules every social webhook follows, whatever the provider."""

from __future__ import annotations

import pytest

from channels_in.models import InboundEvent
from channels_in.webhooks import MAX_BODY_BYTES
from tests.channels_in.social.conftest import signed_headers
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

KINDS = ["line", "messenger", "instagram", "whatsapp", "x", "telegram"]


def test_unknown_account_and_unknown_kind_are_404(make_account, client):
    account = make_account("line")
    assert (
        client.post(
            "/webhooks/line/999999/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )
    # An account of another kind is not found under this kind either.
    wrong_kind = client.post(
        f"/webhooks/telegram/{account.pk}/", data=b"{}", content_type="application/json"
    )
    assert wrong_kind.status_code == 404 and wrong_kind.json() == {"error": "unknown account"}
    assert (
        client.post("/webhooks/myspace/1/", data=b"{}", content_type="application/json").status_code
        == 404
    )


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_json_with_a_valid_signature_is_kept_and_answered_400(
    kind, make_account, post_webhook
):
    account = make_account(kind)
    response = post_webhook(account, b"{not json")
    assert response.status_code == 400
    assert response.json()["error"] == "malformed payload"
    event = InboundEvent.objects.get()
    assert bytes(event.payload) == b"{not json"
    assert event.status == "failed" and event.next_attempt_at is None
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("kind", KINDS)
def test_unsigned_posts_are_refused(kind, make_account, post_webhook):
    account = make_account(kind)
    response = post_webhook(account, {"events": []}, signed=False)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid signature"}
    assert InboundEvent.objects.count() == 0


def test_oversized_body_is_refused_before_anything_is_stored(make_account, client):
    account = make_account("line")
    body = b'{"events": [], "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = client.post(
        f"/webhooks/line/{account.pk}/",
        data=body,
        content_type="application/json",
        **signed_headers("line", body),
    )
    assert response.status_code == 413
    assert response.json()["limit"] == MAX_BODY_BYTES
    assert InboundEvent.objects.count() == 0


def test_inactive_account_refuses_events(make_account, post_webhook):
    account = make_account("telegram", active=False)
    response = post_webhook(account, {"update_id": 1, "message": {"text": "hi"}})
    assert response.status_code == 403 and response.json() == {"error": "account inactive"}
    assert InboundEvent.objects.count() == 0


def test_unknown_event_types_are_stored_and_processed_without_a_ticket(make_account, post_webhook):
    account = make_account("line")
    body = {
        "destination": "U",
        "events": [
            {
                "type": "somethingNew",
                "webhookEventId": "N1",
                "timestamp": 1,
                "source": {"type": "user", "userId": "U1"},
            }
        ],
    }
    assert post_webhook(account, body).status_code == 200
    event = InboundEvent.objects.get()
    assert event.status == "processed" and event.message is None
    assert Ticket.objects.count() == 0


def test_get_is_not_allowed_where_the_provider_has_no_handshake(make_account, client):
    account = make_account("line")
    assert client.get(f"/webhooks/line/{account.pk}/").status_code == 405
    assert client.put(f"/webhooks/line/{account.pk}/").status_code == 405
