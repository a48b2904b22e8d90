"""Decoding bytes from mail, where the declared charset is a hint and sometimes a lie.

Mailers label text with the narrow standard name of a charset and then write the vendor
superset (Windows writes CP932 into ISO-2022-JP and Shift_JIS, GBK into GB2312, cp1252 into
ISO-8859-1), or declare nothing, or a name nobody knows. Everything here returns `str` and
never raises a decoding error: the last resort is a replacement character, not a lost mail.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence

from charset_normalizer import from_bytes

# Labels mapped to the superset actually written by the mailers that use them, as browsers do
# (WHATWG Encoding Standard) and as Japanese and Chinese mail clients expect.
SUPERSETS = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "s-jis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "windows-31j": "cp932",
    "cswindows31j": "cp932",
    "x-ms-cp932": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "cp936": "gb18030",
    "csgb2312": "gb18030",
    "chinese": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "x-euc-jp": "euc_jis_2004",
    "euc-jp": "euc_jis_2004",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    # Undeclared 8-bit text in "ASCII" mail is UTF-8 more often than anything else today.
    "us-ascii": "",
    "ascii": "",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
    "unknown-8bit": "",
    "unknown": "",
    "x-user-defined": "",
    "default": "",
}
ISO2022JP_LABELS = frozenset(
    {
        "iso-2022-jp",
        "iso2022-jp",
        "iso2022_jp",
        "csiso2022jp",
        "jis",
        "iso-2022-jp-1",
        "iso-2022-jp-ms",
        "cp50220",
        "cp50221",
        "cp50222",
    }
)
NOT_MAIL_CHARSETS = frozenset(
    {
        "undefined",
        "unicode-escape",
        "raw-unicode-escape",
        "idna",
        "punycode",
        "mbcs",
        "oem",
        "charmap",
    }
)
# Designations that mark text as ISO-2022-JP even when no charset was declared.
JIS_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b$(D", b"\x1b(J", b"\x1b(I", b"\x1b$(Q", b"\x1b$(O")
ISO2022JP_FALLBACKS = ("iso2022_jp_2004", "iso2022_jp_3", "iso2022_jp_2", "iso2022_jp_ext")

# Codecs whose strict decoding of random 8-bit text usually fails: worth trying on raw header
# bytes before any single-byte charset, which accepts everything and yields mojibake.
MULTIBYTE = frozenset(
    {
        "utf-8",
        "cp932",
        "gb18030",
        "cp949",
        "euc_jis_2004",
        "euc_jp",
        "big5",
        "big5hkscs",
        "cp950",
        "iso-2022-jp",
        "shift_jis_2004",
    }
)

_ESCAPE = re.compile(rb"\x1b(\$[@B]|\([BJHI])")


def normalize_label(label: str | None) -> str:
    """A charset label as written in mail → a Python codec name, or '' when unknown."""
    if not label:
        return ""
    name = label.strip().strip("\"'").lower()
    if name in ISO2022JP_LABELS:
        return "iso-2022-jp"
    if name in SUPERSETS:
        return SUPERSETS[name]
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return ""
    # A label may name a bytes-to-bytes codec (base64, zlib) or a Python-only one; neither
    # is a mail charset.
    if not getattr(info, "_is_text_encoding", True) or info.name in NOT_MAIL_CHARSETS:
        return ""
    return SUPERSETS.get(info.name, info.name)


def rank_hints(labels: list[str]) -> tuple[str, ...]:
    """Declared charsets, deduplicated, multibyte ones first (see MULTIBYTE)."""
    codecs_: list[str] = []
    for codec in filter(None, map(normalize_label, labels)):
        # Mail labelled ISO-2022-JP with 8-bit headers was written in Shift_JIS (CP932).
        codecs_ += [codec, "cp932"] if codec == "iso-2022-jp" else [codec]
    codecs_ = list(dict.fromkeys(codecs_))
    return tuple(sorted(codecs_, key=lambda codec: codec not in MULTIBYTE))


def looks_like_iso2022jp(data: bytes) -> bool:
    return b"\x1b" in data and any(escape in data for escape in JIS_ESCAPES)


def decode_bytes(data: bytes, charset: str | None = None, *, hints: Sequence[str] = ()) -> str:
    """Decode text from mail with the declared charset, a CP932/GBK-aware superset of it,
    or the best guess; never raises. `hints` are codecs the rest of the mail declares."""
    label = normalize_label(charset)
    if label == "iso-2022-jp" or (label in ("", "cp1252", "utf-8") and looks_like_iso2022jp(data)):
        return decode_iso2022jp(data)
    if label and _is_single_byte(label) and _is_multibyte_utf8(data):
        # UTF-8 labelled Latin-1 and friends: the label decodes anything, into mojibake.
        return data.decode("utf-8")
    if label:
        try:
            return data.decode(label)
        except (UnicodeError, LookupError):
            pass
    return guess_decode(data, prefer=label, hints=hints)


def guess_decode(data: bytes, *, prefer: str = "", hints: Sequence[str] = ()) -> str:
    """Undeclared or mislabelled text: UTF-8 if valid, else a charset the mail declares
    elsewhere that decodes it, else what `charset-normalizer` finds likeliest."""
    if looks_like_iso2022jp(data):
        return decode_iso2022jp(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for codec in hints:
        codec = normalize_label(codec)
        if codec and codec != prefer and codec in MULTIBYTE and codec != "iso-2022-jp":
            try:
                return data.decode(codec)
            except (UnicodeError, LookupError):
                continue
    # A few stray 8-bit bytes (an accent in a Message-ID) say nothing about a charset: any
    # detector guesses wildly there, so they stay with the Windows-1252 reading.
    if sum(byte >= 0x80 for byte in data[:4096]) >= DETECTION_MIN_HIGH_BYTES:
        detected = detect_decode(data)
        if detected is not None:
            return detected
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    if prefer:
        try:
            return data.decode(prefer, errors="replace")
        except (UnicodeError, LookupError):
            pass
    return data.decode("latin-1")


# What mail in the wild is written in, for detection; a short text is ambiguous between
# many more, and a narrow list keeps the guesses sane (Japanese first: our users).
DETECTION_CANDIDATES = (
    "cp932",
    "euc_jp",
    "gb18030",
    "big5",
    "cp949",
    "cp1252",
    "cp1250",
    "cp1251",
    "koi8_r",
    "iso8859_7",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp874",
    "cp1258",
)
DETECTION_LIMIT = 256 * 1024  # bytes looked at: detection cost grows with length
DETECTION_MIN_HIGH_BYTES = 6  # three CJK characters


def detect_decode(data: bytes) -> str | None:
    """The text as `charset-normalizer` reads it best, or None when it finds nothing."""
    try:
        best = from_bytes(data[:DETECTION_LIMIT], cp_isolation=list(DETECTION_CANDIDATES)).best()
    except Exception:  # noqa: BLE001 - a detector bug must not lose a mail
        return None
    if best is None:
        return None
    codec = SUPERSETS.get(best.encoding, best.encoding) or best.encoding
    return data.decode(codec, errors="replace")


_SINGLE_BYTE = re.compile(r"\A(cp12\d\d|cp874|iso8859_\d+|latin_1|koi8_[ru]|mac_\w+|cp437|cp850)\Z")


def _is_single_byte(codec: str) -> bool:
    return bool(_SINGLE_BYTE.match(codecs.lookup(codec).name.replace("-", "_")))


def _is_multibyte_utf8(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_iso2022jp(data: bytes) -> str:
    """ISO-2022-JP as Windows writes it: JIS X 0208 plus the CP932 extensions (①, ㈱, 髙).

    The stdlib codecs reject NEC row 13 and the NEC-selected IBM rows, so the JIS segments
    are converted back to Shift_JIS bytes and decoded as CP932; designations the manual
    path does not know (JIS X 0212/0213, other ISO-2022 sets) go to the stdlib variants.
    """
    if b"\x1b" not in data and any(byte >= 0x80 for byte in data):
        # 8-bit text under a 7-bit label: Japanese mailers that wrote Shift_JIS after all.
        return decode_bytes(data, "cp932")
    try:
        return data.decode("iso2022_jp")
    except UnicodeDecodeError:
        pass
    try:
        return _iso2022jp_via_cp932(data, errors="strict")
    except (UnicodeDecodeError, ValueError):
        pass
    for codec in ISO2022JP_FALLBACKS:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return _iso2022jp_via_cp932(data, errors="replace")


def _iso2022jp_via_cp932(data: bytes, *, errors: str) -> str:
    out: list[str] = []
    mode = b"(B"
    shifted = False  # SO/SI half-width katakana, used by some old Japanese mailers
    position = 0
    while position < len(data):
        if data[position] == 0x1B:
            match = _ESCAPE.match(data, position)
            if match is None:
                if errors == "strict":
                    raise ValueError("unsupported ISO-2022 designation")
                out.append("\ufffd")
                position += 1
                continue
            mode = match.group(1)
            position = match.end()
            continue
        end = _next_control(data, position)
        chunk = data[position:end]
        position = end
        if chunk in (b"\x0e", b"\x0f"):
            shifted = chunk == b"\x0e"
            continue
        out.append(_decode_segment(chunk, b"(I" if shifted else mode, errors))
    return "".join(out)


def _next_control(data: bytes, start: int) -> int:
    """End of the run of bytes that share one designation."""
    if data[start] in (0x0E, 0x0F):
        return start + 1
    end = start
    while end < len(data) and data[end] not in (0x1B, 0x0E, 0x0F):
        end += 1
    return end


def _decode_segment(chunk: bytes, mode: bytes, errors: str) -> str:
    if mode in (b"$B", b"$@"):
        return _jis_to_text(chunk, errors)
    if mode == b"(I":
        return bytes(b + 0x80 if 0x21 <= b <= 0x5F else b for b in chunk).decode(
            "cp932", errors=errors
        )
    if mode == b"(J":  # JIS X 0201 Roman: ASCII with yen and overline, read as ASCII in mail
        return chunk.decode("cp932", errors=errors)
    return chunk.decode("cp932" if errors == "strict" else "latin-1", errors=errors)


def _jis_to_text(chunk: bytes, errors: str) -> str:
    """A JIS X 0208 run (two bytes per character) read through CP932; bytes that cannot be
    JIS become U+FFFD unless `errors` is strict."""
    out: list[str] = []
    pending = bytearray()
    index = 0
    while index < len(chunk):
        first = chunk[index]
        if first in (0x0D, 0x0A):  # broken mailers leave line ends inside a JIS run
            pending.append(first)
            index += 1
            continue
        second = chunk[index + 1] if index + 1 < len(chunk) else 0
        if not (0x21 <= first <= 0x7E and 0x21 <= second <= 0x7E):
            if errors == "strict":
                raise ValueError("byte outside JIS X 0208 in an ISO-2022-JP run")
            out.append(pending.decode("cp932", errors=errors) + "\ufffd")
            pending.clear()
            index += 1
            continue
        lead = ((first + 1) >> 1) + (0x70 if first <= 0x5E else 0xB0)
        # Odd JIS rows map to trail bytes 0x40-0x9E (skipping 0x7F), even rows to 0x9F-0xFC.
        offset = (0x1F if second <= 0x5F else 0x20) if first & 1 else 0x7E
        pending += bytes((lead, second + offset))
        index += 2
    out.append(pending.decode("cp932", errors=errors))
    return "".join(out)
