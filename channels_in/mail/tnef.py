"""winmail.dat (TNEF): Outlook's wrapper around the real attachments, which no customer or
agent can open. Unpacked with `tnefparse` into the files inside; kept whole when it fails."""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass, field

from tnefparse.tnef import TNEF

from tickets.inbound import IncomingAttachment

log = logging.getLogger(__name__)

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
_SIGNATURE = b"\x78\x9f\x3e\x22"  # 0x223E9F78, little-endian


@dataclass
class Unpacked:
    attachments: list[IncomingAttachment] = field(default_factory=list)
    text: str = ""
    html: str = ""


def is_tnef(content_type: str, filename: str, content: bytes) -> bool:
    named = filename.lower() in ("winmail.dat", "win.dat")
    return (content_type in TNEF_TYPES or named) and content[:4] == _SIGNATURE


def unpack_tnef(content: bytes, *, clean_name) -> Unpacked | None:
    """The files (and body, when Outlook put it only there) inside a TNEF blob, or None
    when it cannot be read or holds nothing: then the blob stays an attachment."""
    try:
        parsed = TNEF(content, do_checksum=False)
        found = Unpacked()
        for index, item in enumerate(parsed.attachments, start=1):
            if not item.data:
                continue
            name = clean_name(_text(item.long_filename()) or f"attachment-{index}.bin")
            ctype = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
            data = item.data if isinstance(item.data, bytes) else bytes(item.data)
            found.attachments.append(IncomingAttachment(name, ctype, data))
        found.text = _text(parsed.body).strip("\x00").strip()
        found.html = _text(parsed.htmlbody).strip("\x00")
    except Exception as exc:  # noqa: BLE001 - a broken blob is still kept, as it came
        log.info("winmail.dat could not be unpacked: %s", exc)
        return None
    if not (found.attachments or found.text or found.html):
        return None
    return found


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        for codec in ("utf-8", "cp1252"):
            try:
                return value.decode(codec)
            except UnicodeDecodeError:
                continue
        return value.decode("latin-1")
    return str(value)
