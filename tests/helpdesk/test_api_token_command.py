"""`manage.py create_api_token USER [--reset]`."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.api_factories import token_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_creates_a_token_that_authenticates(agent):
    key, note = run(agent.email)
    assert Token.objects.get(user=agent).key == key
    assert "Created" in note
    client = token_client(agent)  # reuses the stored token
    assert client.get("/api/v1/tickets/").status_code == 200


def test_prints_the_same_token_again(agent):
    first, _ = run(agent.email)
    second, note = run(agent.email.upper())  # emails match case-insensitively
    assert first == second
    assert "--reset" in note
    assert Token.objects.filter(user=agent).count() == 1


def test_reset_rotates_the_token(agent):
    old, _ = run(agent.email)
    new, note = run(agent.email, "--reset")
    assert new != old
    assert "no longer works" in note
    assert not Token.objects.filter(key=old).exists()
    assert Token.objects.get(user=agent).key == new


def test_reset_without_a_token_creates_one(agent):
    key, note = run(agent.email, "--reset")
    assert Token.objects.get(user=agent).key == key
    assert "Created" in note


def test_unknown_user_is_an_error():
    with pytest.raises(CommandError, match="No user with the email address"):
        run("nobody@example.com")
    assert not Token.objects.exists()


def test_customer_account_is_refused():
    customer = UserFactory(role="customer")
    with pytest.raises(CommandError, match="staff only"):
        run(customer.email)
    assert not Token.objects.exists()


def test_deactivated_staff_is_refused():
    former = UserFactory(role="agent", is_active=False)
    with pytest.raises(CommandError, match="deactivated"):
        run(former.email)


def _test_database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"] or "localhost", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}{port}/{db['NAME']}"


def test_exit_status_is_non_zero_for_unknown_user():
    # Through manage.py itself: scripts look at the exit status, not at exceptions. The child
    # process uses the (migrated) test database; it cannot see this test's uncommitted rows.
    result = subprocess.run(
        [sys.executable, str(MANAGE), "create_api_token", "nobody@example.invalid"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": _test_database_url()},
    )
    assert result.returncode != 0
    assert "No user with the email address" in result.stderr
    assert result.stdout == ""
