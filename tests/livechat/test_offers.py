"""Chat offers: a waiting chat is offered to one available agent at a time; accept assigns
it, decline or silence passes it on; the record is there for managers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from livechat import offers, services, tasks
from livechat.models import ChatOffer, OfferStatus
from tests.factories import UserFactory
from tickets import services as ticket_services
from tickets.models import Team

from .conftest import ORIGIN

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(monkeypatch):
    """Every realtime event the inbox sockets would get, in order."""
    events: list[dict] = []
    monkeypatch.setattr("tickets.realtime._send", events.append)
    return events


@pytest.fixture
def online(monkeypatch):
    """Set who is online: `online(a, b)`."""

    def set_online(*users):
        ids = sorted(user.pk for user in users)
        monkeypatch.setattr("tickets.presence.agents_online", lambda **kw: ids)

    return set_online


def new_chat(channel, text="配送について教えてください", client_id="c1"):
    visitor = services.open_session(channel_key=channel.public_key, origin=ORIGIN).visitor
    message, _ = services.record_visitor_message(visitor, client_id=client_id, text=text)
    return visitor, message.ticket


def offer_events(events, kind="chat.offer"):
    return [e for e in events if e["type"] == kind]


def test_a_new_chat_is_offered_to_one_online_agent_only(chat_channel, online, published):
    alice, bob = UserFactory(name="Alice"), UserFactory(name="Bob")
    online(alice, bob)
    _visitor, ticket = new_chat(chat_channel)
    offer = ChatOffer.objects.get(ticket=ticket)
    assert offer.status == OfferStatus.PENDING
    assert offer.agent in (alice, bob)
    assert offer.expires_at - offer.offered_at == timedelta(seconds=30)
    [event] = offer_events(published)
    assert event["user"] == offer.agent.pk  # only the agent offered sees it
    assert event["ticket"] == ticket.pk
    assert event["preview"] == "配送について教えてください"
    assert event["accept_url"].endswith(f"/agent/chat/offers/{offer.pk}/accept/")


def test_accepting_assigns_the_chat_and_tells_the_visitor(chat_channel, online, published):
    alice = UserFactory(name="Alice")
    online(alice)
    _visitor, ticket = new_chat(chat_channel)
    offer = ChatOffer.objects.get(ticket=ticket, agent=alice)
    offers.accept_offer(offer_id=offer.pk, agent=alice)
    ticket.refresh_from_db()
    offer.refresh_from_db()
    assert ticket.assignee == alice
    assert offer.status == OfferStatus.ACCEPTED and offer.answered_at is not None
    closed = offer_events(published, "chat.offer.closed")
    assert closed[-1] == {
        "v": 1,
        "type": "chat.offer.closed",
        "user": alice.pk,
        "offer": offer.pk,
        "ticket": ticket.pk,
        "outcome": "accepted",
    }


def test_decline_passes_the_chat_to_the_next_agent(chat_channel, online, published):
    alice, bob = UserFactory(name="Alice"), UserFactory(name="Bob")
    online(alice, bob)
    _visitor, ticket = new_chat(chat_channel)
    first = ChatOffer.objects.get(ticket=ticket)
    other = bob if first.agent == alice else alice
    offers.decline_offer(offer_id=first.pk, agent=first.agent)
    first.refresh_from_db()
    assert first.status == OfferStatus.DECLINED
    second = ChatOffer.objects.get(ticket=ticket, status=OfferStatus.PENDING)
    assert second.agent == other
    # Nobody is left who was not asked: the chat waits in "Chats waiting".
    offers.decline_offer(offer_id=second.pk, agent=other)
    assert not ChatOffer.objects.filter(ticket=ticket, status=OfferStatus.PENDING).exists()
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_no_answer_within_the_timeout_goes_to_the_next_agent(chat_channel, online, published):
    chat_channel.offer_timeout = 15
    chat_channel.save()
    alice, bob = UserFactory(name="Alice"), UserFactory(name="Bob")
    online(alice, bob)
    _visitor, ticket = new_chat(chat_channel)
    first = ChatOffer.objects.get(ticket=ticket)
    assert first.expires_at - first.offered_at == timedelta(seconds=15)
    # The timer task running early (or twice) changes nothing.
    tasks.expire_chat_offer(first.pk)
    first.refresh_from_db()
    assert first.status == OfferStatus.PENDING
    # The beat sweep after the timeout expires it and offers the chat to the other agent.
    result = offers.sweep(now=timezone.now() + timedelta(seconds=16))
    assert result["expired"] == 1
    first.refresh_from_db()
    assert first.status == OfferStatus.EXPIRED
    second = ChatOffer.objects.get(ticket=ticket, status=OfferStatus.PENDING)
    assert second.agent != first.agent
    assert offer_events(published, "chat.offer.closed")[-1]["outcome"] == "expired"
    # Accepting the expired offer afterwards is refused; the chat stays with the next agent.
    with pytest.raises(offers.OfferGone) as refused:
        offers.accept_offer(offer_id=first.pk, agent=first.agent)
    assert refused.value.code == "offer_gone"


def test_accept_after_the_deadline_is_refused_even_before_the_timer(chat_channel, online):
    alice, bob = UserFactory(name="Alice"), UserFactory(name="Bob")
    online(alice, bob)
    _visitor, ticket = new_chat(chat_channel)
    first = ChatOffer.objects.get(ticket=ticket)
    late = timezone.now() + timedelta(seconds=31)
    with pytest.raises(offers.OfferGone) as refused:
        offers.accept_offer(offer_id=first.pk, agent=first.agent, now=late)
    assert refused.value.code == "offer_expired"
    first.refresh_from_db()
    assert first.status == OfferStatus.EXPIRED
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ChatOffer.objects.get(ticket=ticket, status=OfferStatus.PENDING).agent != first.agent


def test_expiring_twice_makes_one_next_offer(chat_channel, online):
    alice, bob, carol = (UserFactory(name=n) for n in ("Alice", "Bob", "Carol"))
    online(alice, bob, carol)
    _visitor, ticket = new_chat(chat_channel)
    first = ChatOffer.objects.get(ticket=ticket)
    later = timezone.now() + timedelta(minutes=1)
    assert offers.expire_offer(first.pk, now=later)
    assert not offers.expire_offer(first.pk, now=later)
    assert offers.offer_next(ticket.pk) is None  # one stands already
    assert ChatOffer.objects.filter(ticket=ticket, status=OfferStatus.PENDING).count() == 1
    assert ChatOffer.objects.filter(ticket=ticket).count() == 2


def test_agents_at_capacity_or_offline_or_light_are_not_offered(chat_channel, online):
    busy, light, free = UserFactory(name="Busy"), UserFactory(role="light_agent"), UserFactory()
    online(busy, light, free)
    for n in range(3):  # the default chat capacity is 3 open chats
        _v, held = new_chat(chat_channel, client_id=f"held{n}")
        ChatOffer.objects.filter(ticket=held).delete()
        ticket_services.update_ticket(ticket=held, actor=busy, assignee=busy)
    _visitor, ticket = new_chat(chat_channel, client_id="new")
    assert [o.agent for o in ChatOffer.objects.filter(ticket=ticket)] == [free]


def test_the_sweep_waits_while_every_online_agent_is_full(chat_channel, online, monkeypatch):
    busy = UserFactory(name="Busy")
    online(busy)
    held = []
    for n in range(3):  # the default chat capacity is 3 open chats
        _v, ticket = new_chat(chat_channel, client_id=f"held{n}")
        ChatOffer.objects.filter(ticket=ticket).delete()
        ticket_services.update_ticket(ticket=ticket, actor=busy, assignee=busy)
        held.append(ticket)
    _visitor, waiting = new_chat(chat_channel, client_id="new")
    assert not ChatOffer.objects.filter(ticket=waiting).exists()
    tried = []
    offer_next = offers.offer_next
    monkeypatch.setattr(offers, "offer_next", lambda pk, **kw: tried.append(pk))
    assert offers.sweep()["offered"] == 0
    assert tried == []  # nobody has room: no chat is tried one by one
    monkeypatch.setattr(offers, "offer_next", offer_next)
    ticket_services.update_ticket(ticket=held[0], actor=busy, status="solved")
    assert offers.sweep()["offered"] == 1  # room again: the waiting chat is offered
    assert ChatOffer.objects.get(ticket=waiting).agent == busy


def test_team_chats_go_to_team_members(chat_channel, online):
    team = Team.objects.create(name="Returns")
    member, outsider = UserFactory(name="Member"), UserFactory(name="Outsider")
    member.teams.add(team)
    online(member, outsider)
    visitor, ticket = new_chat(chat_channel)
    ChatOffer.objects.filter(ticket=ticket).delete()
    ticket.team = team
    ticket.save(update_fields=["team"])
    assert offers.offer_next(ticket.pk).agent == member


def test_picking_the_chat_withdraws_the_offer(chat_channel, online, published):
    alice, bob = UserFactory(name="Alice"), UserFactory(name="Bob")
    online(alice)
    _visitor, ticket = new_chat(chat_channel)
    offer = ChatOffer.objects.get(ticket=ticket, agent=alice)
    ticket_services.update_ticket(ticket=ticket, actor=bob, assignee=bob)  # from Chats waiting
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN and offer.note == "assigned"
    assert offer_events(published, "chat.offer.closed")[-1]["outcome"] == "withdrawn"
    with pytest.raises(offers.OfferGone):
        offers.accept_offer(offer_id=offer.pk, agent=alice)


def test_nobody_online_then_the_sweep_offers_when_someone_comes(chat_channel, online, monkeypatch):
    alice = UserFactory(name="Alice")
    online()
    # Everyone just stepped away: the widget still counts as open (no email needed).
    monkeypatch.setattr(
        "livechat.messages.team_availability", lambda: {"online": True, "back_at": None}
    )
    _visitor, ticket = new_chat(chat_channel)
    assert not ChatOffer.objects.exists()
    online(alice)
    assert offers.sweep()["offered"] == 1
    assert ChatOffer.objects.get(ticket=ticket).agent == alice
    assert offers.sweep()["offered"] == 0  # idempotent: the offer stands


def test_an_ended_chat_is_not_offered_and_its_offer_is_withdrawn(chat_channel, online):
    from livechat import ending

    alice = UserFactory(name="Alice")
    online(alice)
    visitor, ticket = new_chat(chat_channel)
    offer = ChatOffer.objects.get(ticket=ticket)
    ending.visitor_ends(visitor)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert offers.sweep()["offered"] == 0


# --- HTTP: the agent's buttons and the manager's record ---------------------------------------


def test_agent_accepts_and_declines_over_http(client, chat_channel, online):
    alice, bob = UserFactory(name="Alice"), UserFactory(name="Bob")
    online(alice, bob)
    _visitor, ticket = new_chat(chat_channel)
    offer = ChatOffer.objects.get(ticket=ticket)
    other = bob if offer.agent == alice else alice
    client.force_login(other)
    # Someone else's offer: not found, nothing changes.
    response = client.post(f"/agent/chat/offers/{offer.pk}/accept/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_offer"
    client.force_login(offer.agent)
    listing = client.get("/agent/chat/offers/").json()
    assert [o["offer"] for o in listing["offers"]] == [offer.pk]
    assert listing["labels"]["accept"] and listing["csrf"]
    assert client.get(f"/agent/chat/offers/{offer.pk}/accept/").status_code == 405
    response = client.post(f"/agent/chat/offers/{offer.pk}/decline/")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    again = client.post(f"/agent/chat/offers/{offer.pk}/decline/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "offer_gone"
    nxt = ChatOffer.objects.get(ticket=ticket, status=OfferStatus.PENDING)
    client.force_login(nxt.agent)
    accepted = client.post(f"/agent/chat/offers/{nxt.pk}/accept/")
    assert accepted.status_code == 200
    assert accepted.json() == {"ticket": ticket.pk, "url": f"/agent/tickets/{ticket.pk}/"}
    assert client.post("/agent/chat/offers/999999/accept/").status_code == 404


def test_offer_endpoints_need_staff(client, chat_channel):
    assert client.post("/agent/chat/offers/1/accept/").status_code == 302  # to the login page
    assert client.get("/agent/chat/offers/").status_code == 302


def test_managers_see_the_offer_record(client, chat_channel, online):
    alice, bob = UserFactory(name="Alice"), UserFactory(name="Bob")
    online(alice, bob)
    _visitor, ticket = new_chat(chat_channel)
    first = ChatOffer.objects.get(ticket=ticket)
    offers.decline_offer(offer_id=first.pk, agent=first.agent)
    client.force_login(UserFactory(role="manager"))
    page = client.get("/agent/settings/chat/offers/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Declined" in html and "Waiting for an answer" in html
    assert first.agent.display_name in html
    summary = page.context["summary"]
    assert {row["agent"] for row in summary} == {alice, bob}
    filtered = client.get("/agent/settings/chat/offers/?status=declined&days=1&agent=x")
    assert [o.status for o in filtered.context["page"].object_list] == ["declined"]
    # "¹".isdigit() is true but int("¹") raises: a digit check that let it through was a 500.
    superscript = client.get("/agent/settings/chat/offers/?agent=¹")
    assert superscript.status_code == 200
    client.force_login(UserFactory(role="agent"))
    assert client.get("/agent/settings/chat/offers/").status_code == 403


def test_the_offer_timeout_is_set_per_channel_within_bounds(client, chat_channel):
    client.force_login(UserFactory(role="admin"))
    url = f"/agent/settings/chat/{chat_channel.pk}/"
    base = {
        "name": "Shop",
        "brand_color": "#2563eb",
        "position": "right",
        "ask_name": "optional",
        "ask_email": "optional",
        "allowed_origins": ORIGIN,
        "active": "on",
        "bot_enabled": "on",
    }
    assert client.post(url, {**base, "offer_timeout": "5"}).status_code == 400
    assert client.post(url, {**base, "offer_timeout": "abc"}).status_code == 400
    assert client.post(url, {**base, "offer_timeout": "45"}).status_code == 302
    chat_channel.refresh_from_db()
    assert chat_channel.offer_timeout == 45 and chat_channel.bot_enabled
