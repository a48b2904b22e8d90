"""Readable plain text from a mail's HTML part, for HTML-only mail (search, previews, quotes).

Not a renderer: it keeps paragraphs and line breaks, list bullets and table rows, and drops
whatever a reader never sees (scripts, styles, head, comments).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_INVISIBLE = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})
_BLOCKS = frozenset(
    {
        "div",
        "section",
        "article",
        "header",
        "footer",
        "ul",
        "ol",
        "tr",
        "address",
        "form",
        "center",
        "dl",
        "dt",
        "dd",
        "hr",
        "body",
        "html",
        "fieldset",
        "figure",
        "main",
        "nav",
        "aside",
        "caption",
    }
)
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "pre"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._pre = 0

    def _at_line_start(self) -> bool:
        return not self.parts or self.parts[-1].endswith("\n")

    def _break(self, count: int) -> None:
        """End the current line or paragraph without stacking blank lines on block nesting."""
        trailing = 0
        for part in reversed(self.parts):
            kept = part.rstrip("\n")
            trailing += len(part) - len(kept)
            if kept:
                break
        if self.parts and trailing < count:
            self.parts.append("\n" * (count - trailing))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self._hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("- " if self._at_line_start() else "\n- ")
        elif tag in ("td", "th"):
            if not self._at_line_start():
                self.parts.append("\t")
        elif tag in _PARAGRAPHS or tag in _BLOCKS:
            self._break(2 if tag in _PARAGRAPHS else 1)
        if tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _INVISIBLE:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in _PARAGRAPHS or tag in _BLOCKS or tag == "li":
            self._break(2 if tag in _PARAGRAPHS else 1)
        if tag == "pre":
            self._pre = max(self._pre - 1, 0)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._pre:
            data = _SPACES.sub(" ", data)
            if self._at_line_start():
                data = data.lstrip(" ")
        if data:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text with the line structure a reader of the HTML would see."""
    if not html:
        return ""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # the stdlib parser's reaction to some broken markup
        return _SPACES.sub(" ", re.sub(r"<[^>]*>", " ", html)).strip()
    text = "".join(parser.parts).replace("\xa0", " ")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip("\n")
