"""The MIME tree of one mail → body text, body HTML and attachments.

Which part is "the body" follows what mail clients show: in an alternative, the plain text
and the HTML rendering; elsewhere every inline text part in order; the first HTML only (a
later HTML part is a document someone attached). Everything else is an attachment, forwarded
and bounced mails included (kept whole as .eml).
"""

from __future__ import annotations

import email.errors
import email.policy
import mimetypes
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import Message

from tickets.inbound import IncomingAttachment

from . import headers
from .charsets import decode_bytes
from .lift import lifted_payload
from .params import HeaderParams, parse_params
from .tnef import is_tnef, unpack_tnef

MAX_DEPTH = 40  # nested multiparts deeper than any mailer writes are treated as data
_MIME_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_CID_FILENAME = re.compile(r"\A<?([^<>@\s]+\.[A-Za-z][A-Za-z0-9]{0,4})@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EXTENSIONS = {"image/jpg": ".jpg", "image/pjpeg": ".jpg", "text/plain": ".txt"}
_DEFAULT_STEMS = {"image": "image", "video": "video", "audio": "audio"}
_GENERATOR_ERRORS = (
    ValueError,
    TypeError,
    LookupError,
    UnicodeError,
    RecursionError,  # the stdlib generator recurses once per nesting level
    email.errors.MessageError,
)


@dataclass
class Body:
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[IncomingAttachment] = field(default_factory=list)


@dataclass
class PartReader:
    """Walks one message; `hints` are the charsets the whole mail declares."""

    hints: Sequence[str] = ()
    body: Body = field(default_factory=Body)

    tnef_texts: list[str] = field(default_factory=list)
    tnef_htmls: list[str] = field(default_factory=list)

    def read(self, msg: Message) -> Body:
        self._visit(msg, depth=0)
        # Outlook sometimes puts the only copy of the body inside winmail.dat.
        if not any(t.strip() for t in self.body.texts):
            self.body.texts += [t for t in self.tnef_texts if t.strip()]
        if not self.body.htmls:
            self.body.htmls += [h for h in self.tnef_htmls if h.strip()][:1]
        return self.body

    def _visit(self, part: Message, *, depth: int) -> None:
        ctype = mime_type(part)
        if ctype in ("message/rfc822", "message/global"):
            self.body.attachments.append(self._attached_message(part))
        elif part.is_multipart() and depth < MAX_DEPTH and ctype.startswith("multipart/"):
            children = [child for child in part.get_payload() if isinstance(child, Message)]
            if ctype == "multipart/alternative":
                self._visit_alternative(children, depth=depth + 1)
            else:
                for child in children:
                    self._visit(child, depth=depth + 1)
        else:
            self._visit_leaf(part, ctype)

    def _visit_alternative(self, children: list[Message], *, depth: int) -> None:
        """One rendering of each kind (the last, i.e. preferred, plain and HTML), plus what
        the alternatives carry besides (e.g. the images of a multipart/related HTML)."""
        plain = [c for c in children if mime_type(c) == "text/plain" and self._is_body(c)]
        rich = [c for c in children if mime_type(c) == "text/html" and self._is_body(c)]
        chosen = plain[-1:] + rich[-1:]
        for child in children:
            if any(child is c for c in chosen):
                self._visit_leaf(child, mime_type(child))
            elif not any(child is c for c in plain + rich):
                self._visit(child, depth=depth)

    def _is_body(self, part: Message) -> bool:
        disposition = self._params(part, "Content-Disposition")
        return disposition.value != "attachment" and not self._declared_filename(part)

    def _visit_leaf(self, part: Message, ctype: str) -> None:
        if self._is_body(part):
            if ctype == "text/plain":
                self.body.texts.append(self._decode_text(part, ctype))
                return
            if ctype == "text/html" and not self.body.htmls:
                self.body.htmls.append(self._decode_text(part, ctype))
                return
        filename, content = self._filename(part, ctype), payload_bytes(part)
        if is_tnef(ctype, filename, content):
            unpacked = unpack_tnef(content, clean_name=safe_filename)
            if unpacked is not None:
                self.body.attachments += unpacked.attachments
                self.tnef_texts.append(unpacked.text)
                self.tnef_htmls.append(unpacked.html)
                return
        self.body.attachments.append(
            IncomingAttachment(filename=filename, content_type=ctype, content=content)
        )

    def _params(self, part: Message, header: str) -> HeaderParams:
        charset = parse_params(headers.raw_header(part, "Content-Type")).get("charset")
        hints = (charset, *self.hints) if charset else self.hints
        return parse_params(headers.raw_header(part, header), hints=hints)

    def _decode_text(self, part: Message, ctype: str) -> str:
        data = payload_bytes(part)
        charset = self._params(part, "Content-Type").get("charset")
        if not charset and ctype == "text/html":
            found = _META_CHARSET.search(data[:4096])
            charset = found.group(1).decode("ascii") if found else None
        return decode_bytes(data, charset, hints=self.hints)

    def _declared_filename(self, part: Message) -> str:
        name = self._params(part, "Content-Disposition").get("filename") or self._params(
            part, "Content-Type"
        ).get("name")
        return safe_filename(name or "")

    def _filename(self, part: Message, ctype: str) -> str:
        declared = self._declared_filename(part)
        if declared:
            return declared
        content_id = headers.decode_header_text(headers.raw_header(part, "Content-ID"))
        cid = _CID_FILENAME.match(content_id)
        if cid:
            return safe_filename(cid.group(1))
        description = headers.decode_header_text(
            headers.raw_header(part, "Content-Description"), hints=self.hints
        )
        return default_filename(ctype, description)

    def _attached_message(self, part: Message) -> IncomingAttachment:
        """A forwarded or bounced mail stays whole, as an .eml the agent can open."""
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        content = message_bytes(inner) if isinstance(inner, Message) else payload_bytes(part)
        name = self._declared_filename(part)
        if not name:
            subject = ""
            if isinstance(inner, Message):
                subject = headers.decode_header_text(
                    headers.raw_header(inner, "Subject"), hints=self.hints
                )
            description = headers.decode_header_text(
                headers.raw_header(part, "Content-Description"), hints=self.hints
            )
            name = safe_filename(f"{subject or description or 'message'}.eml".replace("/", "_"))
        return IncomingAttachment(filename=name, content_type="message/rfc822", content=content)


def walk(msg: Message, *, limit: int = MAX_DEPTH) -> list[Message]:
    """Every part down to `limit` levels, without the recursion of `Message.walk()`."""
    found: list[Message] = []
    pending: list[tuple[Message, int]] = [(msg, 0)]
    while pending:
        part, depth = pending.pop()
        found.append(part)
        payload = part.get_payload() if part.is_multipart() and depth < limit else []
        pending += [(child, depth + 1) for child in reversed(payload) if isinstance(child, Message)]
    return found


def mime_type(part: Message) -> str:
    """The part's type as the parser treated it (lowercase, without parameters)."""
    value = parse_params(headers.raw_header(part, "Content-Type")).value
    if not _MIME_TYPE.fullmatch(value):
        return "multipart/mixed" if part.is_multipart() else "text/plain"
    if value.startswith("multipart/") and not part.is_multipart():
        return "text/plain"  # no boundary found: the parser kept it as one text body
    return value


def default_filename(ctype: str, description: str = "") -> str:
    """A name for a part that has none, so an agent can still tell what to open it with."""
    if ctype == "message/delivery-status":
        return f"{description or 'delivery-status'}.txt"
    if ctype == "text/html":
        return f"{description or 'document'}.html"
    extension = _EXTENSIONS.get(ctype) or mimetypes.guess_extension(ctype, strict=False)
    if not extension:
        extension = ".txt" if ctype.startswith("text/") else ".bin"
    stem = description or _DEFAULT_STEMS.get(ctype.partition("/")[0], "attachment")
    return safe_filename(f"{stem}{extension}".replace("/", "_"))


def safe_filename(name: str) -> str:
    """The sender's file name, minus what could mislead or break: directories (some mailers
    send the full local path), control characters; NFC so macOS names compare equal."""
    name = re.split(r"[\\/]", name)[-1]
    name = _CONTROL.sub("", unicodedata.normalize("NFC", name)).strip()
    return name[:255]


def payload_bytes(part: Message) -> bytes:
    """The decoded content of a leaf part; the raw text when its encoding is broken."""
    lifted = lifted_payload(part)
    if lifted is not None:
        return lifted
    try:
        payload = part.get_payload(decode=True)
    except _GENERATOR_ERRORS:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogateescape")
    return b"".join(message_bytes(child) for child in raw if isinstance(child, Message))


def message_bytes(msg: Message) -> bytes:
    """Bytes of an embedded message. Never `as_string()`, which fails on non-ASCII bodies;
    the lenient compat32 generator first, since the strict policy refuses some headers."""
    for policy in (email.policy.compat32, email.policy.default.clone(linesep="\r\n")):
        try:
            return msg.as_bytes(policy=policy)
        except _GENERATOR_ERRORS:
            continue
    return b""
