"""Text whose declared charset lies or is missing (detected with charset-normalizer), and
Outlook's winmail.dat (TNEF) unpacked into the files a customer actually attached."""

from __future__ import annotations

import struct

import pytest

from channels_in.mail.charsets import decode_bytes
from channels_in.mail.parse import parse_mail

JAPANESE = (
    "お世話になっております。先日注文した商品がまだ届いておりません。確認をお願いいたします。"
)


def mail(body: bytes, *, charset: str | None, subject: bytes = b"order") -> bytes:
    ctype = b"text/plain" + (b"; charset=" + charset.encode() if charset else b"")
    return (
        b"From: customer@example.jp\r\nTo: support@madoguchi.localhost\r\n"
        b"Subject: " + subject + b"\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: " + ctype + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    )


@pytest.mark.parametrize(
    ("body", "charset"),
    [
        (JAPANESE.encode("utf-8"), "iso-8859-1"),  # UTF-8 under a Latin-1 label: mojibake
        (JAPANESE.encode("cp932"), None),  # no label at all
        (JAPANESE.encode("cp932"), "utf-8"),  # a label that does not decode
        (JAPANESE.encode("euc_jp"), "us-ascii"),
        (JAPANESE.encode("cp932"), "x-unknown-charset"),
    ],
)
def test_japanese_under_a_wrong_or_missing_label_is_read(body, charset):
    assert parse_mail(mail(body, charset=charset)).body_text == JAPANESE


def test_a_charset_declared_elsewhere_in_the_mail_wins_over_detection():
    text = "您好，我的订单还没有到。"  # short: GB18030 and CP949 both decode it
    raw = mail(text.encode("gb18030"), charset="utf-8", subject=b"=?gb2312?B?tqm1pQ==?=")
    parsed = parse_mail(raw)
    assert parsed.subject == "订单"
    assert parsed.body_text == text


@pytest.mark.parametrize(
    ("text", "codec", "label"),
    [
        ("Grüße aus München, schöne Grüße", "cp1252", "iso-8859-1"),
        ("Привет, как дела? Заказ не пришёл.", "koi8_r", "koi8-r"),
        ("Ceci est très bien, merci beaucoup.", "cp1252", "windows-1252"),
    ],
)
def test_honest_single_byte_labels_are_kept(text, codec, label):
    assert decode_bytes(text.encode(codec), label) == text


def test_cyrillic_without_a_label_is_detected():
    text = "Здравствуйте! Мой заказ до сих пор не пришёл, помогите пожалуйста разобраться."
    assert decode_bytes(text.encode("cp1251"), None) == text


# --- winmail.dat ------------------------------------------------------------------------


def tnef_object(level: int, name: int, kind: int, data: bytes) -> bytes:
    header = struct.pack("<BHHI", level, name, kind, len(data))
    return header + data + struct.pack("<H", sum(data) & 0xFFFF)


def winmail(files: list[tuple[str, bytes]], *, body: bytes = b"") -> bytes:
    """A TNEF stream as Outlook writes it: signature, key, version, then per attachment
    its rendering data, title and data (MS-OXTNEF 2.1.3)."""
    out = struct.pack("<IH", 0x223E9F78, 0x1234)
    out += tnef_object(1, 0x9006, 0x0008, struct.pack("<I", 0x10000))  # attTnefVersion
    out += tnef_object(1, 0x9007, 0x0006, struct.pack("<II", 932, 0))  # attOemCodepage
    if body:
        out += tnef_object(1, 0x800C, 0x0002, body)  # attBody
    for name, data in files:
        out += tnef_object(2, 0x9002, 0x0006, b"\x01\x00" + b"\x00" * 12)  # attAttachRendData
        out += tnef_object(2, 0x8010, 0x0001, name.encode() + b"\x00")  # attAttachTitle
        out += tnef_object(2, 0x800F, 0x0006, data)  # attAttachData
    return out


def outlook_mail(attachment: bytes, *, text: str = "Please see the attached files.") -> bytes:
    import base64

    encoded = base64.encodebytes(attachment)
    return (
        b"From: Outlook User <user@corp.example>\r\nTo: support@madoguchi.localhost\r\n"
        b"Subject: files\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
        b"--XX\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + text.encode() + b"\r\n"
        b'--XX\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="winmail.dat"\r\n\r\n' + encoded + b"--XX--\r\n"
    )


def test_winmail_dat_becomes_the_files_inside():
    pdf = b"%PDF-1.4 quarterly report"
    sheet = b"PK\x03\x04 spreadsheet bytes"
    parsed = parse_mail(outlook_mail(winmail([("report.pdf", pdf), ("figures.xlsx", sheet)])))

    assert [(a.filename, a.content) for a in parsed.attachments] == [
        ("report.pdf", pdf),
        ("figures.xlsx", sheet),
    ]
    assert parsed.attachments[0].content_type == "application/pdf"
    assert parsed.body_text == "Please see the attached files."


def test_body_only_inside_winmail_dat_is_shown():
    raw = outlook_mail(winmail([], body=b"The only copy of the text."), text="")
    parsed = parse_mail(raw)
    assert parsed.body_text == "The only copy of the text."
    assert parsed.attachments == ()


@pytest.mark.parametrize(
    "blob",
    [
        b"\x78\x9f\x3e\x22" + b"\xff" * 40,  # right signature, garbage after
        b"not tnef at all",
        winmail([]),  # a valid stream holding nothing
    ],
)
def test_unreadable_winmail_dat_is_kept_as_it_came(blob):
    parsed = parse_mail(outlook_mail(blob))
    assert [(a.filename, a.content) for a in parsed.attachments] == [("winmail.dat", blob)]
