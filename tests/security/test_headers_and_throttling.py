"""Security headers on every kind of page, and sign-in throttling against password guessing."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import STAFF_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["/accounts/login/", "/help/ja/", "/help/en/contact/", "/agent/", "/healthz"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_security_headers(client, path):
    response = client.get(path)

    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_strict_transport_security_is_sent_over_tls_only(client):
    plain = client.get("/accounts/login/")
    secure = client.get("/accounts/login/", secure=True)

    assert "Strict-Transport-Security" not in plain
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_proxy_saying_https_counts_as_tls(client):
    response = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")

    assert "max-age=" in response["Strict-Transport-Security"]


def test_repeated_wrong_passwords_for_one_account_are_throttled(client):
    cache.clear()
    UserFactory(email="target@example.com", role="agent")
    answers = [
        client.post(
            "/accounts/login/",
            {"login": "target@example.com", "password": f"guess{n}"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        for n in range(6)
    ]

    assert all(b"Too many failed login attempts" not in a.content for a in answers[:5])
    assert b"Too many failed login attempts" in answers[5].content
    # Even the right password waits until the window has passed: guessing gains nothing.
    right = client.post(
        "/accounts/login/",
        {"login": "target@example.com", "password": STAFF_PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert right.status_code == 200
    assert b"Too many failed login attempts" in right.content


def test_throttling_one_account_does_not_lock_out_another(client):
    cache.clear()
    UserFactory(email="target@example.com", role="agent")
    UserFactory(email="colleague@example.com", role="agent")
    for n in range(6):
        client.post("/accounts/login/", {"login": "target@example.com", "password": f"guess{n}"})

    other = client.post(
        "/accounts/login/", {"login": "colleague@example.com", "password": STAFF_PASSWORD}
    )

    assert other.status_code == 302
