"""The raw mail's key is read from its header bytes directly where that is safe, and is
always the Message-ID the stdlib parser finds (a duplicate must be recognized whichever way
its key was read)."""

from __future__ import annotations

import email
import random

import pytest

from channels_in.mail import headers, parse
from tests.channels_in.test_email_corpus import corpus_files
from tests.conftest import CORPUS


def by_the_parser(raw: bytes) -> str:
    head = parse._HEADER_END.split(raw, maxsplit=1)[0]
    msg = email.message_from_bytes(head + b"\r\n\r\n", policy=parse.PARSE_POLICY)
    return headers.first_message_id(headers.raw_header(msg, "Message-ID"))


HEADS = [
    b"From: a@example.jp\r\nMessage-ID: <one@example.jp>\r\nSubject: x",
    b"From: a@example.jp\nmessage-id:\n  <folded@example.jp>\nSubject: x",
    b"Message-Id: <first@x>\nMessage-ID: <second@x>",
    b"Subject: none here",
    b"Message-ID : <spaced@x>\nFrom: a@x",  # not the header the parser knows by that name
    b"garbage line\nMessage-ID: <after-garbage@x>",
    b" folded first\nMessage-ID: <x@x>",
    b"From a@x Mon Jan  1 00:00:00 2024\nMessage-ID: <envelope@x>",
    b": nameless\nMessage-ID: <x@x>",
    b"Subject: a\rMessage-ID: <lone-cr@x>\r",
    b"Message-ID: <ab\xffc@x>",
    b"Message-ID: bare@example.jp",
    b"Message-ID:",
]


@pytest.mark.parametrize("head", HEADS)
def test_crafted_header_blocks_give_the_parsers_message_id(head):
    raw = head + b"\r\n\r\nbody\r\n"
    assert parse.message_id_of(raw) == by_the_parser(raw)


def test_the_fast_read_is_taken_for_a_plain_block():
    assert headers.message_id_in_head(HEADS[0]) == "<one@example.jp>"
    assert headers.message_id_in_head(HEADS[1]) == "<folded@example.jp>"
    assert headers.message_id_in_head(HEADS[5]) is None  # left to the parser


def test_every_corpus_mail_and_damaged_copies_give_the_parsers_message_id(corpus):
    rng = random.Random(7)
    inserts = [b"\r", b"\n", b" ", b":", b"From ", b"\t", b"\xff", b"Message-ID: <z@z>\n"]
    for name in corpus_files():
        raw = (CORPUS / name).read_bytes()
        assert parse.message_id_of(raw) == by_the_parser(raw), name
        for _copy in range(3):
            damaged = bytearray(raw[:3000])
            at = rng.randrange(len(damaged) + 1)
            damaged[at:at] = rng.choice(inserts)
            assert parse.message_id_of(bytes(damaged)) == by_the_parser(bytes(damaged)), name
