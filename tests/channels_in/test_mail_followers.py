"""Followers: the people a customer's mail was copied to follow the ticket, are copied on
every public reply (and the delivery row says so), and agents see and change the list on
the ticket page."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest
from django.urls import reverse
from django.utils import timezone

from channels_in import services
from channels_in.models import InboundEvent, OutboundDelivery
from customers.models import Identity
from tests.factories import IdentityFactory, TicketFactory, UserFactory
from tests.tickets.page import ticket_page_html
from tickets.models import Team, Ticket, TicketFollower
from tickets.services import post_system_message, reply

pytestmark = pytest.mark.django_db

SUPPORT = "support@madoguchi.localhost"


@pytest.fixture
def receive(django_capture_on_commit_callbacks):
    def receive(raw: bytes) -> InboundEvent:
        with django_capture_on_commit_callbacks(execute=True):
            event, _created = services.record_raw_mail(raw, source="test")
        event.refresh_from_db()
        return event

    return receive


def mail(
    *,
    sender: str = "山田 太郎 <yamada@example.jp>",
    to: str = SUPPORT,
    cc: str = "",
    subject: str = "請求書について",
    in_reply_to: str = "",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.jp>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content("請求書の宛名を変更してください。")
    return message.as_bytes()


def follower_handles(ticket: Ticket) -> list[str]:
    return [f.identity.handle for f in ticket.followers.select_related("identity")]


def test_people_on_to_and_cc_follow_the_ticket_but_never_us_or_the_requester(receive, settings):
    settings.MAIL_OWN_ADDRESSES = ["orders@madoguchi.localhost"]
    receive(
        mail(
            to=f"Support <{SUPPORT.upper()}>, 経理 佐藤 <Sato@Example.jp>",
            cc=(
                "=?UTF-8?B?6YOo6ZW3IOmItOacqA==?= <suzuki@example.jp>, "
                "orders@madoguchi.localhost, YAMADA@example.jp, sato@example.jp, "
                "undisclosed-recipients:;, not-an-address, <@broken>"
            ),
        )
    )
    ticket = Ticket.objects.get()

    assert follower_handles(ticket) == ["sato@example.jp", "suzuki@example.jp"]
    followers = list(ticket.followers.select_related("identity__customer"))
    assert {f.source for f in followers} == {"cc"}
    assert followers[1].identity.display_name == "部長 鈴木"
    assert followers[0].identity.customer.name == "経理 佐藤"
    assert followers[0].identity.customer_id != ticket.customer_id  # a customer of their own
    assert not Identity.objects.filter(handle__in=[SUPPORT, "orders@madoguchi.localhost"]).exists()


def test_a_reply_all_threads_without_duplicates_or_the_requester(receive, agent, settings):
    first = receive(mail(cc="sato@example.jp, suzuki@example.jp"))
    ticket = Ticket.objects.get()
    original_id = first.message.external_id

    # Sato answers everyone: the requester is now on Cc, Sato is the sender.
    receive(
        mail(
            sender="sato@example.jp",
            to=SUPPORT,
            cc="yamada@example.jp, suzuki@example.jp, tanaka@example.jp",
            subject="Re: 請求書について",
            in_reply_to=original_id,
        )
    )

    assert Ticket.objects.count() == 1
    assert follower_handles(ticket) == ["sato@example.jp", "suzuki@example.jp", "tanaka@example.jp"]
    assert TicketFollower.objects.count() == 3


def test_replaying_the_mail_adds_no_one_twice(receive):
    event = receive(mail(cc="sato@example.jp"))
    services.process_inbound(event.pk)
    event.status = "failed"
    event.save(update_fields=["status"])
    services.retry_failed_event(event.pk)

    assert TicketFollower.objects.count() == 1


def test_cc_is_not_followed_when_reply_all_is_off(receive, settings):
    settings.MAIL_REPLY_ALL = False
    receive(mail(cc="sato@example.jp"))
    assert TicketFollower.objects.count() == 0


def test_a_blocked_person_on_cc_is_not_copied(receive):
    IdentityFactory(handle="spam@example.jp", customer__blocked_at=timezone.now())
    receive(mail(cc="spam@example.jp, sato@example.jp"))
    assert follower_handles(Ticket.objects.get()) == ["sato@example.jp"]


def test_agent_replies_cc_every_follower_and_the_delivery_records_them(
    receive, agent, smtp_server, django_capture_on_commit_callbacks
):
    receive(mail(cc="経理 佐藤 <sato@example.jp>"))
    ticket = Ticket.objects.get()
    added = IdentityFactory(handle="boss@example.com", display_name="Boss", customer__name="Boss")
    TicketFollower.objects.create(ticket=ticket, identity=added, source="agent", added_by=agent)

    with django_capture_on_commit_callbacks(execute=True):
        answer = reply(ticket=ticket, author=agent, body_text="変更いたしました。")
    (received,) = smtp_server.wait_for(1)

    delivery = OutboundDelivery.objects.get(message=answer)
    assert delivery.status == "sent"
    assert delivery.recipient == "yamada@example.jp"
    assert delivery.cc == ["経理 佐藤 <sato@example.jp>", "Boss <boss@example.com>"]
    sent = received.parsed()
    assert [a.addr_spec for a in sent["Cc"].addresses] == ["sato@example.jp", "boss@example.com"]
    assert sent["Cc"].addresses[0].display_name == "経理 佐藤"
    assert sorted(received.rcpt_tos) == ["boss@example.com", "sato@example.jp", "yamada@example.jp"]


def test_a_follower_removed_after_the_reply_was_queued_still_gets_what_the_row_says(
    receive, agent, smtp_server, django_capture_on_commit_callbacks
):
    """The row is the record: what was sent is what it says, even if the list changed."""
    receive(mail(cc="sato@example.jp"))
    ticket = Ticket.objects.get()
    answer = reply(ticket=ticket, author=agent, body_text="Done.")  # queued, not yet sent
    TicketFollower.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.deliver(answer.delivery.pk)
    (received,) = smtp_server.wait_for(1)
    assert [a.addr_spec for a in received.parsed()["Cc"].addresses] == ["sato@example.jp"]


def test_automatic_mail_goes_to_the_requester_alone(receive, agent):
    receive(mail(cc="sato@example.jp"))
    ticket = Ticket.objects.get()
    notice = post_system_message(ticket=ticket, body_text="お問い合わせを受け付けました。")
    assert OutboundDelivery.objects.get(message=notice).cc == []


# --- the panel ----------------------------------------------------------------------------


@pytest.fixture
def ticket_with_follower(agent):
    ticket = TicketFactory(channel="email")
    identity = IdentityFactory(
        handle="sato@example.jp", display_name="<b>Sato</b>", customer__name="Sato"
    )
    follower = TicketFollower.objects.create(ticket=ticket, identity=identity, source="cc")
    return ticket, follower


def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_the_ticket_page_shows_followers_escaped_with_add_and_remove(
    agent_client, ticket_with_follower
):
    ticket, follower = ticket_with_follower
    html = ticket_page_html(english(agent_client), ticket.pk)

    assert 'id="followers-panel"' in html
    assert "sato@example.jp" in html
    assert "&lt;b&gt;Sato&lt;/b&gt;" in html and "<b>Sato</b>" not in html
    assert "Cc&#x27;d by the customer" in html or "Cc'd by the customer" in html
    assert reverse("agent_settings:ticket_follower_add", args=[ticket.pk]) in html
    assert reverse("agent_settings:ticket_follower_remove", args=[ticket.pk, follower.pk]) in html


def test_light_agents_see_the_list_masked_and_cannot_change_it(client, ticket_with_follower):
    ticket, follower = ticket_with_follower
    client.force_login(UserFactory(role="light_agent"))
    html = ticket_page_html(english(client), ticket.pk)
    assert 'id="followers-panel"' in html
    assert "sato@example.jp" not in html  # contact details are masked for light agents
    assert reverse("agent_settings:ticket_follower_add", args=[ticket.pk]) not in html

    add = client.post(
        reverse("agent_settings:ticket_follower_add", args=[ticket.pk]), {"address": "x@y.jp"}
    )
    remove = client.post(
        reverse("agent_settings:ticket_follower_remove", args=[ticket.pk, follower.pk])
    )
    assert add.status_code == remove.status_code == 403
    assert TicketFollower.objects.count() == 1


def test_no_panel_on_channels_that_do_not_answer_by_mail(agent_client):
    ticket = TicketFactory(channel="line", identity__kind="line", identity__handle="U123")
    html = ticket_page_html(agent_client, ticket.pk)
    assert 'id="followers-panel"' not in html


def test_an_agent_adds_a_follower_who_is_then_copied(agent_client, agent, ticket_with_follower):
    ticket, _follower = ticket_with_follower
    url = reverse("agent_settings:ticket_follower_add", args=[ticket.pk])
    response = english(agent_client).post(
        url, {"address": " Tanaka@Example.COM ", "name": "田中"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("tickets:detail", args=[ticket.pk])
    assert "tanaka@example.com will be copied on replies." in response.content.decode()
    added = TicketFollower.objects.get(identity__handle="tanaka@example.com")
    assert (added.source, added.added_by, added.identity.display_name) == ("agent", agent, "田中")
    assert added.identity.customer.name == "田中"


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("not an address", "Enter a valid email address."),
        ("a" * 250 + "@example.jp", "Ensure this value has at most 254 characters"),
        ("", "This field is required."),
        (SUPPORT, "That is one of our own addresses."),
        ("sato@example.jp", "sato@example.jp already follows this ticket."),
        ("REQUESTER", "That is the requester: they receive every reply already."),
    ],
)
def test_bad_additions_are_refused_with_a_reason_in_the_panel(
    agent_client, ticket_with_follower, address, error
):
    ticket, _follower = ticket_with_follower
    if address == "REQUESTER":
        address = ticket.identity.handle.upper()
    response = english(agent_client).post(
        reverse("agent_settings:ticket_follower_add", args=[ticket.pk]),
        {"address": address},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<link") and 'id="followers-panel"' in html
    assert error in html.replace("&#x27;", "'")
    assert '<details class="followers__add" open>' in html
    assert TicketFollower.objects.count() == 1


def test_htmx_add_and_remove_swap_the_panel(agent_client, ticket_with_follower):
    ticket, follower = ticket_with_follower
    added = agent_client.post(
        reverse("agent_settings:ticket_follower_add", args=[ticket.pk]),
        {"address": "tanaka@example.com"},
        HTTP_HX_REQUEST="true",
    )
    assert 'data-followers="2"' in added.content.decode()
    removed = agent_client.post(
        reverse("agent_settings:ticket_follower_remove", args=[ticket.pk, follower.pk]),
        HTTP_HX_REQUEST="true",
    )
    assert 'data-followers="1"' in removed.content.decode()
    assert follower_handles(ticket) == ["tanaka@example.com"]
    again = agent_client.post(
        reverse("agent_settings:ticket_follower_remove", args=[ticket.pk, follower.pk])
    )
    assert again.status_code == 302  # already gone: told so on the ticket page, nothing breaks


def test_followers_of_a_ticket_the_agent_cannot_see_are_not_theirs_to_change(
    client, settings, ticket_with_follower
):
    settings.TICKET_VISIBILITY = "team"
    ticket, follower = ticket_with_follower
    ticket.team = Team.objects.create(name="Billing")
    ticket.save(update_fields=["team"])
    client.force_login(UserFactory(role="agent"))

    add = client.post(
        reverse("agent_settings:ticket_follower_add", args=[ticket.pk]), {"address": "x@y.jp"}
    )
    remove = client.post(
        reverse("agent_settings:ticket_follower_remove", args=[ticket.pk, follower.pk])
    )
    other = TicketFactory(channel="email")
    elsewhere = client.post(
        reverse("agent_settings:ticket_follower_remove", args=[other.pk, follower.pk])
    )
    assert add.status_code == remove.status_code == 404
    assert elsewhere.status_code == 302  # a follower id of another ticket removes nothing
    assert TicketFollower.objects.count() == 1


def test_get_is_not_allowed(agent_client, ticket_with_follower):
    ticket, _follower = ticket_with_follower
    response = agent_client.get(reverse("agent_settings:ticket_follower_add", args=[ticket.pk]))
    assert response.status_code == 405


def test_mails_parsed_together_then_filed_each_bring_their_own_people():
    """However the ingest path batches its work, Cc's never cross from one mail to another."""
    from channels_in.registry import adapter_for
    from tickets.services import receive_message

    first = InboundEvent.objects.create(
        kind="email", idempotency_key="a", payload=mail(cc="sato@example.jp")
    )
    second = InboundEvent.objects.create(
        kind="email",
        idempotency_key="b",
        payload=mail(sender="tanaka@example.com", cc="suzuki@example.jp", subject="別件"),
    )
    adapter = adapter_for("email")
    parsed = [adapter.parse(first)[0], adapter.parse(second)[0]]
    for incoming in reversed(parsed):
        receive_message(incoming)

    by_requester = {t.identity.handle: follower_handles(t) for t in Ticket.objects.all()}
    assert by_requester == {
        "yamada@example.jp": ["sato@example.jp"],
        "tanaka@example.com": ["suzuki@example.jp"],
    }
