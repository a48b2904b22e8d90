"""Ticket search follows the customer: merges and renames refresh the tickets' index."""

import pytest

from customers.services import customer_merge, identity_resolve
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory
from tickets import selectors
from tickets.search_index import ticket_search_refresh

pytestmark = pytest.mark.django_db


def test_after_a_merge_the_kept_customers_tickets_are_found_by_the_merged_ones_handle(agent):
    kept = CustomerFactory(name="", email="")
    line_ticket = TicketFactory(
        identity=IdentityFactory(customer=kept, kind="line", handle="U1234abcd")
    )
    ticket_search_refresh(line_ticket)
    merged = CustomerFactory(name="高橋 美咲", email="misaki@example.jp")
    mail_ticket = TicketFactory(identity=IdentityFactory(customer=merged))
    ticket_search_refresh(mail_ticket)
    assert selectors.search_tickets(viewer=agent, query="高橋") == [mail_ticket]

    customer_merge(source=merged, into=kept)

    found = {t.pk for t in selectors.search_tickets(viewer=agent, query="高橋")}
    assert found == {line_ticket.pk, mail_ticket.pk}


def test_a_name_learned_later_makes_earlier_tickets_findable(agent):
    identity = IdentityFactory(
        customer=CustomerFactory(name="", email=""), kind="line", handle="Uabc"
    )
    first = TicketFactory(identity=identity, channel="line")
    ticket_search_refresh(first)
    assert selectors.search_tickets(viewer=agent, query="鈴木") == []

    identity_resolve(kind="line", handle="Uabc", display_name="鈴木 一郎")

    assert selectors.search_tickets(viewer=agent, query="鈴木") == [first]
