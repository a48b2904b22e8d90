"""Large base64 bodies are lifted out of the mail for the parser (speed), decoded straight from
the raw bytes, and read exactly as the stdlib alone reads them."""

from __future__ import annotations

import base64
import os
import random
from email.message import EmailMessage

import pytest

from channels_in.mail import lift
from channels_in.mail.lift import lift_base64_bodies
from channels_in.mail.parse import parse_mail


def fold_base64_bodies(raw: bytes) -> bytes:
    """What the parser is given."""
    return lift_base64_bodies(raw)[0]


def parsed_without_lifting(monkeypatch, raw: bytes):
    with monkeypatch.context() as patch:
        patch.setattr(lift, "LIFT_MIN_BYTES", 10**12)
        return parse_mail(raw)


def big_mail(*, nested: bool = False) -> tuple[bytes, bytes, bytes]:
    pdf, png = b"%PDF-1.4\n" + os.urandom(300_000), b"\x89PNG" + os.urandom(100_000)
    message = EmailMessage()
    message["From"] = "Hanako <hanako@example.jp>"
    message["Subject"] = "請求書"
    message["Message-ID"] = "<big@example.jp>"
    message.set_content("添付をご確認ください。\n")
    if nested:
        message.add_alternative("<p>添付を<b>ご確認</b>ください。</p>", subtype="html")
        message.get_payload()[1].add_related(png, "image", "png", cid="<logo@x>")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="請求書.pdf")
    return message.as_bytes(), pdf, png


def test_a_big_attachment_is_lifted_and_decoded_byte_for_byte(monkeypatch):
    raw, pdf, _png = big_mail()
    folded = fold_base64_bodies(raw)

    assert len(folded) < 2000  # the 400 KB of base64 never reach the parser
    incoming = parse_mail(raw)
    assert incoming.body_text == "添付をご確認ください。"
    assert [(a.filename, a.content) for a in incoming.attachments] == [("請求書.pdf", pdf)]
    assert incoming == parsed_without_lifting(monkeypatch, raw)


def test_nested_multipart_parts_are_lifted_too_and_read_the_same(monkeypatch):
    raw, pdf, png = big_mail(nested=True)
    assert fold_base64_bodies(raw).count(b"\n") < 100  # the PNG inside alternative/related too
    folded = parse_mail(raw)
    plain = parsed_without_lifting(monkeypatch, raw)

    assert folded == plain
    assert {a.content for a in folded.attachments} == {pdf, png}


def test_bad_padding_and_crlf_read_as_the_stdlib_reads_them(monkeypatch):
    raw, _pdf, _png = big_mail()
    head, _sep, rest = raw.partition(b"filename")
    # Cut the base64 so its length is no multiple of four (the stdlib pads it), and CRLF.
    body_start = rest.index(b"\n\n") + 2
    broken = head + b"filename" + rest[:body_start] + rest[body_start + 1 :]
    for mail in (broken, broken.replace(b"\n", b"\r\n")):
        assert lift_base64_bodies(mail)[1]
        assert parse_mail(mail) == parsed_without_lifting(monkeypatch, mail)


def test_a_marker_the_parser_does_not_give_back_falls_back_to_the_plain_parse(monkeypatch):
    raw, pdf, _png = big_mail()
    # A second transfer encoding header: the stdlib reads the first (7bit), not base64.
    tricked = raw.replace(
        b"Content-Transfer-Encoding: base64\nContent-Disposition",
        b"Content-Transfer-Encoding: 7bit\nContent-Transfer-Encoding: base64\nContent-Disposition",
    )
    assert tricked != raw and lift_base64_bodies(tricked)[1]
    incoming = parse_mail(tricked)
    assert incoming == parsed_without_lifting(monkeypatch, tricked)
    assert incoming.attachments[0].content != pdf  # left encoded, as the stdlib leaves it


def test_broken_headers_an_embedded_mail_or_non_base64_text_are_left_alone():
    raw, _pdf, _png = big_mail()
    assert fold_base64_bodies(b"garbage first line\n" + raw) == b"garbage first line\n" + raw

    forwarded = raw.replace(b"application/pdf", b"message/rfc822", 1)
    assert fold_base64_bodies(forwarded) == forwarded

    # A text part that merely quotes a base64 header: not a part the parser will see.
    text = base64.encodebytes(os.urandom(80_000))
    quoted = (
        b"From: a@example.jp\nSubject: quoted\nContent-Type: text/plain\n\n"
        b"Content-Transfer-Encoding: base64\n\n" + text
    )
    assert fold_base64_bodies(quoted) == quoted
    assert parse_mail(quoted).body_text.count("\n") > 1000


@pytest.mark.parametrize("with_pybase64", [True, False])
def test_damaged_base64_reads_exactly_as_the_stdlib_reads_it(monkeypatch, with_pybase64):
    """Junk bytes, padding in the middle, missing padding, cut lines: whatever the lifted
    path decodes (pybase64, binascii or the stdlib's repairs), it is what the stdlib alone
    would have read."""
    if not with_pybase64:
        monkeypatch.setattr(lift, "pybase64", None)
    raw, _pdf, _png = big_mail()
    start = raw.index(b"\n\n", raw.index(b"filename")) + 2
    end = raw.index(b"\n--", start)
    body = raw[start:end]
    rng = random.Random(4)
    damages = [
        lambda b: b[:-1],
        lambda b: b[:-2],
        lambda b: b[:-3] + b"=",
        lambda b: b[:5000] + b"==" + b[5000:],
        lambda b: b[:5000] + b"=" + b[5002:],
        lambda b: b[:7000] + b"*\x00\xff!" + b[7000:],
        lambda b: b.replace(b"\n", b"\r\n"),
        lambda b: b.replace(b"\n", b"\r"),  # lone CRs: no "\n--" line, nothing lifted
        lambda b: b + b"====",
        lambda b: b"====" + b,
    ]
    for _round in range(3):
        cut = rng.randrange(len(body))
        damages.append(lambda b, cut=cut: b[:cut] + b[cut + 1 :])
        damages.append(lambda b, cut=cut: b[:cut] + bytes([rng.randrange(256)]) + b[cut:])
    for damage in damages:
        mail = raw[:start] + damage(body) + raw[end:]
        assert parse_mail(mail) == parsed_without_lifting(monkeypatch, mail)
