"""Two patches to the stdlib's `email.feedparser` that change how fast it reads, never what
it reads (tests/channels_in/test_email_parse_speedups.py holds them to that). Applied once
per process, on import.
"""

from __future__ import annotations

import email.feedparser
import re


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


# The parser compiles a regular expression for every multipart it meets (its boundary line,
# `'(?P<sep>' + re.escape(separator) + BOUNDARY_TAIL`): each boundary is new, so the `re`
# cache never helps, and compiling was ~0.2 ms a multipart — a quarter of parsing an HTML
# mail with an inline image. The same test without compiling: the line starts with the
# separator, and the rest matches the tail (compiled once) right after it.
BOUNDARY_TAIL = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_TAIL = re.compile(BOUNDARY_TAIL[1:])
_SEP = "(?P<sep>"
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


class BoundaryLine:
    """Stands in for the compiled boundary pattern: `match` gives None or a match whose
    `end`, `ws` and `linesep` groups are the pattern's (all the parser reads)."""

    __slots__ = ("separator",)

    def __init__(self, separator: str) -> None:
        self.separator = separator

    def match(self, line: str):
        if not line.startswith(self.separator):
            return None
        return _TAIL.match(line, len(self.separator))


class _ParserRe:
    """The `re` module as `email.feedparser` sees it: boundary patterns become
    `BoundaryLine`; everything else is `re` itself."""

    def compile(self, pattern, flags=0):
        if (
            not flags
            and isinstance(pattern, str)
            and pattern.startswith(_SEP)
            and pattern.endswith(BOUNDARY_TAIL)
        ):
            escaped = pattern[len(_SEP) : -len(BOUNDARY_TAIL)]
            separator = _ESCAPED.sub(r"\1", escaped)
            if re.escape(separator) == escaped:  # exactly the literal the pattern matches
                return BoundaryLine(separator)
        return re.compile(pattern, flags)

    def __getattr__(self, name: str):
        return getattr(re, name)


if isinstance(email.feedparser.NLCRE_eol, re.Pattern):  # once per process
    email.feedparser.NLCRE_eol = _LineEndAtTheEnd(email.feedparser.NLCRE_eol)
if email.feedparser.re is re:
    email.feedparser.re = _ParserRe()
