"""The parser's shortcuts change how fast a mail is read, never what is read."""

from __future__ import annotations

import email.feedparser
import re
from email.message import EmailMessage

import pytest

from channels_in.mail import parse

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
    assert parse._block_end(b"A: 1\r\nB: 2\r\n\r\nbody\n\nmore", 0) == 14
    assert parse._block_end(b"A: 1\nB: 2\n\nbody\r\n\r\nmore", 0) == 11
    assert parse._block_end(b"A: 1\nB: 2", 0) == 9
