"""IMAP with the standard library: connect, select, search and fetch by UID, act on imported mail.

imaplib speaks the protocol but leaves quoting, modified UTF-7 folder names and response
parsing to us; those small pieces live here so the poller reads as the algorithm it is.
"""

from __future__ import annotations

import base64
import imaplib
import re
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..models import AfterImport, MailSecurity
from . import errors

if TYPE_CHECKING:
    from ..models import MailAccount

TIMEOUT_SECONDS = 30
_FETCH_UID = re.compile(rb"\bUID (\d+)")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class SelectedFolder:
    name: str
    uidvalidity: int
    exists: int


@contextmanager
def open_imap(account: MailAccount) -> Iterator[imaplib.IMAP4]:
    """A logged-in connection to the account's server; logged out (or dropped) afterwards."""
    client = _connect(account)
    try:
        _login(client, account)
        yield client
    finally:
        with suppress(Exception):  # the server may already have gone; nothing to save
            client.logout()


def _connect(account: MailAccount) -> imaplib.IMAP4:
    context = ssl.create_default_context()
    if account.security == MailSecurity.SSL:
        return imaplib.IMAP4_SSL(
            account.host, account.port, ssl_context=context, timeout=TIMEOUT_SECONDS
        )
    client = imaplib.IMAP4(account.host, account.port, timeout=TIMEOUT_SECONDS)
    if account.security == MailSecurity.STARTTLS:
        if "STARTTLS" not in client.capabilities:
            client.shutdown()
            raise errors.tls_unavailable(account)
        client.starttls(ssl_context=context)
    return client


def _login(client: imaplib.IMAP4, account: MailAccount) -> None:
    password = errors.readable_password(account)
    try:
        if (account.username + password).isascii():
            client.login(account.username, password)
        else:
            # LOGIN's quoted strings are ASCII-only in imaplib; SASL PLAIN carries UTF-8.
            secret = f"\0{account.username}\0{password}".encode()
            client.authenticate("PLAIN", lambda _challenge: secret)
    except imaplib.IMAP4.error as exc:
        raise errors.auth_failed(exc) from None
    # Servers announce more (MOVE, UIDPLUS) once signed in; imaplib keeps the greeting's list.
    status, data = client.capability()
    if status == "OK" and data and data[-1]:
        client.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())


def select_folder(client: imaplib.IMAP4, folder: str, *, readonly: bool) -> SelectedFolder:
    status, data = client.select(quote_mailbox(folder), readonly=readonly)
    if status != "OK":
        raise errors.folder_missing(folder)
    _, values = client.response("UIDVALIDITY")
    uidvalidity = int(values[0]) if values and values[0] else 0
    return SelectedFolder(name=folder, uidvalidity=uidvalidity, exists=int(data[0] or 0))


def folder_exists(client: imaplib.IMAP4, folder: str) -> bool:
    status, data = client.list('""', quote_mailbox(folder))
    return status == "OK" and any(item for item in data if item)


def uids_after(client: imaplib.IMAP4, last_uid: int) -> list[int]:
    """UIDs greater than `last_uid`, ascending.

    `UID SEARCH UID n:*` always answers with the highest UID, even when it is below n
    (RFC 3501: `*` is the largest UID in use, and n:* equals *:n) — hence the filter.
    """
    return [uid for uid in _search(client, f"UID {last_uid + 1}:*") if uid > last_uid]


def uids_in_range(client: imaplib.IMAP4, first: int, last: int) -> list[int]:
    """UIDs in [first, last]; a closed range has no `*`, so no surprise above `last`."""
    return _search(client, f"UID {first}:{last}") if 0 < first <= last else []


def uids_between(client: imaplib.IMAP4, since: date, before: date) -> list[int]:
    """Mails whose internal (arrival) date is in [since, before)."""
    return _search(client, f"SINCE {imap_date(since)} BEFORE {imap_date(before)}")


def _search(client: imaplib.IMAP4, criteria: str) -> list[int]:
    status, data = client.uid("SEARCH", criteria)
    if status != "OK":
        raise imaplib.IMAP4.error(f"SEARCH failed: {data!r}")
    return sorted({int(n) for chunk in data if chunk for n in chunk.split()})


def fetch_raw(client: imaplib.IMAP4, uids: list[int]) -> list[tuple[int, bytes]]:
    """The exact bytes of each mail (BODY.PEEK[]: no \\Seen flag as a side effect), by UID.

    A UID expunged since the search is simply absent from the answer.
    """
    status, data = client.uid("FETCH", uid_set(uids), "(UID BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH failed: {data!r}")
    found: dict[int, bytes] = {}
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            match = _FETCH_UID.search(item[0])
            if match:
                found[int(match.group(1))] = item[1]
    return sorted(found.items())


def apply_after_import(client: imaplib.IMAP4, account: MailAccount, uids: list[int]) -> None:
    if not uids:
        return
    wanted = uid_set(uids)
    if account.after_import == AfterImport.MARK_SEEN:
        _ok(client.uid("STORE", wanted, "+FLAGS.SILENT", r"(\Seen)"), "STORE")
    elif account.after_import == AfterImport.MOVE:
        _move(client, wanted, account.move_to)
    elif account.after_import == AfterImport.DELETE:
        _ok(client.uid("STORE", wanted, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
        _expunge(client, wanted)


def _move(client: imaplib.IMAP4, wanted: str, folder: str) -> None:
    target = quote_mailbox(folder)
    if "MOVE" in client.capabilities:
        status, data = client.uid("MOVE", wanted, target)
    else:  # RFC 3501 servers: copy, then delete the originals
        status, data = client.uid("COPY", wanted, target)
        if status == "OK":
            _ok(client.uid("STORE", wanted, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
            _expunge(client, wanted)
    if status != "OK":
        raise errors.move_failed(folder, data)


def _expunge(client: imaplib.IMAP4, wanted: str) -> None:
    if "UIDPLUS" in client.capabilities:
        _ok(client.uid("EXPUNGE", wanted), "EXPUNGE")
    else:  # also removes mail others flagged \Deleted — which is what they asked for
        _ok(client.expunge(), "EXPUNGE")


def _ok(answer: tuple[str, list], command: str) -> None:
    status, data = answer
    if status != "OK":
        raise imaplib.IMAP4.error(f"{command} failed: {data!r}")


def uid_set(uids: Iterable[int]) -> str:
    """`1:3,7,9:10` — runs compressed, so a command line stays short for big batches."""
    ordered = sorted(set(uids))
    runs: list[str] = []
    start = prev = ordered[0]
    for uid in [*ordered[1:], None]:
        if uid is not None and uid == prev + 1:
            prev = uid
            continue
        runs.append(str(start) if start == prev else f"{start}:{prev}")
        if uid is not None:
            start = prev = uid
    return ",".join(runs)


def imap_date(day: date) -> str:
    # Not strftime("%b"): month names must be English whatever the process locale.
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"


def quote_mailbox(name: str) -> str:
    """A folder name as an IMAP quoted string in modified UTF-7 (RFC 3501 §5.1.3)."""
    encoded = encode_modified_utf7(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_modified_utf7(name: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            packed = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + packed.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)
