"""Article bodies: Markdown source → HTML that has been through the project's one sanitizer."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

from helpdesk.html import sanitize_html

# CommonMark with raw HTML switched off: an editor's <script> stays visible text. Tables are the
# one extension help articles need (fees, delivery times). sanitize_html runs afterwards anyway,
# because the renderer is not the place to trust with hostile input.
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_BLANKS = re.compile(r"\s+")
# Japanese has no spaces between words: a line break inside a paragraph must not become one.
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _softbreak(self, tokens, idx, options, env) -> str:
    before = tokens[idx - 1].content[-1:] if idx > 0 else ""
    after = tokens[idx + 1].content[:1] if idx + 1 < len(tokens) else ""
    return "" if _CJK.match(before) or _CJK.match(after) else "\n"


_renderer.add_render_rule("softbreak", _softbreak)


def render_markdown(source: str) -> str:
    """Sanitized HTML for a Markdown body."""
    return sanitize_html(_renderer.render(source or ""))


def plain_text(rendered_html: str) -> str:
    """The words of rendered HTML, for search indexing and result snippets."""
    # Block ends become spaces so "<li>a</li><li>b</li>" does not read as "ab".
    spaced = re.sub(r"</(p|li|h[1-6]|td|th|pre|blockquote)>|<br\s*/?>", " ", rendered_html)
    return _BLANKS.sub(" ", html.unescape(nh3.clean(spaced, tags=set()))).strip()
