"""Big base64 bodies are lifted out of a mail before the stdlib parser sees it, and decoded
once, straight from the raw bytes, when the part is read (the stored raw mail never changes).

The stdlib parser turns the whole mail into a str, walks each body line by line looking for
the next boundary, keeps it as a str, and `get_payload(decode=True)` then encodes it back,
splits and joins its lines, checks it against a regular expression and decodes it: for a
1 MB attachment that was most of a mixed batch's parsing time. Lifted, the parser sees a short
marker line instead of the body, and `binascii.a2b_base64` decodes the raw span in one pass.

Only where the parser is known to see a part: the mail's own header block must be clean and
declare a boundary; each part is found after a boundary line of its parent, with a clean
header block that declares base64, and a body of nothing but base64 up to the next line that
starts with "--". A mail that carries another mail (message/rfc822, kept as its exact bytes)
is never lifted. After parsing, `attach` checks that every marker came back as exactly one
leaf whose transfer encoding is base64 — what makes the stdlib decode it — and otherwise the
caller parses the untouched mail: the result is always what the stdlib alone would read.
"""

from __future__ import annotations

import binascii
import re
from email._encoded_words import decode_b
from email.message import Message

try:
    import pybase64
except ImportError:  # optional: binascii decodes the same, slower
    pybase64 = None

LIFT_MIN_BYTES = 64 * 1024  # below this the parser's line walk costs too little to matter
LIFT_MIN_BODY = 8 * 1024
HEADER_WINDOW = 64 * 1024
HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_BASE64_CTE = re.compile(rb"(?im)^content-transfer-encoding:[ \t]*base64[ \t]*\r?$")
_MULTIPART_BOUNDARY = re.compile(
    rb"(?im)^content-type:[ \t]*multipart/[^\n]*(?:\n[ \t][^\n]*)*?"
    rb'boundary=(?:"([^"\r\n]+)"|([^";\s]+))'
)
# 32 characters: itself valid base64, should anything decode it.
MARKER = b"madoguchiliftedbase64body"
_EMBEDDED_MAIL = re.compile(rb"(?i)message/(?:rfc822|global)")
ATTRIBUTE = "madoguchi_lifted_base64"  # on a parsed part: (raw, start, end) of its body


def lift_base64_bodies(raw: bytes) -> tuple[bytes, dict[str, tuple[int, int]]]:
    """The mail for the parser, and {marker: (start, end) of the base64 in `raw`} for each
    lifted body ({} and `raw` itself when nothing is lifted). Byte searches only, one pass
    over the mail: a lifted body is crossed by a single search for the next "--" line."""
    if len(raw) < LIFT_MIN_BYTES:
        return raw, {}
    boundaries = _boundaries(raw[: block_end(raw, 0)])
    if not boundaries:
        return raw, {}
    separators = tuple(b"--" + boundary for boundary in boundaries)
    spans: dict[int, int] = {}  # body start → end of its base64
    at = raw.find(b"\n--")
    while at >= 0:
        line = at + 1
        if not raw.startswith(separators, line):
            at = raw.find(b"\n--", line)
            continue
        start = raw.find(b"\n", line) + 1  # the part's header block
        if start <= 0:
            break
        body = block_end(raw, start)
        block = raw[start:body]
        if not _clean_header_block(block):
            at = raw.find(b"\n--", line)
            continue
        found = _boundaries(block)  # a nested multipart: its own parts follow
        separators += tuple(b"--" + b for b in found if b"--" + b not in separators)
        if not _BASE64_CTE.search(block):
            at = raw.find(b"\n--", line)
            continue
        # Base64 has no "-": the first one after the header block is where the body ends
        # if it starts the next "--" line (from the blank line's own line break: a body
        # that starts with "--" is empty). One search, and it proves that no line of the
        # body can be a boundary, whatever its line ends (a lone CR ends a line for the
        # parser too). Other bytes do not matter: what is not base64 the stdlib skips, as
        # `lifted_payload` does.
        dash = raw.find(b"-", body)
        if dash < 0:
            end, at = len(raw), -1
        elif raw[dash - 1 : dash + 2] == b"\n--":
            end, at = dash - 1, dash - 1
        else:
            at = raw.find(b"\n--", line)
            continue
        while end > body and raw[end - 1] in b"\r\n":
            end -= 1
        if end - body >= LIFT_MIN_BODY:
            spans[body] = end
    if not spans:
        return raw, {}
    pieces, lifted, done = [], {}, 0
    for number, start in enumerate(sorted(spans)):
        marker = MARKER + b"%07d" % number
        lifted[marker.decode("ascii")] = (start, spans[start])
        pieces += [raw[done:start], marker]
        done = spans[start]
    pieces.append(raw[done:])
    # A carried mail is kept byte for byte: none of its parts may change. Its Content-Type
    # can only stand outside the lifted spans (they hold no "-"), as can a forged marker.
    kept = pieces[::2]
    if any(MARKER in piece or _EMBEDDED_MAIL.search(piece) for piece in kept):
        return raw, {}
    return b"".join(pieces), lifted


def attach(msg: Message, raw: bytes, lifted: dict[str, tuple[int, int]]) -> bool:
    """Give each lifted part its raw span; False when the parser did not see every lifted
    body as exactly one base64 leaf (the caller then parses the untouched mail)."""
    from .parts import walk

    found = 0
    for part in walk(msg):
        payload = part._payload  # noqa: SLF001 - what get_payload() returns, without its work
        if not isinstance(payload, str) or not payload.startswith(MARKER.decode("ascii")):
            continue
        span = lifted.get(payload.strip())
        cte = str(part.get("content-transfer-encoding", "")).lower()
        if span is None or part.is_multipart() or cte != "base64" or ATTRIBUTE in vars(part):
            return False
        setattr(part, ATTRIBUTE, (raw, *span))
        found += 1
    return found == len(lifted)


def lifted_payload(part: Message) -> bytes | None:
    """The decoded body of a lifted part (what `get_payload(decode=True)` gives for its
    original body), or None for any other part."""
    span = vars(part).get(ATTRIBUTE)
    if span is None:
        return None
    raw, start, end = span
    body = memoryview(raw)[start:end]
    if pybase64 is not None:
        # Five times binascii's speed. Used only where the two agree by their contracts:
        # "=" nowhere but as the final padding (what is not base64 both skip).
        first_pad = raw.find(b"=", start, end)
        if first_pad < 0 or not raw[first_pad:end].translate(None, b"=\r\n"):
            try:
                return pybase64.b64decode(body, validate=False)
            except (binascii.Error, ValueError):
                pass  # bad padding: binascii, then the stdlib's repairs, say what it reads
    try:
        return binascii.a2b_base64(body)
    except binascii.Error:  # bad padding: the stdlib's own repairs, on the same bytes
        return decode_b(b"".join(raw[start:end].splitlines()))[0]


def block_end(raw: bytes, start: int) -> int:
    """Where the body begins after the header block starting at `start` (past its first
    blank line, LF or CRLF), or the end of the mail."""
    begin = max(start - 1, 0)
    # A header block is short: look in the next 64 KB first. Searched to the end, a 1 MB
    # body was scanned once per part for the blank line kind the mail does not use.
    for stop in (min(begin + HEADER_WINDOW, len(raw)), len(raw)):
        crlf = raw.find(b"\n\r\n", begin, stop)
        lf = raw.find(b"\n\n", begin, stop if crlf < 0 else crlf + 1)
        if lf >= 0:
            return lf + 2
        if crlf >= 0:
            return crlf + 3
    return len(raw)


def _clean_header_block(block: bytes) -> bool:
    lines = block.splitlines()
    return bool(lines) and all(
        HEADER_LINE.match(line) or line[:1] in (b" ", b"\t") or not line.strip() for line in lines
    )


def _boundaries(block: bytes) -> list[bytes]:
    """The boundary a clean header block's multipart Content-Type declares, if any."""
    if not _clean_header_block(block):
        return []
    found = _MULTIPART_BOUNDARY.search(block)
    return [found.group(1) or found.group(2)] if found else []
