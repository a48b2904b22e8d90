"""POP3 with poplib. UIDL is a message's only stable name, so the checkpoint is the set of
UIDLs imported (`Pop3SeenMessage`), kept no larger than what the server still lists."""

from __future__ import annotations

import poplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from .. import inbound_batch
from ..models import AfterImport, MailAccount, MailSecurity, Pop3SeenMessage
from . import errors

if TYPE_CHECKING:
    from django.db.models import QuerySet

TIMEOUT_SECONDS = 30
BATCH_SIZE = 50  # mails retrieved, stored and committed together
# poplib refuses lines over 2 KiB as a protocol error; real mail (unwrapped HTML) has longer
# ones. The limit only guards against a server that never sends a newline.
poplib._MAXLINE = max(poplib._MAXLINE, 1 << 20)


@contextmanager
def open_pop3(account: MailAccount) -> Iterator[poplib.POP3]:
    """A logged-in session. QUIT on the way out is what makes the server apply our DELEs."""
    client = _connect(account)
    try:
        _login(client, account)
        yield client
    finally:
        with suppress(Exception):
            client.quit()
        with suppress(Exception):
            client.close()


def _connect(account: MailAccount) -> poplib.POP3:
    context = ssl.create_default_context()
    if account.security == MailSecurity.SSL:
        return poplib.POP3_SSL(account.host, account.port, context=context, timeout=TIMEOUT_SECONDS)
    client = poplib.POP3(account.host, account.port, timeout=TIMEOUT_SECONDS)
    if account.security == MailSecurity.STARTTLS:
        try:
            client.stls(context=context)
        except poplib.error_proto:
            client.close()
            raise errors.tls_unavailable(account) from None
    return client


def _login(client: poplib.POP3, account: MailAccount) -> None:
    password = errors.readable_password(account)
    try:
        client.user(account.username)
        client.pass_(password)
    except poplib.error_proto as exc:
        raise errors.auth_failed(exc) from None


def poll_pop3(account: MailAccount, *, limit: int) -> dict[str, int | bool]:
    """Import messages whose UIDL we have not stored yet, in the server's order."""
    if account.after_import == AfterImport.MOVE:
        raise errors.MailboxError(_("POP3 has no folders: choose another action after import."))
    delete = account.after_import == AfterImport.DELETE
    seen = Pop3SeenMessage.objects.filter(account=account)
    with open_pop3(account) as client:
        listing = uidl_listing(client)
        known = dict(seen.values_list("uidl", "acted"))
        # Mail gone from the server can never come back under its UIDL: forget it, which
        # keeps the table as small as the mailbox.
        seen.exclude(uidl__in=[uidl for _num, uidl in listing]).delete()
        if delete:  # imported, but the QUIT that would have deleted them never happened
            for number, uidl in listing:
                if known.get(uidl) is False:
                    client.dele(number)
        new = [(number, uidl) for number, uidl in listing if uidl not in known]
        imported = 0
        wanted = new[:limit]
        for start in range(0, len(wanted), BATCH_SIZE):
            batch = [
                (n, uidl, _retrieve(client, n)) for n, uidl in wanted[start : start + BATCH_SIZE]
            ]
            # The raws and their UIDLs commit together, one INSERT each (one processing task).
            with transaction.atomic():
                created = inbound_batch.record_raw_mails(
                    [raw for _n, _uidl, raw in batch], source=f"pop3:{account.pk}"
                )
                _remember(account, [uidl for _n, uidl, _raw in batch], sum(created), not delete)
            imported += sum(created)
            if delete:
                for number, _uidl, _raw in batch:
                    client.dele(number)
        client.quit()  # raises if the server could not apply the DELEs: they stay unacted
    if delete:
        _mark_acted(seen.filter(acted=False))
    return {"fetched": min(len(new), limit), "imported": imported, "more": len(new) > limit}


def uidl_listing(client: poplib.POP3) -> list[tuple[int, str]]:
    _response, lines, _octets = client.uidl()
    listing = []
    for line in lines:
        number, uidl = line.decode("ascii", "replace").split(None, 1)
        listing.append((int(number), uidl.strip()))
    return listing


def _retrieve(client: poplib.POP3, number: int) -> bytes:
    # poplib has already undone the dot-stuffing; lines come without their CRLF.
    _response, lines, _octets = client.retr(number)
    return b"\r\n".join(lines) + b"\r\n"


def _remember(account: MailAccount, uidls: list[str], imported: int, acted: bool) -> None:
    Pop3SeenMessage.objects.bulk_create(
        [Pop3SeenMessage(account=account, uidl=uidl, acted=acted) for uidl in uidls]
    )
    if imported:
        MailAccount.objects.filter(pk=account.pk).update(
            imported_count=F("imported_count") + imported
        )


def _mark_acted(rows: QuerySet[Pop3SeenMessage]) -> None:
    rows.update(acted=True)
