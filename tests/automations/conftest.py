"""Shared wiring: own presence keys in Redis, and a helper that files a customer's message."""

from __future__ import annotations

import itertools
import uuid

import pytest

from tickets import presence
from tickets.inbound import IncomingMessage
from tickets.services import receive_message

_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _own_presence_keys(monkeypatch):
    # Test runs share a Redis database: each test gets presence keys of its own.
    monkeypatch.setattr(presence, "KEY_PREFIX", f"test-presence:{uuid.uuid4().hex}")


@pytest.fixture
def receive(django_capture_on_commit_callbacks):
    """File one inbound message as a channel adapter would, running after-commit work."""

    def receive(
        *,
        subject: str = "質問があります",
        body: str = "こんにちは",
        channel: str = "email",
        handle: str = "taro@example.jp",
        **extra,
    ):
        identity_kind = "email" if channel in ("email", "web") else channel
        with django_capture_on_commit_callbacks(execute=True):
            message = receive_message(
                IncomingMessage(
                    channel=channel,
                    identity_kind=identity_kind,
                    handle=handle,
                    display_name="Taro",
                    subject=subject,
                    body_text=body,
                    external_id=f"<{next(_ids)}.{uuid.uuid4().hex}@example.jp>",
                    **extra,
                )
            )
        if message is not None:
            message.ticket.refresh_from_db()
        return message

    return receive
