"""`manage.py replay_inbound [--failed] [ID …]`: stored raw events are processed again."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from channels_in import services
from channels_in.models import InboundEvent, InboundStatus
from tickets.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the deployment default here is Japanese."""
    with translation.override("en"):
        yield


MAIL = b"From: sato@example.jp\r\nSubject: hello\r\nMessage-ID: <r1@example.jp>\r\n\r\nhi\r\n"


def stored_event(
    raw: bytes = MAIL, *, status: str = InboundStatus.FAILED, key: str = ""
) -> InboundEvent:
    return InboundEvent.objects.create(
        kind="email",
        idempotency_key=key or services.payload_key(raw),
        payload=raw,
        status=status,
        error="OperationalError: the database was restarting" if status == "failed" else "",
        attempts=1,
    )


def run(*args: str) -> tuple[list[list[str]], str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("replay_inbound", *args, stdout=out, stderr=err)
    finally:
        lines = [line.split("\t") for line in out.getvalue().splitlines()]
    return lines, err.getvalue()


def test_replaying_a_failed_event_processes_it():
    event = stored_event()

    lines, _ = run(str(event.pk))

    event.refresh_from_db()
    assert lines == [[str(event.pk), "email", "processed"]]
    assert event.status == InboundStatus.PROCESSED and event.error == ""
    assert event.attempts == 2
    assert event.message == Message.objects.get()


def test_replaying_a_processed_event_changes_nothing():
    event = stored_event()
    run(str(event.pk))

    lines, _ = run(str(event.pk))

    event.refresh_from_db()
    assert lines == [[str(event.pk), "email", "processed"]]
    assert event.attempts == 2
    assert Message.objects.count() == 1


def test_failed_flag_replays_every_failed_event_and_reports_each():
    broken = stored_event(b"Subject: still no sender\r\n\r\nx", key="k-broken")
    fixed = stored_event(key="k-fixed")
    done = stored_event(
        MAIL.replace(b"<r1@", b"<r2@"), status=InboundStatus.PROCESSED, key="k-done"
    )

    lines, _ = run("--failed")

    assert [line[0] for line in lines] == [str(broken.pk), str(fixed.pk)]
    assert lines[0][2].startswith("failed: MalformedMail: ")
    assert lines[1][2] == "processed"
    done.refresh_from_db()
    assert done.attempts == 1  # not part of --failed


def test_unknown_ids_are_reported_and_fail_the_command():
    event = stored_event()

    with pytest.raises(CommandError, match="1 event was not found"):
        run("999999", str(event.pk))

    event.refresh_from_db()
    assert event.status == InboundStatus.PROCESSED


def test_nothing_to_replay_is_an_error():
    with pytest.raises(CommandError):
        run()
