"""The ticket page shows who the customer is: pinned notes, orders; contacts masked by role."""

import pytest
from django.utils import timezone

from customers.orders import ItemValues, OrderValues, order_upsert
from customers.services import customer_note_add
from tests.factories import MessageFactory, UserFactory
from tests.tickets.page import sidebar_url, ticket_page_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    message = MessageFactory(body_text="届きません")
    customer = message.ticket.customer
    customer.email, customer.phone = "yamada@example.jp", "09012345678"
    customer.save()
    customer_note_add(customer=customer, author=None, body="11/20 にお詫び済み", pinned=True)
    customer_note_add(customer=customer, author=None, body="not pinned")
    order_upsert(
        customer=customer,
        source="shop",
        values=OrderValues(
            external_id="10482",
            number="#10482",
            ordered_at=timezone.now(),
            total=5800,
            tracking_number="4912-3456-7890",
            items=[ItemValues(name="マグカップ", quantity=2)],
        ),
    )
    return message.ticket


def test_agents_see_pinned_notes_orders_and_contacts(client, ticket):
    client.force_login(UserFactory(role="agent"))

    page = ticket_page_html(client, ticket.pk)

    assert "11/20 にお詫び済み" in page
    assert "not pinned" not in page
    assert "#10482" in page and "マグカップ × 2" in page and "4912-3456-7890" in page
    assert "yamada@example.jp" in page and "09012345678" in page


def test_light_agents_see_masked_contacts_on_the_ticket(client, ticket):
    client.force_login(UserFactory(role="light_agent"))

    page = ticket_page_html(client, ticket.pk)

    assert "yamada@example.jp" not in page
    assert "09012345678" not in page
    assert "y•••@example.jp" in page
    assert "11/20 にお詫び済み" in page  # notes are for every staff member


def test_the_panel_costs_a_fixed_number_of_queries(client, ticket, django_assert_max_num_queries):
    client.force_login(UserFactory(role="agent"))
    # The first view writes the access-audit row (then once per 10 minutes): compare the
    # repeat views, which only read.
    ticket_page_html(client, ticket.pk)
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    side = sidebar_url(page)
    with django_assert_max_num_queries(35) as first:
        client.get(side)
    for n in range(10):
        order_upsert(
            customer=ticket.customer,
            source="shop",
            values=OrderValues(
                external_id=f"x{n}",
                number=f"x{n}",
                ordered_at=timezone.now(),
                items=[ItemValues(name="Cup")],
            ),
        )
    with django_assert_max_num_queries(35) as second:
        client.get(side)
    assert len(first.captured_queries) == len(second.captured_queries)


def test_the_page_itself_leaves_the_customer_panels_to_the_sidebar(client, ticket):
    """The page answers without the orders and panels; its loader names the sidebar URL."""
    client.force_login(UserFactory(role="agent"))

    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()

    assert "#10482" not in page and "11/20 にお詫び済み" not in page
    assert sidebar_url(page) == f"/agent/tickets/{ticket.pk}/sidebar/"
    assert "yamada@example.jp" in page  # the customer card stays on the page


def test_light_agents_see_masked_contacts_in_the_inbox(client, ticket):
    nameless = MessageFactory(ticket__customer__name="", ticket__identity__handle="kim@example.com")
    nameless.ticket.customer.email = "kim@example.com"
    nameless.ticket.customer.save()
    client.force_login(UserFactory(role="light_agent"))

    page = client.get("/agent/?view=all").content.decode()

    assert "yamada@example.jp" not in page and "y•••@example.jp" in page
    assert "kim@example.com" not in page and "k•••@example.com" in page
