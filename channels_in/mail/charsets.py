"""Decoding bytes from mail, where the declared charset is a hint and sometimes a lie.

Mailers label text with the narrow standard name of a charset and then write the vendor
superset (Windows writes CP932 into ISO-2022-JP and Shift_JIS, GBK into GB2312, cp1252 into
ISO-8859-1), or declare nothing, or a name nobody knows. Everything here returns `str` and
never raises a decoding error: the last resort is a replacement character, not a lost mail.
"""

from __future__ import annotations

import codecs
import re

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


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode text from mail with the declared charset, a CP932/GBK-aware superset of it,
    or the best guess; never raises."""
    label = normalize_label(charset)
    if label == "iso-2022-jp" or (label in ("", "cp1252", "utf-8") and looks_like_iso2022jp(data)):
        return decode_iso2022jp(data)
    if label:
        try:
            return data.decode(label)
        except (UnicodeError, LookupError):
            pass
    return guess_decode(data, prefer=label)


def guess_decode(data: bytes, *, prefer: str = "") -> str:
    """Undeclared or mislabelled text: UTF-8 if valid, else the likeliest legacy charset."""
    if looks_like_iso2022jp(data):
        return decode_iso2022jp(data)
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    if prefer:
        try:
            return data.decode(prefer, errors="replace")
        except (UnicodeError, LookupError):
            pass
    return data.decode("latin-1")


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
