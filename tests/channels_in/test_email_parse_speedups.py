"""The parser's shortcuts change how fast a mail is read, never what is read."""

from __future__ import annotations

import email.feedparser
import re
from email.message import EmailMessage

import pytest

from channels_in.mail import feedparser_speedups, lift, parse

ORIGINAL = re.compile(r"(\r\n|\r|\n)\Z")


@pytest.mark.parametrize(
    "text",
    ["", "x", "\n", "\r", "\r\n", "ab\r\n", "ab\n\r", "ab\r\r", "ab\n", "a\r\nb", "\n\n", "xyz"],
)
def test_the_line_end_search_finds_what_the_parsers_pattern_finds(text):
    ours = email.feedparser.NLCRE_eol.search(text)
    theirs = ORIGINAL.search(text)
    assert (ours and (ours.span(), ours.group(0))) == (theirs and (theirs.span(), theirs.group(0)))


def _with_attachment(body: bytes, *, crlf: bool) -> bytes:
    mail = EmailMessage()
    mail["From"] = "a@example.jp"
    mail["Subject"] = "添付"
    mail["Message-ID"] = "<speed@example.jp>"
    mail.set_content("本文です。\n")
    mail.add_attachment(body, maintype="application", subtype="pdf", filename="資料.pdf")
    raw = mail.as_bytes()
    return raw.replace(b"\n", b"\r\n") if crlf else raw


@pytest.mark.parametrize("crlf", [False, True])
def test_a_big_attachment_reads_back_byte_for_byte_with_either_line_ending(crlf):
    body = bytes(range(256)) * 5000 + b"\r\n\n\r"  # 1.28 MB, line breaks at the very end
    incoming = parse.parse_mail(_with_attachment(body, crlf=crlf))

    (attachment,) = incoming.attachments
    assert attachment.filename == "資料.pdf" and attachment.content == body
    assert incoming.body_text == "本文です。"


def test_a_header_block_ends_at_the_first_blank_line_of_either_kind():
    assert lift.block_end(b"A: 1\r\nB: 2\r\n\r\nbody\n\nmore", 0) == 14
    assert lift.block_end(b"A: 1\nB: 2\n\nbody\r\n\r\nmore", 0) == 11
    assert lift.block_end(b"A: 1\nB: 2", 0) == 9


def test_a_blank_line_past_the_first_window_is_still_found(monkeypatch):
    monkeypatch.setattr(lift, "HEADER_WINDOW", 8)
    assert lift.block_end(b"A: 1\r\nB: 2\r\n\r\nbody\n\nmore", 0) == 14
    assert lift.block_end(b"A: 1\nB: 2\n\nbody\r\n\r\nmore", 0) == 11
    assert lift.block_end(b"A: 1234567\n\r\nx", 0) == 13
    assert lift.block_end(b"A: 1\nB: 2", 0) == 9


BOUNDARIES = ["b1", "===============1234567890==", "a.b+c(d)?e*f$g^h|i[j]{k}\\l m\tn", "--", "ß"]
LINES = [
    "",
    "\n",
    "--",
    "--{b}",
    "--{b}\n",
    "--{b}\r\n",
    "--{b}\r",
    "--{b}--",
    "--{b}--\n",
    "--{b}  \t\n",
    "--{b} x\n",
    "--{b}x",
    "--{b}--\r\n",
    "--{b}\n\n",
    "---{b}\n",
    "{b}\n",
    "--{b}-- \n",
    "--{b}--x",
]


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_the_boundary_line_test_is_the_parsers_pattern(boundary):
    separator = "--" + boundary
    pattern = "(?P<sep>" + re.escape(separator) + feedparser_speedups.BOUNDARY_TAIL
    ours = email.feedparser.re.compile(pattern)
    theirs = re.compile(pattern)
    assert isinstance(ours, feedparser_speedups.BoundaryLine)
    for template in LINES:
        line = template.replace("{b}", boundary)
        mine, real = ours.match(line), theirs.match(line)
        assert bool(mine) == bool(real), line
        if real:
            assert [mine.group(g) for g in ("end", "ws", "linesep")] == [
                real.group(g) for g in ("end", "ws", "linesep")
            ], line


def test_other_patterns_are_compiled_as_ever():
    assert isinstance(email.feedparser.re.compile(r"(?P<sep>x)y"), re.Pattern)
    assert email.feedparser.re.escape("a.b") == re.escape("a.b")
