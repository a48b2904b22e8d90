"""Header values from raw mail: RFC 2047 words, raw 8-bit and JIS text, addresses, ids, dates."""

from __future__ import annotations

import base64
import binascii
import email.utils
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import Message

from .charsets import decode_bytes, guess_decode, normalize_label

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?(.*?)\?=", re.DOTALL)
_BETWEEN_WORDS = re.compile(r"\A\s*\Z")
# Whitespace left by folding (or by words that encoded line breaks), not typed spacing.
_FOLDING_RUN = re.compile(r"[ ]*[\r\n\t][\s]*")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_MSGID = re.compile(r"<([^<>\s]+)>")
_BARE_ID = re.compile(r"[^<>\s\"',;()]+@[^<>\s\"',;()]+")
_ADDRESS = re.compile(r"[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+")
_COMMENT = re.compile(r"\([^()]*\)")
_TICKET_HINT = re.compile(r"\[#(\d{1,9})\]")


def raw_headers(msg: Message, name: str) -> list[str]:
    """Every raw value of a header, unfolded, before any policy tries to interpret it.

    Raw bytes that are not ASCII stay as surrogate escapes; `decode_header_text` reads them.
    """
    wanted = name.lower()
    return [
        _FOLD.sub("", str(value)).strip() for key, value in msg.raw_items() if key.lower() == wanted
    ]


def raw_header(msg: Message, name: str) -> str | None:
    values = raw_headers(msg, name)
    return values[0] if values else None


def decode_header_text(value: str | None, *, hints: Sequence[str] = ()) -> str:
    """RFC 2047 words plus raw 8-bit or ISO-2022-JP text → one clean string.

    `hints` are charsets the mail declares elsewhere, tried on raw 8-bit header bytes.
    """
    if not value:
        return ""
    if _has_raw_bytes(value):
        value = _decode_raw_header(value.encode("utf-8", errors="surrogateescape"), hints)
    return _FOLDING_RUN.sub(" ", _decode_words(value)).replace("\x00", "").strip()


def _has_raw_bytes(value: str) -> bool:
    return "\x1b" in value or any("\udc80" <= ch <= "\udcff" for ch in value)


def _decode_raw_header(raw: bytes, hints: Sequence[str]) -> str:
    if b"\x1b" in raw:
        return decode_bytes(raw, "iso-2022-jp")
    for codec in ("utf-8", *filter(None, map(normalize_label, hints))):
        try:
            return raw.decode(codec)
        except (UnicodeError, LookupError):
            continue
    return guess_decode(raw)


def _decode_words(value: str) -> str:
    """Decode encoded words; adjacent words of one charset are joined as bytes first, since
    mailers split a multibyte character across two words."""
    pieces: list[tuple[bytes, str] | str] = []
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        previous_is_word = bool(pieces) and isinstance(pieces[-1], tuple)
        if between and not (previous_is_word and _BETWEEN_WORDS.match(between)):
            pieces.append(between)
        charset = match.group(1).split("*", 1)[0]
        data = _decode_word_payload(match.group(2).upper(), match.group(3))
        last = pieces[-1] if pieces else None
        if isinstance(last, tuple) and last[1].lower() == charset.lower():
            pieces[-1] = (last[0] + data, last[1])
        else:
            pieces.append((data, charset))
        position = match.end()
    pieces.append(value[position:])
    return "".join(
        decode_bytes(piece[0], piece[1]) if isinstance(piece, tuple) else piece for piece in pieces
    )


def _decode_word_payload(encoding: str, payload: str) -> bytes:
    payload = "".join(payload.split()) if encoding == "B" else payload
    if encoding == "B":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        cleaned = cleaned[: len(cleaned) - len(cleaned) % 4 if len(cleaned) % 4 == 1 else None]
        try:
            return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError):
            return payload.encode("ascii", errors="replace")
    raw = payload.replace("_", " ").encode("utf-8", errors="surrogateescape")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def _getaddresses(value: str) -> list[tuple[str, str]]:
    try:
        # Newer Pythons parse strictly by default and give up on malformed lists.
        return email.utils.getaddresses([value], strict=False)  # type: ignore[call-arg]
    except TypeError:
        return email.utils.getaddresses([value])


def sender_address(value: str | None, *, hints: Sequence[str] = ()) -> tuple[str, str]:
    """(address, display name) of the first usable mailbox in an address header, or ('', '')."""
    if not value:
        return "", ""
    if _has_raw_bytes(value):
        value = _decode_raw_header(value.encode("utf-8", errors="surrogateescape"), hints)
    for name, address in _getaddresses(value):
        address = _clean_address(address)
        if address:
            if "<" in value and not value.lstrip().startswith('"'):
                # `Name (comment) <addr>`: comments are not part of an unquoted name.
                name = _COMMENT.sub(" ", name).strip() or name
            return address, _clean_display_name(decode_header_text(name))
    found = _ADDRESS.search(value)
    return (found.group(0), "") if found else ("", "")


def address_list(value: str | None, *, hints: Sequence[str] = ()) -> list[tuple[str, str]]:
    """Every usable (address, display name) in a To/Cc header, in order.

    Encoded words are decoded per name, after the list is split: a decoded name may hold
    the comma that would otherwise split one person in two.
    """
    if not value:
        return []
    if _has_raw_bytes(value):
        value = _decode_raw_header(value.encode("utf-8", errors="surrogateescape"), hints)
    found = []
    for name, address in _getaddresses(value):
        address = _clean_address(address)
        if address:
            found.append((address, _clean_display_name(decode_header_text(name))))
    return found


def _clean_address(address: str) -> str:
    address = address.strip().strip("<>").strip()
    if "@" not in address:
        return ""
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        return ""
    if any(ch.isspace() for ch in address) and not address.startswith('"'):
        found = _ADDRESS.search(address)
        return found.group(0) if found else ""
    return address


def _clean_display_name(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
        name = name[1:-1].strip()
    return name.replace('\\"', '"')


def message_ids(value: str | None) -> list[str]:
    """Every `<id>` in a header value, angle brackets kept; a lone bare id is bracketed."""
    if not value:
        return []
    if _has_raw_bytes(value):  # 8-bit junk in an id must not reach the database as surrogates
        value = _decode_raw_header(value.encode("utf-8", errors="surrogateescape"), ())
    ids = [f"<{found}>" for found in _MSGID.findall(value)]
    if not ids:
        ids = [f"<{found}>" for found in _BARE_ID.findall(value)]
    return [item for item in ids if len(item) <= 500]


# The stdlib parser's test for a header line (email.feedparser.headerRE), on bytes.
_PARSER_HEADER_LINE = re.compile(rb"From |[\x21-\x39\x3b-\x7e]*:|[\t ]")


def message_id_in_head(head: bytes) -> str | None:
    """`first_message_id` of the first Message-ID header in a mail's header block, read
    straight from its bytes (what the stdlib parser makes of the block costs ten times
    more); None when the block is one the parser might read differently (a line it would
    not take as a header, an envelope or a nameless line, 8-bit bytes in the id): the caller
    asks the parser then."""
    value: list[bytes] | None = None
    for number, line in enumerate(head.splitlines(keepends=True)):  # CRLF, LF or lone CR
        folded = line[:1] in (b" ", b"\t")
        if value is not None:
            if not folded:
                break
            value.append(line)
            continue
        if folded and number == 0:
            return None  # a block that starts folded
        if not folded and (
            line.startswith((b"From ", b":")) or not _PARSER_HEADER_LINE.match(line)
        ):
            return None  # an envelope line, a nameless one, or where the parser stops
        if line[:11].lower() == b"message-id:":
            value = [line[11:].lstrip(b" \t")]
    if value is None:
        return ""
    joined = b"".join(value).rstrip(b"\r\n")
    if not joined.isascii():
        return None
    return first_message_id(_FOLD.sub("", joined.decode("ascii")).strip())


def first_message_id(value: str | None) -> str:
    ids = message_ids(value)
    return ids[0] if ids else ""


def sent_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed if 1970 <= parsed.year <= 2200 else None


def ticket_hint(subject: str) -> int | None:
    found = _TICKET_HINT.search(subject)
    return int(found.group(1)) if found else None
