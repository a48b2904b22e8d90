"""Raw RFC 822 bytes → one `IncomingMessage`, tolerant of what real mailers send.

The stdlib parser (modern API) gives the MIME tree; every header value, parameter and body
is then decoded here from raw bytes, because the stdlib's own decoding gives up on the
charsets Japanese and Chinese mail actually uses (see `charsets`).
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Sequence
from email.message import Message

from django.utils.translation import gettext as _

from tickets.inbound import IncomingMessage

from ..registry import MalformedPayload
from . import (
    feedparser_speedups,  # noqa: F401 - patches the stdlib parser, on import
    headers,
)
from .charsets import rank_hints
from .html_text import html_to_text
from .lift import HEADER_LINE, attach, lift_base64_bodies
from .params import parse_params
from .parts import PartReader, walk

SENDER_HEADERS = ("From", "Reply-To", "Sender", "Return-Path")
LEADING_GARBAGE_LINES = 1  # a banner such as "---- Original email message ----"
_OBSOLETE_HEADER_LINE = re.compile(rb"([!-9;-~]+)[ \t]*:")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_WORD_CHARSET = re.compile(r"=\?([^?\s*]+)")
# Every header is read raw and decoded here (`headers`), so the stdlib's header objects
# (policy=default) would only cost time: they parse each header again on every access,
# which made that policy most of the parsing time. compat32 builds the same MIME tree.
PARSE_POLICY = email.policy.compat32


class MalformedMail(MalformedPayload):
    """The bytes are not a mail we can attribute to a sender; the raw event is kept."""


def message_id_of(raw: bytes) -> str:
    """The mail's `<Message-ID>` read from its header block alone (no MIME parsing), or ''."""
    end = _HEADER_END.search(raw)
    head = raw if end is None else raw[: end.start()]
    found = headers.message_id_in_head(head)
    if found is not None:
        return found
    msg = email.message_from_bytes(head + b"\r\n\r\n", policy=PARSE_POLICY)
    return headers.first_message_id(headers.raw_header(msg, "Message-ID"))


def parse_mail(raw: bytes) -> IncomingMessage:
    """Parse one mail. Raises `MalformedMail` (with a readable reason) and nothing else."""
    return read_mail(raw)[1]


def read_mail(raw: bytes) -> tuple[Message, IncomingMessage]:
    """The MIME tree (for loop and bounce checks) and the message it makes; raises
    `MalformedMail` (with a readable reason) and nothing else."""
    try:
        return _parse(raw)
    except RecursionError:
        raise MalformedMail(_("The mail is nested too deeply to be read.")) from None


def _parse(raw: bytes) -> tuple[Message, IncomingMessage]:
    if not raw or not raw.strip():
        raise MalformedMail(_("The mail is empty."))
    msg = _parse_tree(raw)
    hints = charset_hints(msg)
    handle, display_name = _sender(msg, hints)
    if not handle or not headers.raw_header(msg, "From"):
        repaired = repair_header_block(raw)
        if repaired != raw:
            candidate = email.message_from_bytes(repaired, policy=PARSE_POLICY)
            found = _sender(candidate, charset_hints(candidate))
            if found[0] and headers.raw_header(candidate, "From"):
                msg, hints, (handle, display_name) = candidate, charset_hints(candidate), found
    if not msg.keys():
        raise MalformedMail(_("This is not a mail: it has no header lines."))
    if not handle:
        raise MalformedMail(_("The mail has no sender address (From, Reply-To, Sender)."))
    return msg, _incoming(msg, hints, handle, display_name)


def _parse_tree(raw: bytes) -> Message:
    """The stdlib's MIME tree of `raw`, big base64 bodies lifted out (`lift`)."""
    lifted_raw, lifted = lift_base64_bodies(raw)
    msg = email.message_from_bytes(lifted_raw, policy=PARSE_POLICY)
    if lifted and not attach(msg, raw, lifted):
        msg = email.message_from_bytes(raw, policy=PARSE_POLICY)
    return msg


def _incoming(
    msg: Message, hints: Sequence[str], handle: str, display_name: str
) -> IncomingMessage:
    subject = headers.decode_header_text(headers.raw_header(msg, "Subject"), hints=hints)
    body = PartReader(hints=hints).read(msg)
    text = "\n".join(t.strip("\r\n") for t in body.texts if t.strip())
    html = "\n".join(body.htmls)
    if not text.strip() and html:
        text = html_to_text(html)
    return IncomingMessage(
        channel="email",
        identity_kind="email",
        handle=_clean(handle)[:320],
        display_name=_clean(display_name)[:200],
        subject=_clean(subject),
        body_text=_clean(text).rstrip(),
        body_html=_clean(html),
        external_id=headers.first_message_id(headers.raw_header(msg, "Message-ID")),
        replies_to=_replies_to(msg),
        ticket_hint=headers.ticket_hint(subject),
        attachments=tuple(body.attachments),
        sent_at=headers.sent_at(headers.raw_header(msg, "Date")),
    )


def charset_hints(msg: Message) -> tuple[str, ...]:
    """Every charset the mail declares (parts, encoded words): guesses for raw 8-bit text."""
    labels = [
        parse_params(headers.raw_header(part, "Content-Type")).get("charset") or ""
        for part in walk(msg)
    ]
    for name in ("Subject", "From"):
        labels += _WORD_CHARSET.findall(headers.raw_header(msg, name) or "")
    return rank_hints(labels)


def repair_header_block(raw: bytes) -> bytes:
    """Undo the header damage seen in the wild that makes the stdlib end the headers early:
    a banner line before them, stray lines among them, obsolete `Name  :` spacing."""
    lines = raw.splitlines(keepends=True)
    start = 0
    while (
        start < min(len(lines), LEADING_GARBAGE_LINES)
        and lines[start].strip()
        and not HEADER_LINE.match(lines[start])
    ):
        start += 1
    if start < len(lines) and not HEADER_LINE.match(lines[start]):
        return raw
    kept: list[bytes] = []
    body_start = len(lines)
    for index in range(start, len(lines)):
        line = lines[index]
        if not line.strip():
            body_start = index
            break
        if line[:1] in (b" ", b"\t") and kept:
            kept.append(line)
        elif _OBSOLETE_HEADER_LINE.match(line):
            kept.append(_OBSOLETE_HEADER_LINE.sub(rb"\1:", line, count=1))
    return b"".join(kept + lines[body_start:])


def _clean(text: str) -> str:
    # PostgreSQL text cannot hold NUL, and mail bodies keep CRLF from the wire.
    return text.replace("\x00", "").replace("\r\n", "\n")


def _sender(msg: Message, hints: Sequence[str]) -> tuple[str, str]:
    """The first usable address: every From header (some spam carries two), then the rest."""
    display_name = ""
    for name in SENDER_HEADERS:
        for value in headers.raw_headers(msg, name):
            address, shown = headers.sender_address(value, hints=hints)
            display_name = display_name or shown
            if address:
                return address, shown or display_name
    return "", ""


def _replies_to(msg: Message) -> tuple[str, ...]:
    """References (oldest first) then In-Reply-To: newest last, each id once."""
    ids = headers.message_ids(headers.raw_header(msg, "References"))
    ids += headers.message_ids(headers.raw_header(msg, "In-Reply-To"))
    return tuple(dict.fromkeys(ids))
