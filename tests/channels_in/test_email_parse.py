"""EmailAdapter.parse on real mail from the shared corpus and on mails built to break it."""

from __future__ import annotations

import base64
import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from django.utils import translation

from channels_in.adapters.email import EmailAdapter, MalformedMail
from channels_in.mail.parse import message_id_of, parse_mail
from channels_in.models import InboundEvent
from tests.channels_in.test_email_charsets import jis


@pytest.fixture(autouse=True)
def _english():
    """Reasons are asserted in English; the deployment default here is Japanese."""
    with translation.override("en"):
        yield


def parse_file(corpus, relative: str):
    return parse_mail((corpus / relative).read_bytes())


def mail(headers: str, body: bytes = b"Hello\r\n") -> bytes:
    return headers.strip().replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- Japanese -------------------------------------------------------------------------------


def test_utf8_japanese(corpus):
    parsed = parse_file(corpus, "ruby-mail-emails/multi_charset/japanese.eml")
    assert parsed.subject == "まみむめも"
    assert parsed.handle == "raasdnil@gmail.com"
    assert parsed.display_name == "Mikel Lindsaar"
    assert parsed.body_text.startswith("かきくえこ\n\n-- \nhttp://lindsaar.net/")


def test_iso2022jp_body(corpus):
    parsed = parse_file(corpus, "ruby-mail-emails/multi_charset/japanese_iso_2022.eml")
    assert parsed.body_text == "すみません。"


def test_shift_jis_body(corpus):
    parsed = parse_file(corpus, "ruby-mail-emails/multi_charset/japanese_shift_jis.eml")
    assert parsed.body_text == (
        "あいうえお\n\nこのメールはテスト用のメールです。\n\n今後ともよろしくお願い申し上げます！"
    )
    assert parsed.external_id == "<xxxxx@docomo.ne.jp>"


def test_japanese_attachment_names(corpus):
    short = parse_file(corpus, "ruby-mail-emails/multi_charset/japanese_attachment.eml")
    assert [(a.filename, a.content_type) for a in short.attachments] == [
        ("てすと.txt", "text/plain")
    ]
    assert short.attachments[0].content.decode() == "this is a test\nこれわてすと"
    assert short.body_text.startswith("testing")  # the attachment is not part of the body
    long = parse_file(corpus, "ruby-mail-emails/multi_charset/japanese_attachment_long_name.eml")
    assert long.subject == "まみむめも" * 10
    assert [a.filename for a in long.attachments] == ["かきくけこ" * 5 + ".txt"]


def test_korean_label(corpus):
    parsed = parse_file(corpus, "ruby-mail-emails/multi_charset/ks_c_5601-1987.eml")
    assert parsed.body_text == "스티해"


def test_zammad_iso2022jp_without_charset(corpus):
    """Outlook's "Content-Type: text/plain;" with JIS text and no charset at all."""
    parsed = parse_file(corpus, "zammad-mail/mail116-iso2022jp-reconstructed.box")
    assert (
        parsed.body_text == "これはテストメールです。\nお問い合わせありがとうございます。\n\n田中"
    )
    assert parsed.subject == "Test inquiry"
    assert parsed.handle == "info@example.com"
    assert parsed.sent_at == datetime(2026, 5, 20, 8, 0, tzinfo=UTC)


def test_zammad_circled_digit_in_iso2022jp(corpus):
    parsed = parse_file(corpus, "zammad-mail/mail099.box")
    assert "①１都３県の鯵と、" in parsed.body_text
    assert "\ufffd" not in parsed.body_text


def test_zammad_shift_jis_under_iso2022jp_label(corpus):
    parsed = parse_file(corpus, "zammad-mail/mail093.box")
    assert parsed.subject == "ツール"  # raw Shift_JIS bytes in the header
    assert parsed.display_name == "ツール EXAMPLE"  # Shift_JIS inside an ISO-2022-JP word
    assert "先着100施設限定" in parsed.body_text


def test_outlook_iso2022jp_with_cp932_everywhere():
    """Subject, sender name, body and file name all carry ①, ㈱ and 髙."""
    raw = mail(
        f"""
From: =?ISO-2022-JP?B?{b64(jis("㈱髙橋商事"))}?= <info@takahashi.example.jp>
To: support@example.com
Subject: =?ISO-2022-JP?B?{b64(jis("ご注文①の件"))}?=
Message-ID: <outlook-1@takahashi.example.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"
""",
        b"--b\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n"
        + jis("㈱髙橋商事の髙橋です。")
        + b"\r\n"
        + jis("①の件です。")
        + b"\r\n"
        b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
        b' filename="=?ISO-2022-JP?B?' + b64(jis("①見積書")).encode() + b'?=.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n",
    )
    parsed = parse_mail(raw)
    assert parsed.display_name == "㈱髙橋商事"
    assert parsed.subject == "ご注文①の件"
    assert parsed.body_text == "㈱髙橋商事の髙橋です。\n①の件です。"
    assert [(a.filename, a.content) for a in parsed.attachments] == [("①見積書.pdf", b"%PDF-")]


def test_shift_jis_label_with_cp932_characters():
    raw = mail(
        "From: a@example.jp\nSubject: test\nContent-Type: text/plain; charset=Shift_JIS\n"
        "Content-Transfer-Encoding: 8bit",
        "①番の件、㈱髙島屋様より～".encode("cp932"),
    )
    assert parse_mail(raw).body_text == "①番の件、㈱髙島屋様より～"


def test_undeclared_iso2022jp_message():
    raw = mail("From: a@example.jp\nSubject: x", jis("お問い合わせ") + b"\r\n")
    assert parse_mail(raw).body_text == "お問い合わせ"


def test_gb2312_label_with_gbk_text():
    raw = mail(
        "From: =?GB2312?B?" + b64("镕基".encode("gbk")) + "?= <c@example.cn>\n"
        "Subject: x\nContent-Type: text/plain; charset=gb2312\nContent-Transfer-Encoding: 8bit",
        "朱镕基".encode("gbk"),
    )
    parsed = parse_mail(raw)
    assert parsed.body_text == "朱镕基"
    assert parsed.display_name == "镕基"


def test_unknown_charset_name():
    raw = mail(
        "From: a@example.com\nSubject: =?x-no-such?Q?caf=C3=A9?=\n"
        "Content-Type: text/plain; charset=x-no-such\nContent-Transfer-Encoding: 8bit",
        "naïve café".encode(),
    )
    parsed = parse_mail(raw)
    assert parsed.subject == "café"
    assert parsed.body_text == "naïve café"


# --- HTML -----------------------------------------------------------------------------------


def test_html_only_mail_gets_a_text_body(corpus):
    parsed = parse_file(corpus, "zammad-mail/mail091.box")
    assert parsed.body_text == "このアドレスへのメルマガを解除してください。"
    assert parsed.body_html.lstrip().startswith("<html>")


def test_html_body_text_drops_scripts_and_styles():
    html = (
        "<html><head><style>.x{color:red}</style><script>steal()</script></head>"
        "<body><p>ご注文ありがとうございます。</p><p>明細:<br>1. 本<br>2. ペン</p></body></html>"
    )
    raw = mail(
        "From: shop@example.jp\nSubject: x\nContent-Type: text/html; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit",
        html.encode(),
    )
    parsed = parse_mail(raw)
    assert parsed.body_text == "ご注文ありがとうございます。\n\n明細:\n1. 本\n2. ペン"
    assert parsed.body_html == html  # raw here: receive_message sanitizes what it stores


def test_alternative_prefers_plain_text_and_keeps_html(corpus):
    parsed = parse_file(corpus, "zammad-mail/mail010.box")
    assert parsed.body_text.startswith("Herzliche Grüße aus Oberalteich")
    assert "<html" in parsed.body_html
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("image001.jpg", "image/jpeg")
    ]
    assert parsed.attachments[0].content.startswith(b"\xff\xd8")  # the inline image's JPEG


def test_empty_plain_part_falls_back_to_the_html(corpus):
    parsed = parse_file(corpus, "zammad-mail/mail034.box")
    assert parsed.body_text.strip()
    assert "<" not in parsed.body_text


# --- attachments ----------------------------------------------------------------------------


def test_forwarded_message_is_kept_as_eml(corpus):
    parsed = parse_file(corpus, "ruby-mail-emails/attachment_emails/attachment_message_rfc822.eml")
    (attached,) = parsed.attachments
    assert attached.filename == "ForwardedMessage.eml"
    assert attached.content_type == "message/rfc822"
    inner = email.message_from_bytes(attached.content, policy=email.policy.default)
    assert inner["Subject"]


def test_inline_image_and_attached_mail(corpus):
    parsed = parse_file(
        corpus, "ruby-mail-emails/attachment_emails/attachment_message_rfc822_inline_image.eml"
    )
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("img.png", "image/png"),
        ("Testmail.eml", "message/rfc822"),
    ]
    assert parsed.attachments[0].content.startswith(b"\x89PNG")


def test_bounce_keeps_the_returned_mail_named_by_its_subject(corpus):
    parsed = parse_file(corpus, "zammad-mail/mail014.box")
    assert [a.filename for a in parsed.attachments] == [
        "Neue Anfrage erstellt - 33284.eml",
        "Call: HW-Anforderung; Best-nr.47524152.eml",
    ]


def test_attached_mail_with_non_ascii_body_is_kept_byte_for_byte():
    """`as_string()` fails on 8-bit bodies; the .eml must still come out whole."""
    inner = "From: x@example.jp\r\nSubject: 8bit\r\n\r\n日本語の本文 ①\r\n".encode("cp932")
    raw = mail(
        'From: a@example.com\nSubject: fwd\nContent-Type: multipart/mixed; boundary="b"',
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + inner
        + b"--b--\r\n",
    )
    parsed = parse_mail(raw)
    (attached,) = parsed.attachments
    assert attached.filename == "8bit.eml"
    assert "日本語の本文 ①".encode("cp932") in attached.content


def test_rfc2231_japanese_file_name():
    raw = mail(
        'From: a@example.jp\nSubject: x\nContent-Type: multipart/mixed; boundary="b"',
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n--b\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment;\r\n"
        b" filename*0*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8;\r\n filename*1*=%5F%E2%91%A0.xlsx\r\n"
        b"\r\nAAAA\r\n--b--\r\n",
    )
    assert [a.filename for a in parse_mail(raw).attachments] == ["請求書_①.xlsx"]


# --- threading and identity -----------------------------------------------------------------


def test_ids_threading_hint_and_date():
    raw = mail(
        """
From: "Yamada, Taro" <Taro@Example.JP>
Subject: Re: 配送について [#42]
Message-ID: <new-1@example.jp>
In-Reply-To: <ours-2@madoguchi.localhost>
References: <first@example.jp>
 <ours-2@madoguchi.localhost> <first@example.jp>
Date: Tue, 3 Jun 2025 10:00:00 +0900
"""
    )
    parsed = parse_mail(raw)
    assert parsed.channel == "email" and parsed.identity_kind == "email"
    assert (parsed.handle, parsed.display_name) == ("Taro@Example.JP", "Yamada, Taro")
    assert parsed.external_id == "<new-1@example.jp>"
    assert parsed.replies_to == ("<first@example.jp>", "<ours-2@madoguchi.localhost>")
    assert parsed.ticket_hint == 42
    assert parsed.sent_at == datetime(2025, 6, 3, 1, 0, tzinfo=UTC)
    assert message_id_of(raw) == "<new-1@example.jp>"


def test_unparseable_date_is_left_out(corpus):
    parsed = parse_file(corpus, "ruby-mail-emails/error_emails/bad_date_header.eml")
    assert parsed.sent_at is None


@pytest.mark.parametrize("header", ["Reply-To", "Sender", "Return-Path"])
def test_sender_falls_back_when_from_has_no_address(header):
    raw = mail(f"From: Mail Delivery System\n{header}: <real@example.com>\nSubject: x")
    assert parse_mail(raw).handle == "real@example.com"


def test_second_from_header_with_an_address_wins(corpus):
    parsed = parse_file(corpus, "zammad-mail/mail017.box")
    assert (parsed.handle, parsed.display_name) == ("ghgbwum@185.com.cn", "都琹")


def test_damaged_header_block_is_repaired(corpus):
    """A base64 blob folded without indentation ends the headers early in the stdlib."""
    parsed = parse_file(corpus, "zammad-mail/mail054.box")
    assert parsed.subject == "AW: One Net Business"
    assert parsed.display_name == "Smith, Karoline, Example DE"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"  \r\n", "empty"),
        (b"<html><body>not a mail</body></html>\n", "no header lines"),
        (b"Subject: no sender\r\n\r\nbody", "no sender address"),
        (b"From: Someone Without Address\r\nSubject: x\r\n\r\nbody", "no sender address"),
    ],
)
def test_unusable_mail_raises_malformed_mail(raw, reason):
    with pytest.raises(MalformedMail, match=reason):
        parse_mail(raw)


@pytest.mark.django_db  # the adapter also screens for loops (own addresses)
def test_adapter_parses_the_stored_event():
    raw = mail("From: a@example.com\nSubject: hi\nMessage-ID: <e1@example.com>")
    event = InboundEvent(kind="email", idempotency_key="<e1@example.com>", payload=memoryview(raw))
    (parsed,) = EmailAdapter().parse(event)
    assert parsed.external_id == "<e1@example.com>"
    assert parsed.body_text == "Hello"


def test_python_generated_iso2022jp_mail():
    """What `EmailMessage.set_content(..., charset="iso-2022-jp")` sends (the e2e test does)."""
    message = EmailMessage()
    message["From"] = "山田 太郎 <yamada@example.jp>"
    message["Subject"] = "Re: 配送 [#7]"
    message.set_content("ありがとうございます。", charset="iso-2022-jp")
    parsed = parse_mail(message.as_bytes())
    assert (parsed.display_name, parsed.subject, parsed.body_text) == (
        "山田 太郎",
        "Re: 配送 [#7]",
        "ありがとうございます。",
    )
    assert parsed.ticket_hint == 7


@pytest.mark.parametrize("depth", [60, 5000])
def test_absurd_nesting_is_refused_or_flattened_not_a_crash(depth):
    parts = b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
        for i in range(depth)
    )
    raw = mail(
        "From: a@example.com\nSubject: deep\nContent-Type: multipart/mixed; boundary=b0",
        parts + b"--b%d\r\nContent-Type: text/plain\r\n\r\nhi\r\n" % depth,
    )
    try:
        parsed = parse_mail(raw)
    except MalformedMail as exc:
        assert "nested too deeply" in str(exc)
    else:
        assert parsed.handle == "a@example.com"


@pytest.mark.parametrize("label", ["undefined", "base64", "zlib", "idna", "unicode_escape"])
def test_codec_names_that_are_not_charsets(label):
    raw = mail(
        f"From: a@example.com\nSubject: =?{label}?B?/w==?=\nContent-Type: text/plain; charset={label}",
        b"caf\xe9 \xff\xfe\x00",
    )
    parsed = parse_mail(raw)
    assert parsed.body_text.startswith("caf")
    assert "\x00" not in parsed.body_text


def test_eight_bit_junk_in_ids_and_content_ids():
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nMessage-ID: <caf\xe9@example.com>\r\n"
        b"References: <r\xe9f@example.com>\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b\r\n"
        b"Content-Type: image/png\r\nContent-ID: <\xe7a.png@x>\r\n\r\npng\r\n--b--\r\n"
    )
    parsed = parse_mail(raw)
    assert parsed.external_id == "<café@example.com>"
    assert parsed.replies_to == ("<réf@example.com>",)
    assert parsed.attachments[0].filename == "ça.png"
