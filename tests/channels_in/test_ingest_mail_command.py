"""`manage.py ingest_mail FILE… | -`: the same path as mail from a mailbox, one line per input."""

from __future__ import annotations

import io
import sys
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from channels_in.management.commands.ingest_mail import Command
from channels_in.models import InboundEvent, InboundStatus
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the deployment default here is Japanese."""
    with translation.override("en"):
        yield


GOOD = (
    "From: 田中 <tanaka@example.jp>\r\nSubject: 問い合わせ\r\nMessage-ID: <cmd-1@example.jp>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "お世話になっております。\r\n"
).encode()
NO_SENDER = b"Subject: nobody\r\n\r\nbody\r\n"


def run(*args: str) -> tuple[list[list[str]], str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ingest_mail", *args, stdout=out, stderr=err)
    finally:
        lines = [line.split("\t") for line in out.getvalue().splitlines()]
    return lines, err.getvalue()


def test_files_are_recorded_processed_and_reported(tmp_path):
    good, bad = tmp_path / "good.eml", tmp_path / "bad.eml"
    good.write_bytes(GOOD)
    bad.write_bytes(NO_SENDER)

    lines, errors = run(str(good), str(bad), str(good))

    event = InboundEvent.objects.get(idempotency_key="<cmd-1@example.jp>")
    failed = InboundEvent.objects.exclude(pk=event.pk).get()
    assert lines[0] == [str(good), str(event.pk), "new", "processed"]
    assert lines[1][:3] == [str(bad), str(failed.pk), "new"]
    assert lines[1][3].startswith("failed: MalformedMail: ")
    assert lines[2] == [str(good), str(event.pk), "duplicate", "processed"]
    assert errors == ""
    assert event.headers == {"source": f"ingest_mail:{good}"}
    assert Message.objects.get().body_text == "お世話になっております。"
    assert failed.status == InboundStatus.FAILED and bytes(failed.payload) == NO_SENDER


def test_unreadable_and_empty_inputs_fail_the_command_after_the_rest(tmp_path):
    good, empty = tmp_path / "good.eml", tmp_path / "empty.eml"
    good.write_bytes(GOOD)
    empty.write_bytes(b"\r\n")
    missing = tmp_path / "missing.eml"

    with pytest.raises(CommandError, match="2 inputs could not be ingested"):
        run(str(missing), str(empty), str(good))

    assert Ticket.objects.count() == 1  # the readable one went through
    assert InboundEvent.objects.count() == 1


def test_exit_status_is_non_zero(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "ingest_mail", str(tmp_path / "nope.eml")])

    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "nope.eml: " in err and "1 input could not be ingested" in err


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(GOOD)))

    lines, _ = run("-")

    event = InboundEvent.objects.get()
    assert lines == [["-", str(event.pk), "new", "processed"]]
    assert event.headers == {"source": "ingest_mail:-"}


def test_empty_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(b"")))

    with pytest.raises(CommandError):
        run("-")
    assert not InboundEvent.objects.exists()


def test_corpus_mail_through_the_command(corpus):
    path = corpus / "zammad-mail" / "mail116-iso2022jp-reconstructed.box"

    lines, _ = run(str(path))

    assert lines[0][2:] == ["new", "processed"]
    ticket = Ticket.objects.get()
    assert ticket.subject == "Test inquiry"
    assert ticket.messages.get().body_text.startswith("これはテストメールです。")


def test_event_already_processed_by_a_worker_is_reported_as_is(
    django_capture_on_commit_callbacks, tmp_path
):
    """With eager Celery (or a fast worker) the event is done before the command looks."""
    path = tmp_path / "good.eml"
    path.write_bytes(GOOD)
    with django_capture_on_commit_callbacks(execute=True):
        lines, _ = run(str(path))

    assert lines[0][2:] == ["new", "processed"]
    assert InboundEvent.objects.get().attempts == 1  # processed once, not twice
