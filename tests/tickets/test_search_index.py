"""Ticket.search_vector: what goes in, the services that keep it fresh, the backfill command."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import IdentityFactory, MessageFactory, TicketFactory
from tickets import services
from tickets.inbound import IncomingMessage
from tickets.models import Ticket
from tickets.search_index import MESSAGE_TEXT_LIMIT, ticket_search_refresh

pytestmark = pytest.mark.django_db


def lexemes(ticket: Ticket) -> dict[str, str]:
    """{lexeme: weights} of the stored vector, e.g. {"返品": "A", …}."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme, weights FROM tickets_ticket, unnest(search_vector) "
            "WHERE tickets_ticket.id = %s",
            [ticket.pk],
        )
        return {lexeme: "".join(sorted(set(weights))) for lexeme, weights in cursor.fetchall()}


def incoming(**fields) -> IncomingMessage:
    defaults = {
        "channel": "email",
        "identity_kind": "email",
        "handle": "yamada@example.jp",
        "display_name": "山田 太郎",
        "subject": "返品について",
        "body_text": "サイズが合わないので返品したいです。",
        "external_id": "<search-1@example.jp>",
    }
    return IncomingMessage(**{**defaults, **fields})


def test_receive_message_indexes_subject_customer_and_body_with_weights():
    ticket = services.receive_message(incoming()).ticket

    found = lexemes(ticket)
    assert found["返品"] == "AC"  # subject and body
    assert "A" in found[str(ticket.pk)]  # its number
    assert found["山田"] == "B" and found["yamadaexamplejp"] == "B"
    assert "サイズ" in found and found["サイズ"] == "C"


def test_a_second_message_is_indexed_too(agent):
    ticket = services.receive_message(incoming()).ticket
    services.receive_message(
        incoming(
            external_id="<search-2@example.jp>",
            replies_to=("<search-1@example.jp>",),
            body_text="追加で配送先も変更したいです。",
        )
    )
    assert "配送" in lexemes(ticket)


def test_replies_and_internal_notes_are_indexed(agent):
    ticket = services.receive_message(incoming()).ticket
    services.reply(ticket=ticket, author=agent, body_text="社内メモ：倉庫に確認中", internal=True)
    assert "倉庫" in lexemes(ticket)


def test_tag_changes_are_indexed(agent):
    ticket = services.receive_message(incoming()).ticket
    services.update_ticket(ticket=ticket, actor=agent, tags=["VIP-customer"])
    found = lexemes(ticket)
    assert found["vipcustomer"] == "B"  # whole (as typed, lower-cased) …
    assert found["custom"] == "B"  # … and its stemmed parts


def test_refreshing_keeps_updated_at_and_ticket_saves_keep_the_vector(agent):
    ticket = services.receive_message(incoming()).ticket
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=long_ago)

    ticket_search_refresh(ticket)
    assert Ticket.objects.get(pk=ticket.pk).updated_at == long_ago

    # A ticket loaded and saved elsewhere never writes back a stale or empty vector.
    loaded = Ticket.objects.get(pk=ticket.pk)
    loaded.priority = "high"
    loaded.save()
    assert "返品" in lexemes(ticket)


def test_message_text_is_capped_newest_first():
    ticket = TicketFactory(subject="cap")
    MessageFactory(ticket=ticket, body_text="oldestword " + "x " * MESSAGE_TEXT_LIMIT)
    MessageFactory(ticket=ticket, body_text="newestword")
    ticket_search_refresh(ticket)
    found = lexemes(ticket)
    assert "newestword" in found
    assert "oldestword" in found  # the head of the older message still fits
    MessageFactory(ticket=ticket, body_text="y " * MESSAGE_TEXT_LIMIT)
    ticket_search_refresh(ticket)
    assert "oldestword" not in lexemes(ticket)  # pushed out by newer text


def test_refresh_runs_three_queries(django_assert_num_queries):
    ticket = TicketFactory(identity=IdentityFactory())
    for n in range(5):
        MessageFactory(ticket=ticket, body_text=f"message {n}")
    with django_assert_num_queries(3):
        ticket_search_refresh(ticket)


def test_reindex_tickets_backfills(capsys):
    tickets = TicketFactory.create_batch(3, subject="未索引のチケット")
    Ticket.objects.update(search_vector=None)

    call_command("reindex_tickets", "--missing", "--batch-size", "2")

    assert "Reindexed 3 tickets" in capsys.readouterr().out
    assert all("索引" in lexemes(ticket) for ticket in tickets)
    assert not Ticket.objects.filter(search_vector__isnull=True).exists()
