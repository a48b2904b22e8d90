"""IMAP IDLE (RFC 2177): a mailbox whose server supports it is polled the moment mail arrives.

IDLE only *triggers* polls; the poll itself (lock, UID checkpoint, raw first) is the same
one beat runs, and beat keeps polling on the interval as the safety net, so a dropped IDLE
connection delays mail by one interval at most and never loses it.

imaplib (before Python 3.14) has no IDLE: after logging in and selecting the folder with it,
the IDLE exchange is spoken here on the socket itself, with timeouts that never leave
imaplib's buffered reader in a broken state.
"""

from __future__ import annotations

import imaplib
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING

from . import errors
from .imap import open_imap, select_folder

if TYPE_CHECKING:
    from ..models import MailAccount

log = logging.getLogger(__name__)

# RFC 2177: servers may drop an IDLE after 30 minutes; re-issue it before that.
IDLE_RENEW_SECONDS = 25 * 60
WAKE_SECONDS = 1.0  # how often a waiting IDLE looks at its stop flag
_NEW_MAIL = re.compile(rb"^\* \d+ (EXISTS|RECENT)\b", re.I)


class IdleUnsupported(Exception):
    """The server does not announce IDLE: the mailbox is polled on its interval only."""


def wait_for_mail(
    account: MailAccount,
    *,
    timeout: float = IDLE_RENEW_SECONDS,
    stop: threading.Event | None = None,
) -> bool:
    """Hold an IDLE on the account's folder until the server reports new mail (True), or
    `timeout` passes or `stop` is set (False). Raises `MailboxError` for connection trouble
    and `IdleUnsupported` when the server cannot IDLE."""
    stop = stop or threading.Event()
    try:
        with open_imap(account) as client:
            if "IDLE" not in client.capabilities:
                raise IdleUnsupported(account.host)
            select_folder(client, account.folder, readonly=True)
            return _idle(client, timeout=timeout, stop=stop)
    except (IdleUnsupported, errors.MailboxError):
        raise
    except (OSError, EOFError, ValueError, imaplib.IMAP4.error) as exc:
        raise errors.MailboxError(errors.describe_error(exc, account)) from exc


def _idle(client, *, timeout: float, stop: threading.Event) -> bool:
    tag = client._new_tag()  # imaplib's own tag sequence, so replies cannot be confused
    sock = client.socket()
    reader = _LineReader(sock)
    sock.sendall(tag + b" IDLE\r\n")
    while True:  # untagged updates may come before the continuation
        line = reader.readline(timeout=client_timeout(client))
        if line.startswith(b"+"):
            break
        if line.startswith(tag):
            raise IdleUnsupported(line.decode("ascii", "replace"))
    arrived = False
    deadline = time.monotonic() + timeout
    while not stop.is_set() and time.monotonic() < deadline:
        line = reader.readline(timeout=WAKE_SECONDS, idle=True)
        if line and _NEW_MAIL.match(line):
            arrived = True
            break
        if line.startswith(b"* BYE"):
            raise errors.MailboxError(line.decode("ascii", "replace"))
    sock.sendall(b"DONE\r\n")
    with suppress(OSError, EOFError, TimeoutError):
        while not reader.readline(timeout=client_timeout(client)).startswith(tag):
            pass
    return arrived


def client_timeout(client) -> float:
    return float(getattr(client, "_timeout", None) or 30)


class _LineReader:
    """CRLF lines from a socket with per-call timeouts."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def readline(self, *, timeout: float, idle: bool = False) -> bytes:
        """One line; b"" when `idle` and nothing came within `timeout`."""
        while b"\n" not in self.buffer:
            self.sock.settimeout(timeout)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                if idle:
                    return b""
                raise
            if not chunk:
                raise EOFError("the server closed the connection")
            self.buffer += chunk
        line, _sep, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r")


def watch_mailbox(
    account_id: int,
    *,
    on_mail: Callable[[int], None],
    stop: threading.Event,
    retry_seconds: float = 30,
) -> None:
    """Until `stop`: IDLE on one mailbox, call `on_mail(account_id)` whenever mail arrives
    (and once at start, for mail that came while nobody watched). Gives up on servers
    without IDLE; retries after connection trouble with a growing pause."""
    from ..models import MailAccount

    pause = retry_seconds
    on_mail(account_id)
    while not stop.is_set():
        account = MailAccount.objects.filter(pk=account_id, active=True, protocol="imap").first()
        if account is None:
            return
        try:
            if wait_for_mail(account, stop=stop):
                on_mail(account_id)
            pause = retry_seconds
        except IdleUnsupported:
            log.info("mailbox %s: server has no IDLE; interval polling only", account_id)
            return
        except errors.MailboxError as exc:
            log.warning("mailbox %s: IDLE failed (%s); retrying in %ss", account_id, exc, pause)
            stop.wait(pause)
            pause = min(pause * 2, 600)


# --- the watcher process (`manage.py idle_mailboxes`) -----------------------------------


def request_poll(account_id: int) -> None:
    from ..models import MailAccount
    from .accounts import request_poll as queue_poll

    queue_poll(MailAccount(pk=account_id))


def run_watchers(
    stop: threading.Event,
    *,
    refresh: float = 60,
    on_mail: Callable[[int], None] = request_poll,
    started: Callable[[int], None] | None = None,
) -> None:
    """One IDLE thread per active IMAP mailbox until `stop`; mailboxes added, deactivated
    or deleted are noticed every `refresh` seconds."""
    from django.db import close_old_connections

    from ..models import MailAccount, MailProtocol

    watchers: dict[int, tuple[threading.Thread, threading.Event]] = {}
    while not stop.is_set():
        close_old_connections()
        wanted = set(
            MailAccount.objects.filter(active=True, protocol=MailProtocol.IMAP).values_list(
                "pk", flat=True
            )
        )
        for account_id, (thread, own_stop) in list(watchers.items()):
            if account_id not in wanted or not thread.is_alive():
                own_stop.set()
                del watchers[account_id]
        for account_id in sorted(wanted - set(watchers)):
            own_stop = threading.Event()
            thread = threading.Thread(
                target=_watch, args=(account_id, own_stop, stop, on_mail), daemon=True
            )
            thread.start()
            watchers[account_id] = (thread, own_stop)
            if started:
                started(account_id)
        stop.wait(refresh)
    for thread, own_stop in watchers.values():
        own_stop.set()
        thread.join(timeout=5)


def _watch(
    account_id: int,
    own_stop: threading.Event,
    stop: threading.Event,
    on_mail: Callable[[int], None],
) -> None:
    from django.db import connection

    either = threading.Event()

    def relay() -> None:  # one flag for the watcher: this mailbox's or the whole process's
        while not (own_stop.is_set() or stop.is_set()):
            own_stop.wait(WAKE_SECONDS)
        either.set()

    threading.Thread(target=relay, daemon=True).start()
    try:
        watch_mailbox(account_id, on_mail=on_mail, stop=either)
    finally:
        connection.close()
