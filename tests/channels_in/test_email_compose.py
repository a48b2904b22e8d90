"""What the customer's mail client receives: the agent's name on the sender, a sanitized HTML
part, only the customer's new words quoted, reply-all to the people they Cc'd, ISO-2022-JP
for Japanese phones when asked, and RFC 3834 headers on automatic mail."""

from __future__ import annotations

import email
import email.policy
import uuid
from email.message import EmailMessage

import pytest
from django.utils import translation

from channels_in import services
from channels_in.mail.compose import build_reply
from tests.factories import IdentityFactory, MessageFactory, TicketFactory
from tickets.models import AuthorKind, Ticket
from tickets.services import reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def receive(django_capture_on_commit_callbacks):
    def receive(raw: bytes):
        with django_capture_on_commit_callbacks(execute=True):
            event, _created = services.record_raw_mail(raw, source="test")
        event.refresh_from_db()
        return event

    return receive


def inbound(*, to: str, cc: str = "", body: str = "注文した本が届きません。") -> bytes:
    message = EmailMessage()
    message["From"] = "山田 太郎 <yamada@example.jp>"
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = "配送について"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.jp>"
    message.set_content(body)
    return message.as_bytes()


def send(ticket, agent, capture, smtp_server, text):
    with capture(execute=True):
        answer = reply(ticket=ticket, author=agent, body_text=text)
    (received,) = smtp_server.wait_for(1)
    return answer, received, received.parsed()


def test_agent_reply_is_text_plus_sanitized_html_from_the_agent_via_support(
    receive, agent, smtp_server, django_capture_on_commit_callbacks
):
    receive(inbound(to="support@madoguchi.localhost"))
    ticket = Ticket.objects.get()
    ticket.customer.language = "en"  # the sender line is in the customer's language
    ticket.customer.save(update_fields=["language"])
    text = (
        "山田様\n\n**本日発送**しました。\n\n- 追跡番号: 1234\n- 配送業者: ヤマト\n\n"
        "詳しくは [こちら](https://shop.example/track/1234) をご覧ください。\n"
        '<script>alert("x")</script><img src=x onerror=alert(1)>'
    )
    _answer, _received, sent = send(
        ticket, agent, django_capture_on_commit_callbacks, smtp_server, text
    )

    assert sent["From"].addresses[0].display_name == "Aiko Agent via Madoguchi Support"
    assert sent["From"].addresses[0].addr_spec == "support@madoguchi.localhost"
    assert sent.get_content_type() == "multipart/alternative"
    plain = sent.get_body(("plain",)).get_content()
    html = sent.get_body(("html",)).get_content()
    assert "**本日発送**しました。" in plain  # the text part is what the agent typed
    assert "<strong>本日発送</strong>" in html
    assert "<li>追跡番号: 1234</li>" in html
    assert 'href="https://shop.example/track/1234"' in html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img" in html  # typed HTML stays visible text
    assert "<blockquote>" in html and "注文した本が届きません。" in html


def test_only_the_customers_new_words_are_quoted(
    receive, agent, smtp_server, django_capture_on_commit_callbacks
):
    body = (
        "まだ届いていません。\n\n2024年5月1日(水) 10:00 窓口 <support@madoguchi.localhost>:\n"
        "> 山田様\n> 発送いたしました。\n"
    )
    receive(inbound(to="support@madoguchi.localhost", body=body))
    ticket = Ticket.objects.get()
    _answer, _received, sent = send(
        ticket, agent, django_capture_on_commit_callbacks, smtp_server, "確認いたします。"
    )
    plain = sent.get_body(("plain",)).get_content()
    assert "> まだ届いていません。" in plain
    assert "発送いたしました" not in plain  # their quote of us is not quoted back


def test_people_the_customer_copied_are_copied_on_the_reply(
    receive, agent, smtp_server, django_capture_on_commit_callbacks, settings
):
    settings.MAIL_OWN_ADDRESSES = ["orders@madoguchi.localhost"]
    receive(
        inbound(
            to="support@madoguchi.localhost, 佐藤 <sato@example.jp>",
            cc="Boss <Boss@Example.jp>, orders@madoguchi.localhost, yamada@example.jp",
        )
    )
    ticket = Ticket.objects.get()
    _answer, received, sent = send(
        ticket, agent, django_capture_on_commit_callbacks, smtp_server, "承知しました。"
    )

    cc = [address.addr_spec.lower() for address in sent["Cc"].addresses]
    assert cc == ["sato@example.jp", "boss@example.jp"]
    assert sorted(a.lower() for a in received.rcpt_tos) == [
        "boss@example.jp",
        "sato@example.jp",
        "yamada@example.jp",
    ]


def test_reply_all_can_be_switched_off(receive, agent, settings):
    settings.MAIL_REPLY_ALL = False
    receive(inbound(to="support@madoguchi.localhost", cc="boss@example.jp"))
    ticket = Ticket.objects.get()
    message = MessageFactory(ticket=ticket, author_kind=AuthorKind.AGENT, author=agent)
    assert build_reply(message, recipient="yamada@example.jp").cc == []


@pytest.mark.parametrize(
    ("mode", "recipient", "language", "text", "charset"),
    [
        ("japanese", "yamada@example.com", "ja", "お調べします。", "iso-2022-jp"),
        ("japanese", "taro@example.co.jp", "en", "お調べします。", "iso-2022-jp"),
        ("japanese", "yamada@example.com", "en", "Checking.", "utf-8"),
        ("japanese", "yamada@example.jp", "ja", "①の件、確認します。", "utf-8"),  # no ① in JIS
        ("japanese", "yamada@example.jp", "ja", "確認します 🙂", "utf-8"),
        ("mobile", "taro@docomo.ne.jp", "ja", "お調べします。", "iso-2022-jp"),
        ("mobile", "taro@example.jp", "ja", "お調べします。", "utf-8"),
        ("off", "taro@docomo.ne.jp", "ja", "お調べします。", "utf-8"),
    ],
)
def test_iso_2022_jp_for_japanese_recipients_when_configured(
    settings, agent, mode, recipient, language, text, charset
):
    settings.MAIL_ISO2022JP = mode
    identity = IdentityFactory(handle=recipient, customer__language=language)
    ticket = TicketFactory(identity=identity, subject="配送について")
    MessageFactory(ticket=ticket, identity=identity, body_text="届きません。")
    answer = MessageFactory(
        ticket=ticket, author_kind=AuthorKind.AGENT, author=agent, body_text=text
    )

    mime = build_reply(answer, recipient=recipient).message()
    parsed = email.message_from_bytes(mime.as_bytes(), policy=email.policy.default)
    plain = parsed.get_body(("plain",))
    assert plain.get_content_charset() == charset
    assert text in plain.get_content()
    assert parsed["Subject"] == f"Re: 配送について [#{ticket.pk}]"
    if charset == "iso-2022-jp":
        assert b"=?iso-2022-jp?" in mime.as_bytes().lower()
        assert all(byte < 0x80 for byte in mime.as_bytes())  # 7-bit all the way


def test_automatic_mail_says_so(agent):
    ticket = TicketFactory()
    MessageFactory(ticket=ticket, body_text="Hello")
    notice = MessageFactory(ticket=ticket, author_kind=AuthorKind.SYSTEM, body_text="Received.")

    mail = build_reply(notice, recipient=ticket.identity.handle)
    assert mail.extra_headers["Auto-Submitted"] == "auto-replied"
    assert mail.extra_headers["X-Auto-Response-Suppress"] == "All"
    assert "via" not in mail.from_email
    human = MessageFactory(ticket=ticket, author_kind=AuthorKind.AGENT, author=agent)
    assert "Auto-Submitted" not in build_reply(human, recipient="x@example.com").extra_headers


def test_sender_name_in_english_for_english_customers(agent):
    identity = IdentityFactory(customer__language="en")
    ticket = TicketFactory(identity=identity)
    answer = MessageFactory(ticket=ticket, author_kind=AuthorKind.AGENT, author=agent)
    with translation.override("ja"):
        mail = build_reply(answer, recipient=identity.handle)
    assert mail.from_email == "Aiko Agent via Madoguchi Support <support@madoguchi.localhost>"
