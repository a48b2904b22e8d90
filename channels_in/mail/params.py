"""MIME header parameters (`Content-Type`, `Content-Disposition`) read from raw values.

Real file names arrive as RFC 2231 (`filename*=shift_jis''…`, continued over `*0*`, `*1*`),
as RFC 2047 words inside quotes (which the RFC forbids and every Japanese mailer writes), or
as raw 8-bit text; all three are decoded here with the forgiving charset rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from .charsets import decode_bytes
from .headers import decode_header_text

_PARAM = re.compile(
    r"""\s*;?\s*(?P<name>[^\s=;"]+)\s*=\s*(?P<value>"(?:[^"\\]|\\.)*"?|[^;]*)""",
    re.DOTALL,
)
_SECTION = re.compile(r"\A(?P<base>[^*]+)(?:\*(?P<index>\d+))?(?P<extended>\*)?\Z")


@dataclass
class HeaderParams:
    value: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.params.get(name)


def parse_params(raw: str | None, *, hints: Sequence[str] = ()) -> HeaderParams:
    """`text/plain; charset="x"; name*0*=…` → value 'text/plain' and decoded parameters."""
    if not raw:
        return HeaderParams()
    # The same Content-Type is read a dozen times while one mail is parsed (charset hints,
    # body or attachment, file name): decoded once, handed out as a copy of its own.
    found = _parse_params(raw, tuple(hints))
    return HeaderParams(value=found.value, params=dict(found.params))


@functools.lru_cache(maxsize=512)
def _parse_params(raw: str, hints: tuple[str, ...]) -> HeaderParams:
    main, _, rest = raw.partition(";")
    sections: dict[str, dict[int, tuple[str, bool]]] = {}
    for match in _PARAM.finditer(rest):
        section = _SECTION.match(match.group("name").lower())
        if section is None:
            continue
        value = match.group("value").strip()
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1] if value.endswith('"') else value[1:])
        index = int(section.group("index") or 0)
        parts = sections.setdefault(section.group("base"), {})
        parts.setdefault(index, (value, bool(section.group("extended"))))
    params = {name: _join_sections(parts, hints) for name, parts in sections.items()}
    return HeaderParams(value=main.strip().strip('"').lower(), params=params)


def _join_sections(parts: dict[int, tuple[str, bool]], hints: Sequence[str]) -> str:
    ordered = [parts[index] for index in sorted(parts)]
    if not any(extended for _, extended in ordered):
        return decode_header_text("".join(value for value, _ in ordered), hints=hints)
    charset = next(iter(hints), None)
    data = bytearray()
    for position, (value, extended) in enumerate(ordered):
        if extended and position == 0 and value.count("'") >= 2:
            charset, _, value = value.split("'", 2)
        raw = value.encode("utf-8", errors="surrogateescape")
        data += unquote_to_bytes(raw) if extended else raw
    return decode_bytes(bytes(data), charset).replace("\x00", "").strip()
