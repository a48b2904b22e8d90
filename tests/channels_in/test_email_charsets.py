"""Charset handling the stdlib alone gets wrong: each case here broke a real Japanese or
Chinese mail somewhere. No database needed."""

from __future__ import annotations

import pytest

from channels_in.mail.charsets import decode_bytes, decode_iso2022jp, normalize_label
from channels_in.mail.headers import decode_header_text, message_ids, sender_address
from channels_in.mail.html_text import html_to_text
from channels_in.mail.params import parse_params

CP932_ONLY = "①㈱髙"  # NEC row 13, NEC row 13, NEC-selected IBM extension


def jis(text: str) -> bytes:
    """ISO-2022-JP as Outlook writes it: CP932 codes shifted into JIS rows under ESC $ B."""
    out = bytearray()
    for ch in text:
        lead, trail = ch.encode("cp932")
        lead -= 0x40 if lead >= 0xE0 else 0
        row = (lead - 0x81) * 2 + 0x21
        if trail >= 0x9F:
            row, cell = row + 1, trail - 0x7E
        else:
            cell = trail - (0x1F if trail < 0x80 else 0x20)
        out += bytes((row, cell))
    return b"\x1b$B" + bytes(out) + b"\x1b(B"


def test_the_stdlib_codecs_really_fail_on_these():
    data = jis(CP932_ONLY)
    for codec in ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_3"):
        with pytest.raises(UnicodeDecodeError):
            data.decode(codec)


@pytest.mark.parametrize("text", ["①", "㈱", "髙", "株式会社①㈱髙橋です。", "ご注文№"])
def test_iso2022jp_with_cp932_characters(text):
    assert decode_bytes(b"Re: " + jis(text) + b" ok", "ISO-2022-JP") == f"Re: {text} ok"


def test_iso2022jp_half_width_katakana_and_roman():
    data = b"\x1b(I" + bytes(b - 0x80 for b in "ｶﾀｶﾅ".encode("cp932")) + b"\x1b(J abc\x1b(B"
    assert decode_iso2022jp(data) == "ｶﾀｶﾅ abc"


def test_iso2022jp_without_a_declared_charset_is_detected():
    data = jis("お問い合わせ") + b"\r\n" + jis("田中")
    assert decode_bytes(data, None) == "お問い合わせ\r\n田中"
    assert decode_bytes(data, "us-ascii") == "お問い合わせ\r\n田中"


def test_iso2022jp_label_on_shift_jis_bytes():
    assert decode_bytes("ツール".encode("cp932"), "iso-2022-jp") == "ツール"


def test_broken_iso2022jp_degrades_to_replacement_characters():
    text = decode_bytes(b"\x1b$B$3$l\x1b(B \x1b$B\x7f\x7f\x1b(B tail \x1b$Z", "iso-2022-jp")
    assert text.startswith("これ") and text.endswith("tail \ufffd$Z")


def test_shift_jis_label_is_read_as_cp932():
    data = f"{CP932_ONLY}～－".encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        data.decode("shift_jis")
    assert decode_bytes(data, "Shift_JIS") == f"{CP932_ONLY}～－"
    assert decode_bytes(data, "x-sjis") == f"{CP932_ONLY}～－"


def test_gb2312_label_is_read_as_gb18030():
    data = "绩效管理，镕".encode("gbk")  # 镕 is GBK, not GB2312
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb2312")
    assert decode_bytes(data, "GB2312") == "绩效管理，镕"


@pytest.mark.parametrize(
    ("data", "label", "expected"),
    [
        ("日本語".encode(), "x-unknown-charset", "日本語"),
        (b"caf\xe9 \x93quoted\x94", "x-mac-weird", "café “quoted”"),
        (b"caf\xe9", "utf-8", "café"),  # mislabelled: not UTF-8 after all
        (b"\x81\x8d\x8f", "bogus", "\x81\x8d\x8f"),  # undefined in cp1252: latin-1
        ("Привет".encode("koi8-r"), "koi8-r", "Привет"),
        (b"", "iso-2022-jp", ""),
    ],
)
def test_unknown_and_wrong_labels_never_raise(data, label, expected):
    assert decode_bytes(data, label) == expected


def test_labels_map_to_the_supersets():
    assert normalize_label('"SHIFT_JIS"') == "cp932"
    assert normalize_label("gb2312") == "gb18030"
    assert normalize_label("ks_c_5601-1987") == "cp949"
    assert normalize_label("ISO-2022-JP") == "iso-2022-jp"
    assert normalize_label("no-such-charset") == ""


def test_rfc2047_words_in_every_charset_mailers_use():
    assert decode_header_text("=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=") == "こんにちは"
    assert decode_header_text("=?shift_jis?B?h0CHig==?=") == "①㈱"
    assert decode_header_text("=?x-unknown?Q?caf=E9?= au lait") == "café au lait"
    # Adjacent words are joined before decoding: mailers split characters across them.
    assert decode_header_text("=?UTF-8?B?44G+44G/?= =?UTF-8?B?44KA?=") == "まみむ"
    assert decode_header_text("=?UTF-8?B?4w==?= =?UTF-8?B?gZA=?=") == "ぐ"
    assert decode_header_text("=?utf-8?q?broken") == "=?utf-8?q?broken"


def test_raw_8bit_and_jis_headers():
    raw_sjis = "件名".encode("cp932").decode("ascii", "surrogateescape")
    assert decode_header_text(raw_sjis, hints=("shift_jis",)) == "件名"
    raw_jis = jis("件名").decode("ascii")
    assert decode_header_text(raw_jis) == "件名"


def test_sender_addresses():
    assert sender_address('"Müller, Bernd" <b@example.com>') == ("b@example.com", "Müller, Bernd")
    assert sender_address("=?UTF-8?B?5bGx55Sw?= <yamada@example.jp>") == (
        "yamada@example.jp",
        "山田",
    )
    assert sender_address("marc@example.com (Marc Smith)") == ("marc@example.com", "Marc Smith")
    assert sender_address("MAILER-DAEMON (Mail Delivery System) <pm@example.com>") == (
        "pm@example.com",
        "MAILER-DAEMON",
    )
    assert sender_address("MAILER-DAEMON (Mail Delivery System)") == ("", "")
    assert sender_address("") == ("", "")


def test_message_ids_keep_brackets_and_order():
    assert message_ids("<a@x> <b@y>\r\n <c@z>") == ["<a@x>", "<b@y>", "<c@z>"]
    assert message_ids("bare-id@example.com") == ["<bare-id@example.com>"]
    assert message_ids("  ") == []


def test_rfc2231_and_rfc2047_file_names():
    disposition = parse_params(
        "attachment; filename*0*=ISO-2022-JP''%1B%24B%25F%259%25H%1B%28B; filename*1*=.txt"
    )
    assert disposition.value == "attachment"
    assert disposition.get("filename") == "テスト.txt"
    quoted = parse_params('application/pdf; name="=?UTF-8?B?6KuL5rGC5pu4LnBkZg==?="')
    assert quoted.get("name") == "請求書.pdf"
    sjis = parse_params("attachment; filename*=shift_jis''%87%40%8A%94.txt")
    assert sjis.get("filename") == "①株.txt"
    raw = parse_params(
        'attachment; filename="'
        + "見積.xls".encode("gbk").decode("ascii", "surrogateescape")
        + '"',
        hints=("gb2312",),
    )
    assert raw.get("filename") == "見積.xls"


def test_html_to_text_keeps_lines_and_drops_scripts():
    html = (
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<p>Hello&nbsp;<b>world</b></p><script>alert('x')</script>"
        "<div>line 1<br>line 2</div><ul><li>one</li><li>two</li></ul>"
        "<table><tr><td>a</td><td>b</td></tr></table><pre>  kept\n  as is</pre></body></html>"
    )
    assert html_to_text(html) == (
        "Hello world\n\nline 1\nline 2\n- one\n- two\n\na\tb\n\n  kept\n  as is"
    )
    assert "alert" not in html_to_text(html) and "color" not in html_to_text(html)
