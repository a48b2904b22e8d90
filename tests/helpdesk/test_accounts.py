"""Accounts: staff sign in by email (optionally with TOTP); customers are separate accounts."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client

from helpdesk.models import Role, User
from tests.factories import STAFF_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = STAFF_PASSWORD


def current_code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def sign_in(client: Client, email: str):
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD})


def test_staff_sign_in_with_email_and_land_in_the_inbox(client):
    UserFactory(email="sato@example.com", role="agent")

    response = sign_in(client, "SATO@example.com")

    assert response.status_code == 302
    assert response["Location"] == "/agent/"
    assert client.get("/agent/").status_code == 200


def test_a_wrong_password_is_refused_with_a_message(client):
    UserFactory(email="sato@example.com", role="agent")

    response = client.post("/accounts/login/", {"login": "sato@example.com", "password": "nope"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get("/agent/").status_code == 302  # still signed out


def test_signing_up_makes_a_customer_who_cannot_open_the_inbox(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "olivia@example.com",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/help/"
    user = User.objects.get(email="olivia@example.com")
    assert user.role == Role.CUSTOMER and not user.is_staff_member
    assert client.get("/agent/").status_code == 403
    assert client.get("/api/v1/tickets/").status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/agent/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/agent/")


def test_totp_two_factor_can_be_enabled_and_is_then_required(client):
    user = UserFactory(email="mika@example.com", role="manager")
    sign_in(client, user.email)
    # Security settings ask for the password again before changing anything.
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})

    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    activated = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    second = Client()
    step_one = sign_in(second, user.email)
    assert step_one["Location"] == "/accounts/2fa/authenticate/"
    assert second.get("/agent/").status_code == 302  # not in before the code

    wrong = second.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    done = second.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})
    assert done.status_code == 302
    assert second.get("/agent/").status_code == 200
