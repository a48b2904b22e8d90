"""Raw RFC 822 bytes → one `IncomingMessage`, tolerant of what real mailers send.

The stdlib parser (modern API) gives the MIME tree; every header value, parameter and body
is then decoded here from raw bytes, because the stdlib's own decoding gives up on the
charsets Japanese and Chinese mail actually uses (see `charsets`).
"""

from __future__ import annotations

import email
import email.feedparser
import email.policy
import re
from collections.abc import Sequence
from email.message import Message

from django.utils.translation import gettext as _

from tickets.inbound import IncomingMessage

from ..registry import MalformedPayload
from . import headers
from .charsets import rank_hints
from .html_text import html_to_text
from .params import parse_params
from .parts import PartReader, walk

SENDER_HEADERS = ("From", "Reply-To", "Sender", "Return-Path")
LEADING_GARBAGE_LINES = 1  # a banner such as "---- Original email message ----"
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_OBSOLETE_HEADER_LINE = re.compile(rb"([!-9;-~]+)[ \t]*:")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_WORD_CHARSET = re.compile(r"=\?([^?\s*]+)")
FOLD_MIN_BYTES = 64 * 1024  # below this the parser's line walk costs too little to matter
FOLD_MIN_BODY = 8 * 1024
_BASE64_CTE = re.compile(rb"(?im)^content-transfer-encoding:[ \t]*base64[ \t]*\r?$")
_MULTIPART_BOUNDARY = re.compile(
    rb"(?im)^content-type:[ \t]*multipart/[^\n]*(?:\n[ \t][^\n]*)*?"
    rb'boundary=(?:"([^"\r\n]+)"|([^";\s]+))'
)
_BASE64_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n"
# Every header is read raw and decoded here (`headers`), so the stdlib's header objects
# (policy=default) would only cost time: they parse each header again on every access,
# which made that policy most of the parsing time. compat32 builds the same MIME tree.
PARSE_POLICY = email.policy.compat32


class _LineEndAtTheEnd:
    """`email.feedparser.NLCRE_eol` (a line break at the very end) searched from the last two
    characters only. The parser searches it over each part's whole payload to strip the final
    line break, and an unanchored search tries every position: ~10 ms for a 1 MB attachment,
    a quarter of parsing such a mail. A match can only start in the last two characters,
    so searching from there finds exactly the same match (same object, same group)."""

    def __init__(self, pattern: re.Pattern) -> None:
        self.pattern = pattern

    def search(self, string, pos: int = 0, endpos: int | None = None):
        end = len(string) if endpos is None else min(endpos, len(string))
        return self.pattern.search(string, max(pos, end - 2), end)

    def __getattr__(self, name: str):
        return getattr(self.pattern, name)


if isinstance(email.feedparser.NLCRE_eol, re.Pattern):  # once per process
    email.feedparser.NLCRE_eol = _LineEndAtTheEnd(email.feedparser.NLCRE_eol)


class MalformedMail(MalformedPayload):
    """The bytes are not a mail we can attribute to a sender; the raw event is kept."""


def message_id_of(raw: bytes) -> str:
    """The mail's `<Message-ID>` read from its header block alone (no MIME parsing), or ''."""
    head = _HEADER_END.split(raw, maxsplit=1)[0]
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
    msg = email.message_from_bytes(fold_base64_bodies(raw), policy=PARSE_POLICY)
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


def fold_base64_bodies(raw: bytes) -> bytes:
    """The mail with each long base64 body on one line, for the parser only (the stored raw
    mail is never changed).

    The stdlib parser walks a body line by line looking for the next boundary: a 1 MB
    attachment is ~18,000 lines, which made it most of a mixed batch's parsing time. A base64
    body decodes the same without its line breaks, so it becomes one line — only where the
    parser will see a part: the mail's own header block must be clean and declare a boundary,
    and each part is found after a boundary line of its parent, with a clean header block
    that declares base64, and a body of nothing but base64 up to the next boundary line.
    Anything else (broken headers, a mail carried whole as message/rfc822, which is kept as
    its exact bytes) is left to the parser as it is. Byte searches only: this must cost far
    less than the walk it saves.
    """
    if len(raw) < FOLD_MIN_BYTES:
        return raw
    lowered = raw.lower()
    if b"message/rfc822" in lowered or b"message/global" in lowered:
        return raw
    boundaries = _boundaries(raw[: _block_end(raw, 0)])
    spans: dict[int, int] = {}  # body start → end of its base64
    for boundary in boundaries:  # grows as nested multiparts are found
        at = 0
        while (at := raw.find(b"\n--" + boundary, at)) >= 0:
            at = raw.find(b"\n", at + 1) + 1  # the part's header block
            if at <= 0:
                break
            body = _block_end(raw, at)
            block = raw[at:body]
            if not _clean_header_block(block):
                continue
            boundaries += [b for b in _boundaries(block) if b not in boundaries]
            if not _BASE64_CTE.search(block):
                continue
            next_line = raw.find(b"\n--", body)
            core = raw[body : len(raw) if next_line < 0 else next_line].rstrip(b"\r\n")
            if len(core) >= FOLD_MIN_BODY and not core.translate(None, _BASE64_BYTES):
                spans[body] = body + len(core)
    if not spans:
        return raw
    pieces, done = [], 0
    for start in sorted(spans):
        end = spans[start]
        pieces += [raw[done:start], raw[start:end].replace(b"\r", b"").replace(b"\n", b"")]
        done = end
    pieces.append(raw[done:])
    return b"".join(pieces)


def _block_end(raw: bytes, start: int) -> int:
    """Where the body begins after the header block starting at `start` (past its blank
    line), or the end of the mail."""
    begin = max(start - 1, 0)
    crlf = raw.find(b"\n\r\n", begin)
    # Only up to the CRLF blank line: a CRLF mail has no LF one, and searching a 1 MB body
    # to its end for it (once per part) was most of this function's time.
    lf = raw.find(b"\n\n", begin, len(raw) if crlf < 0 else crlf + 1)
    if lf >= 0:
        return lf + 2
    return len(raw) if crlf < 0 else crlf + 3


def _clean_header_block(block: bytes) -> bool:
    lines = block.splitlines()
    return bool(lines) and all(
        _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t") or not line.strip() for line in lines
    )


def _boundaries(block: bytes) -> list[bytes]:
    """The boundary a clean header block's multipart Content-Type declares, if any."""
    if not _clean_header_block(block):
        return []
    found = _MULTIPART_BOUNDARY.search(block)
    return [found.group(1) or found.group(2)] if found else []


def repair_header_block(raw: bytes) -> bytes:
    """Undo the header damage seen in the wild that makes the stdlib end the headers early:
    a banner line before them, stray lines among them, obsolete `Name  :` spacing."""
    lines = raw.splitlines(keepends=True)
    start = 0
    while (
        start < min(len(lines), LEADING_GARBAGE_LINES)
        and lines[start].strip()
        and not _HEADER_LINE.match(lines[start])
    ):
        start += 1
    if start < len(lines) and not _HEADER_LINE.match(lines[start]):
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
