"""“My requests”: a customer sees and answers only their own tickets, never internal notes."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api_factories import AgentMessageFactory, AttachmentFactory
from tests.factories import IdentityFactory, MessageFactory, TicketFactory, UserFactory
from tickets.models import AuthorKind, Message, Status

pytestmark = pytest.mark.django_db


def customer_account(email: str, *, verified: bool = True):
    user = UserFactory(role="customer", email=email)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


@pytest.fixture
def mine(db):
    identity = IdentityFactory(handle="hana@example.jp", customer__email="hana@example.jp")
    ticket = TicketFactory(identity=identity, subject="届いた商品が違います", channel="email")
    MessageFactory(ticket=ticket, identity=identity, body_text="注文と違う色が届きました。")
    AgentMessageFactory(ticket=ticket, body_text="ご迷惑をおかけしております。交換いたします。")
    AgentMessageFactory(ticket=ticket, internal=True, body_text="INTERNAL: 在庫を確認中")
    return ticket


@pytest.fixture
def theirs(db):
    identity = IdentityFactory(handle="other@example.com", customer__email="other@example.com")
    ticket = TicketFactory(identity=identity, subject="Someone else's refund")
    MessageFactory(ticket=ticket, identity=identity, body_text="Private details")
    return ticket


@pytest.fixture
def hana(client, mine):
    client.force_login(customer_account("Hana@Example.jp"))
    return client


def test_the_list_shows_only_my_tickets(hana, mine, theirs):
    page = hana.get("/help/ja/requests/").content.decode()

    assert "届いた商品が違います" in page
    assert "Someone else" not in page


def test_the_conversation_shows_public_messages_never_internal_notes(hana, mine):
    page = hana.get(f"/help/ja/requests/{mine.pk}/").content.decode()

    assert "注文と違う色が届きました。" in page and "交換いたします。" in page
    assert "INTERNAL" not in page and "在庫を確認中" not in page


def test_another_customers_ticket_is_404(hana, theirs):
    assert hana.get(f"/help/ja/requests/{theirs.pk}/").status_code == 404
    assert (
        hana.post(
            f"/help/ja/requests/{theirs.pk}/", {"body": "hijack", "reply_token": "t" * 20}
        ).status_code
        == 404
    )
    assert hana.get(f"/help/ja/requests/{theirs.pk}/?file=1").status_code == 404
    assert not Message.objects.filter(body_text="hijack").exists()


def test_an_unverified_address_sees_nothing(client, mine):
    client.force_login(customer_account("hana@example.jp", verified=False))

    page = client.get("/help/en/requests/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Confirm your email address first" in page and "届いた商品" not in page
    assert client.get(f"/help/en/requests/{mine.pk}/").status_code == 404


def test_signing_in_is_required(client, mine):
    response = client.get("/help/ja/requests/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_reply_goes_in_as_the_customers_web_message(
    hana, mine, django_capture_on_commit_callbacks
):
    mine.status = Status.PENDING
    mine.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = hana.post(
            f"/help/ja/requests/{mine.pk}/",
            {
                "body": "色違いでも大丈夫です。",
                "reply_token": "reply-token-0123456789",
                "attachments": SimpleUploadedFile("photo.jpg", b"\xff\xd8\xffjpeg", "image/jpeg"),
            },
        )

    assert response.status_code == 302
    message = mine.messages.order_by("-id").first()
    assert message.body_text == "色違いでも大丈夫です。"
    assert (message.author_kind, message.channel, message.internal) == (
        AuthorKind.CUSTOMER,
        "web",
        False,
    )
    assert message.attachments.get().filename == "photo.jpg"
    mine.refresh_from_db()
    assert mine.status == Status.OPEN  # the customer answered: it needs us again


def test_a_double_submitted_reply_is_filed_once(hana, mine):
    data = {"body": "一度だけ", "reply_token": "same-token-0123456789"}
    hana.post(f"/help/ja/requests/{mine.pk}/", data)
    hana.post(f"/help/ja/requests/{mine.pk}/", data)

    assert mine.messages.filter(body_text="一度だけ").count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"body": "   ", "reply_token": "blank-token-0123456789"},
        {"body": "x" * 20_001, "reply_token": "long-token-0123456789"},
        {"body": "no token"},
    ],
)
def test_bad_replies_are_refused_and_store_nothing(hana, mine, data):
    before = mine.messages.count()
    response = hana.post(f"/help/ja/requests/{mine.pk}/", data)

    assert response.status_code == 400
    assert mine.messages.count() == before


def test_a_closed_request_takes_no_reply(hana, mine):
    mine.status = Status.CLOSED
    mine.save()
    page = hana.get(f"/help/en/requests/{mine.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This request is closed" in page and 'name="body"' not in page

    response = hana.post(
        f"/help/en/requests/{mine.pk}/", {"body": "hello", "reply_token": "c" * 20}
    )
    assert response.status_code == 400 and not mine.messages.filter(body_text="hello").exists()


def test_my_tickets_on_other_channels_are_listed_too(hana, mine):
    line = TicketFactory(
        identity__customer=mine.customer,
        identity__kind="line",
        identity__handle="U123",
        channel="line",
        subject="LINEでの質問",
    )

    page = hana.get("/help/ja/requests/").content.decode()
    assert "LINEでの質問" in page
    assert hana.get(f"/help/ja/requests/{line.pk}/").status_code == 200


def test_attachments_of_public_messages_download_internal_ones_do_not(
    hana, mine, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    public = AttachmentFactory(message=mine.messages.filter(internal=False).first())
    hidden = AttachmentFactory(message=mine.messages.get(internal=True))

    assert hana.get(f"/help/ja/requests/{mine.pk}/?file={public.pk}").status_code == 200
    assert hana.get(f"/help/ja/requests/{mine.pk}/?file={hidden.pk}").status_code == 404


def test_staff_accounts_reach_no_customer_data_through_the_portal(client, mine):
    client.force_login(UserFactory(role="agent", email="agent@example.com"))
    assert client.get(f"/help/ja/requests/{mine.pk}/").status_code == 404
