"""New text, signature and quoted history of a customer's reply (talon and
email-reply-parser corpora, plus the Japanese mailers our customers use)."""

from __future__ import annotations

import pytest

from channels_in.mail.parse import parse_mail
from channels_in.mail.quotes import split_reply
from tests.conftest import CORPUS

TALON = CORPUS / "talon" / "standard_replies"
REPLY_PARSER = CORPUS / "email-reply-parser"


@pytest.mark.parametrize(
    "name",
    sorted(path.stem for path in TALON.glob("*.eml")),
)
def test_talon_standard_replies_show_only_the_new_text(name):
    """talon's own expectation: every one of these mails says "Hello" and quotes the rest
    (its *_reply_text files keep the signature; we fold that away too)."""
    parsed = parse_mail((TALON / f"{name}.eml").read_bytes())
    parts = split_reply(parsed.body_text)

    assert parts.visible.strip() == "Hello"
    assert "Hi" in parts.quoted or "Hi" in parts.hidden
    expected_reply = TALON / f"{name}_reply_text"
    if expected_reply.exists():
        assert expected_reply.read_text().strip().startswith(parts.visible.strip())
        assert parts.signature  # "Sent from my iPhone", "-- \nxxx\nSent with Sparrow"


@pytest.mark.parametrize(
    ("name", "starts", "ends"),
    [
        ("email_1_3.txt", "Oh thanks.", "-Abhishek Kona"),
        ("email_2_1.txt", "Outlook with a reply", "Outlook with a reply"),
        ("email_2_2.txt", "Outlook with a reply directly above line", "above line"),
        ("email_gmail.txt", "This is a test", "github message."),
        ("email_headers_no_delimiter.txt", "And another reply!", "And another reply!"),
        ("email_iPhone.txt", "Here is another email", "Here is another email"),
        ("email_BlackBerry.txt", "Here is another email", "Here is another email"),
        ("email_one_is_not_on.txt", "Thank, this is really helpful.", "when I run..."),
        ("greedy_on.txt", "On your remote host", "the tunnel is not working."),
        ("email_partial_quote_header.txt", "On your remote host", "the tunnel is not working."),
        ("correct_sig.txt", "this is an email", "-- signature."),
    ],
)
def test_email_reply_parser_corpus(name, starts, ends):
    parts = split_reply((REPLY_PARSER / name).read_text())
    assert parts.visible.startswith(starts)
    assert parts.visible.endswith(ends)


@pytest.mark.parametrize("name", ["email_1_5.txt", "email_sent_from_my_not_signature.txt"])
def test_look_alikes_are_never_hidden(name):
    """Bullets and "Sent from my desk, …" are the customer's words."""
    text = (REPLY_PARSER / name).read_text()
    parts = split_reply(text)
    assert parts.visible == text.strip()


def test_inline_answers_stay_with_their_quotes():
    """email_1_2 answers between quotes: those stay; only the unanswered rest and the
    mailing list's footer fold away."""
    text = (REPLY_PARSER / "email_1_2.txt").read_text()
    parts = split_reply(text)
    assert parts.visible.startswith("Hi,\nOn Tue, 2011-03-01 at 18:02 +0530, Abhishek Kona wrote:")
    assert "> What is the best way to clear a Riak bucket" in parts.visible
    assert "You can list the keys for the bucket" in parts.visible
    assert "riak-users mailing list" in parts.quoted


@pytest.mark.parametrize(
    ("text", "visible", "hidden_has"),
    [
        (
            "承知しました。明日発送をお願いします。\n\n"
            "2024年5月1日(水) 10:00 窓口サポート <support@madoguchi.localhost>:\n"
            "> 山田様\n> ご注文ありがとうございます。\n",
            "承知しました。明日発送をお願いします。",
            "ご注文ありがとうございます。",
        ),
        (
            "ありがとうございます。\n\n"
            "-----Original Message-----\n差出人: 窓口 <support@madoguchi.localhost>\n"
            "送信日時: 2024年5月1日 10:00\n宛先: yamada@example.jp\n件名: Re: 注文\n\n"
            "山田様\nお調べいたします。\n",
            "ありがとうございます。",
            "お調べいたします。",
        ),
        (
            "了解です。\n\n差出人: 窓口 <support@madoguchi.localhost>\n"
            "送信日時: 2024年5月1日 10:00\n宛先: yamada@example.jp\n件名: Re: 注文\n\n前の本文\n",
            "了解です。",
            "前の本文",
        ),
        (
            "確認しました。\n\n2024/05/01 10:00 に 窓口 さんは書きました:\n> 前の本文\n",
            "確認しました。",
            "前の本文",
        ),
        (
            "よろしくお願いします。\n\n山田 太郎\n━━━━━━━━━━━━━━━━\n株式会社サンプル 営業部\n"
            "TEL: 03-1234-5678\n━━━━━━━━━━━━━━━━\n",
            "よろしくお願いします。\n\n山田 太郎",
            "TEL: 03-1234-5678",
        ),
        (
            "了解しました。\n\niPhoneから送信\n\n> 前の本文\n",
            "了解しました。",
            "iPhoneから送信",
        ),
        (
            "Thanks!\n\n----- 元のメッセージ -----\nFrom: support@madoguchi.localhost\n前の本文\n",
            "Thanks!",
            "前の本文",
        ),
    ],
)
def test_japanese_mailers(text, visible, hidden_has):
    parts = split_reply(text)
    assert parts.visible == visible
    assert hidden_has in parts.hidden


@pytest.mark.parametrize(
    "text",
    [
        "",
        "> only a quote, nothing new\n> second line",
        "On Mon, Apr 2, 2012 at 6:26 PM, Bob wrote:\n> Hi",
        "Here is what I tried:\n> step one\n> step two",
        "Short mail without anything quoted.",
    ],
)
def test_nothing_new_or_nothing_quoted_shows_everything(text):
    parts = split_reply(text)
    assert parts.visible == text.strip()
    assert parts.hidden == ""


def test_quote_on_top_answer_below_shows_the_answer():
    parts = split_reply("On 04/02/2012 06:26 PM, Megan wrote:\n> Hi\nHello\n")
    assert parts.visible == "Hello"
    assert "> Hi" in parts.quoted
