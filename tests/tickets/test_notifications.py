"""@mentions in internal notes notify the agent; unread markers on inbox rows."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from tests.factories import MessageFactory, TicketFactory, UserFactory
from tickets import notifications, realtime, services
from tickets.consumers import AgentConsumer
from tickets.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _replies_can_leave(monkeypatch):
    from tickets import outbound

    monkeypatch.setattr(outbound, "can_send", lambda channel: True)
    monkeypatch.setattr(outbound, "send", lambda message: None)


def test_mentions_match_address_local_part_full_address_and_name(agent):
    ken = UserFactory(email="ken@example.com", name="Ken Mori")
    sato = UserFactory(email="hanako@example.com", name="佐藤 花子")
    UserFactory(email="cust@example.com", role="customer")

    found = notifications.mentioned_agents(
        "@ken and @hanako@example.com, also @佐藤花子. Not @cust nor me@example.com nor @nobody"
    )

    assert found == [ken, sato]


def test_a_note_notifies_mentioned_agents_once_but_not_the_author_or_a_reply(agent):
    ken = UserFactory(email="ken@example.com")
    ticket = TicketFactory()
    agent.email = "aiko@example.com"
    agent.save()

    services.reply(
        ticket=ticket, author=agent, body_text="@ken @ken @aiko 見てください", internal=True
    )
    services.reply(ticket=ticket, author=agent, body_text="@ken public", internal=False)

    assert list(Notification.objects.values_list("user__email", flat=True)) == ["ken@example.com"]
    assert notifications.unread_count(ken) == 1
    assert notifications.unread_count(agent) == 0


def test_the_bell_shows_the_count_and_opening_the_ticket_reads_it(client, agent):
    ken = UserFactory(email="ken@example.com")
    ticket = TicketFactory(subject="返品の件")
    services.reply(ticket=ticket, author=agent, body_text="@ken お願いします", internal=True)
    client.force_login(ken)

    inbox = client.get("/agent/").content.decode()
    listing = client.get("/agent/notifications/", HTTP_HX_REQUEST="true").content.decode()
    client.get(f"/agent/tickets/{ticket.pk}/")

    assert "data-bell-count>1</span>" in inbox
    assert "返品の件" in listing and 'data-unread="1"' in listing
    assert notifications.unread_count(ken) == 0


def test_mark_all_read(client):
    ken = UserFactory()
    ticket = TicketFactory()
    Notification.objects.create(user=ken, kind="mention", ticket=ticket)
    other = Notification.objects.create(user=UserFactory(), kind="mention", ticket=ticket)
    client.force_login(ken)

    response = client.post("/agent/notifications/read/")

    assert response.status_code == 302
    assert notifications.unread_count(ken) == 0
    other.refresh_from_db()
    assert other.read_at is None  # only one's own


@pytest.mark.django_db(transaction=True)
def test_a_notification_reaches_only_its_recipients_socket():
    ken, aiko = UserFactory(role="agent"), UserFactory(role="agent")

    @async_to_sync
    async def scenario():
        from asgiref.sync import sync_to_async

        sockets = {}
        for user in (ken, aiko):
            socket = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
            socket.scope["user"] = user
            await socket.connect()
            await socket.receive_json_from()
            sockets[user.pk] = socket
        await sync_to_async(realtime.publish)("notification.created", user=ken.pk, ticket=3)
        await sync_to_async(realtime.publish)("ticket.updated", ticket=3, status="open")
        ken_first = await sockets[ken.pk].receive_json_from(timeout=5)
        aiko_first = await sockets[aiko.pk].receive_json_from(timeout=5)
        for socket in sockets.values():
            await socket.disconnect()
        return ken_first, aiko_first

    ken_first, aiko_first = scenario()
    assert ken_first["type"] == "notification.created"
    assert aiko_first["type"] == "ticket.updated"


def test_rows_are_unread_until_opened_and_again_after_the_customer_writes(agent_client, agent):
    from tests.factories import IdentityFactory
    from tickets.inbound import IncomingMessage

    identity = IdentityFactory(handle="yamada@example.jp", customer__email="yamada@example.jp")
    first = services.receive_message(
        IncomingMessage(
            channel="email",
            identity_kind="email",
            handle=identity.handle,
            subject="届きません",
            body_text="まだです",
            external_id="<u1@example.jp>",
        )
    )
    ticket = first.ticket

    def unread():
        rows = agent_client.get("/agent/?view=all").context["rows"]
        return next(r.unread for r in rows if r.ticket.pk == ticket.pk)

    assert unread() is True
    agent_client.get(f"/agent/tickets/{ticket.pk}/")
    assert unread() is False
    services.receive_message(
        IncomingMessage(
            channel="email",
            identity_kind="email",
            handle=identity.handle,
            subject="Re: 届きません",
            body_text="追記です",
            external_id="<u2@example.jp>",
            replies_to=("<u1@example.jp>",),
        )
    )
    assert unread() is True
    assert 'class="ticket-row is-unread"' in agent_client.get("/agent/?view=all").content.decode()


def test_agent_messages_do_not_make_a_row_unread(agent_client, agent):
    ticket = TicketFactory()
    MessageFactory(ticket=ticket, author_kind="agent", author=UserFactory())

    rows = agent_client.get("/agent/?view=all").context["rows"]

    assert rows[0].unread is False
