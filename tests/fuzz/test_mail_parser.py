"""The mail parser on hostile bytes: random data, broken headers, wrong and unknown charsets,
bad transfer encodings, deep nesting. It returns a message or raises `MalformedMail` — the
one documented error, which keeps the event as failed for an admin — and never anything else;
and whatever comes in is stored raw before it is read, so nothing is ever lost.
"""

from __future__ import annotations

import base64
import quopri

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels_in.mail.parse import MalformedMail, read_mail
from channels_in.models import InboundEvent, InboundStatus
from channels_in.services import process_inbound, record_raw_mail

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CHARSETS = ["utf-8", "iso-2022-jp", "shift_jis", "cp932", "euc-jp", "gb2312", "gbk", "big5",
            "iso-8859-1", "windows-1252", "koi8-r", "utf-16", "x-unknown", "", "utf-8\x00",
            "unicode-1-1-utf-7", "ｕｔｆ－８", "us-ascii"]  # fmt: skip
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "binary", "x-uuencode", "bogus", ""]
HEADER_NAMES = ["From", "To", "Cc", "Reply-To", "Sender", "Subject", "Message-ID", "In-Reply-To",
                "References", "Date", "Content-Type", "Content-Transfer-Encoding",
                "Content-Disposition", "Auto-Submitted", "Precedence", "X-Weird",
                "MIME-Version", "Return-Path", "List-Id"]  # fmt: skip

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80)


def _encode(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset.strip("\x00") or "utf-8", errors="replace")
    except LookupError:
        return text.encode("utf-8")


@st.composite
def header_values(draw) -> bytes:
    text = draw(texts)
    charset = draw(st.sampled_from(CHARSETS))
    raw = _encode(text, charset)
    style = draw(st.sampled_from(["raw", "b", "q", "broken"]))
    if style == "b":
        return f"=?{charset}?B?{base64.b64encode(raw).decode()}?=".encode()
    if style == "q":
        return f"=?{charset}?Q?{quopri.encodestring(raw, header=True).decode()}?=".encode()
    if style == "broken":
        return b"=?" + charset.encode("utf-8", "replace") + b"?X?" + raw[:20]
    return raw.replace(b"\r", b"").replace(b"\n", b" ")


@st.composite
def parts(draw, depth: int = 0) -> bytes:
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    if depth < 3 and draw(st.booleans()):
        boundary = draw(st.sampled_from(["b1", "==b==", "", "a" * 80, "x y"]))
        children = draw(st.lists(parts(depth + 1), max_size=3))
        head = f'Content-Type: multipart/{draw(st.sampled_from(["mixed", "alternative", "related", "report"]))}; boundary="{boundary}"\r\n\r\n'.encode()  # noqa: E501
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + child + b"\r\n" for child in children)
        closing = draw(st.sampled_from([b"--" + boundary.encode() + b"--\r\n", b""]))
        return head + body + closing
    kind = draw(st.sampled_from(["text/plain", "text/html", "application/pdf", "image/png",
                                 "message/rfc822", "application/ms-tnef", "text/calendar"]))  # fmt: skip
    payload = _encode(draw(texts), charset)
    if encoding == "base64" and draw(st.booleans()):
        payload = base64.encodebytes(payload)
    elif encoding == "quoted-printable" and draw(st.booleans()):
        payload = quopri.encodestring(payload)
    name = draw(st.one_of(st.none(), header_values()))
    disposition = b'Content-Disposition: attachment; filename="' + name + b'"\r\n' if name else b""
    return (
        f'Content-Type: {kind}; charset="{charset}"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n".encode("utf-8", "replace")
        + disposition
        + b"\r\n"
        + payload
    )


@st.composite
def mails(draw) -> bytes:
    names = draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=12))
    headers = b"".join(
        name.encode() + draw(st.sampled_from([b": ", b":", b" : ", b":\t"])) + draw(header_values())
        + draw(st.sampled_from([b"\r\n", b"\n", b"\r\n\t folded\r\n"]))
        for name in names
    )  # fmt: skip
    if draw(st.booleans()):
        headers = b"From: " + draw(header_values()) + b" <a@example.com>\r\n" + headers
    return headers + draw(parts())


def _read(raw: bytes) -> None:
    try:
        msg, incoming = read_mail(raw)
    except MalformedMail as exc:
        assert str(exc)  # a reason an admin can read
        return
    assert isinstance(incoming.body_text, str)
    assert isinstance(incoming.subject, str)


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_are_read_or_refused_as_malformed(raw):
    _read(raw)


@FUZZ
@given(mails())
def test_hostile_but_mail_shaped_input_is_read_or_refused_as_malformed(raw):
    _read(raw)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.one_of(mails(), st.binary(max_size=2000)))
def test_nothing_that_comes_in_is_lost(raw):
    event, _created = record_raw_mail(raw, source="fuzz")
    event = process_inbound(event.pk)
    stored = InboundEvent.objects.get(pk=event.pk)
    assert bytes(stored.payload) == raw or _created is False
    assert stored.status in (InboundStatus.PROCESSED, InboundStatus.FAILED, InboundStatus.HELD)
    if stored.status == InboundStatus.FAILED:
        # Malformed mail is kept with its reason and not retried; anything else is a bug.
        assert stored.error.startswith("MalformedMail:"), stored.error
        assert stored.next_attempt_at is None
    if stored.status == InboundStatus.PROCESSED:
        assert stored.message is not None
