"""Large base64 bodies are folded for the parser (speed) and read exactly as before."""

from __future__ import annotations

import base64
import os
from email.message import EmailMessage

from channels_in.mail import parse
from channels_in.mail.parse import fold_base64_bodies, parse_mail


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


def test_a_big_attachment_is_folded_and_decoded_byte_for_byte():
    raw, pdf, _png = big_mail()
    folded = fold_base64_bodies(raw)

    assert len(folded) < len(raw)  # its 5,000 line breaks are gone, for the parser only
    incoming = parse_mail(raw)
    assert incoming.body_text == "添付をご確認ください。"
    assert [(a.filename, a.content) for a in incoming.attachments] == [("請求書.pdf", pdf)]


def test_nested_multipart_parts_are_folded_too_and_read_the_same(monkeypatch):
    raw, pdf, png = big_mail(nested=True)
    assert fold_base64_bodies(raw).count(b"\n") < 100  # the PNG inside alternative/related too
    folded = parse_mail(raw)
    monkeypatch.setattr(parse, "FOLD_MIN_BYTES", 10**12)
    plain = parse_mail(raw)

    assert folded == plain
    assert {a.content for a in folded.attachments} == {pdf, png}


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
