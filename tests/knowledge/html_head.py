"""Read what a crawler reads from a page: <title>, <meta>, <link>, JSON-LD blocks."""

from __future__ import annotations

import json
from html.parser import HTMLParser


class HeadReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict[str, str]] = []
        self.json_ld: list[str] = []
        self._in: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {key: value or "" for key, value in attrs}
        if tag == "title":
            self._in, self._buffer = "title", []
        elif tag == "meta":
            key = attributes.get("property") or attributes.get("name")
            if key:
                self.meta.setdefault(key, []).append(attributes.get("content", ""))
        elif tag == "link":
            self.links.append(attributes)
        elif tag == "script" and attributes.get("type") == "application/ld+json":
            self._in, self._buffer = "json_ld", []

    def handle_data(self, data):
        if self._in:
            self._buffer.append(data)

    def handle_endtag(self, tag):
        if self._in == "title" and tag == "title":
            self.title = "".join(self._buffer).strip()
            self._in = None
        elif self._in == "json_ld" and tag == "script":
            self.json_ld.append("".join(self._buffer))
            self._in = None

    def link(self, rel: str, **match: str) -> list[str]:
        return [
            link["href"]
            for link in self.links
            if link.get("rel") == rel and all(link.get(k) == v for k, v in match.items())
        ]

    def json_ld_data(self) -> list[dict]:
        return [json.loads(block) for block in self.json_ld]


def read_head(html: str) -> HeadReader:
    reader = HeadReader()
    reader.feed(html)
    return reader
