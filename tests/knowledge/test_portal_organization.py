"""“My requests” for an organization that shares requests: colleagues' tickets are readable,
only the requester replies; without sharing (the default) nothing of a colleague shows."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from customers.models import Organization
from tests.api_factories import AttachmentFactory
from tests.factories import (
    CustomerFactory,
    IdentityFactory,
    MessageFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Message

pytestmark = pytest.mark.django_db


def customer_account(email: str):
    user = UserFactory(role="customer", email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def ticket_of(email: str, subject: str, organization=None, name=""):
    customer = CustomerFactory(email=email, name=name, organization=organization)
    identity = IdentityFactory(handle=email, customer=customer)
    ticket = TicketFactory(identity=identity, customer=customer, subject=subject, channel="email")
    MessageFactory(ticket=ticket, identity=identity, body_text=f"Body of {subject}")
    return ticket


@pytest.fixture
def acme():
    return Organization.objects.create(name="Acme", domain="acme.example", shared_requests=True)


@pytest.fixture
def tickets(acme):
    return {
        "mine": ticket_of("aiko@acme.example", "My printer", acme, "Aiko"),
        "colleague": ticket_of("ben@acme.example", "Ben's invoice", acme, "Ben Sato"),
        "stranger": ticket_of("zed@other.example", "Zed's refund"),
    }


def test_members_see_their_colleagues_requests_marked_as_theirs(tickets):
    page = customer_account("aiko@acme.example").get("/help/en/requests/").content.decode()

    assert "My printer" in page and "Ben&#x27;s invoice" in page
    assert "From Ben Sato" in page and "Zed" not in page
    assert "Your organization shares its requests" in page


def test_a_colleagues_request_is_read_only(tickets):
    aiko = customer_account("aiko@acme.example")
    colleague = tickets["colleague"]

    page = aiko.get(f"/help/en/requests/{colleague.pk}/").content.decode()
    reply = aiko.post(
        f"/help/en/requests/{colleague.pk}/",
        {"body": "Me too!", "reply_token": "tok-0123456789abcdef-org"},
    )

    assert "Body of Ben&#x27;s invoice" in page and "only Ben Sato can reply" in page
    assert 'name="body"' not in page
    assert reply.status_code == 400
    assert not Message.objects.filter(body_text="Me too!").exists()


def test_attachments_of_a_colleagues_request_can_be_opened(tickets):
    message = tickets["colleague"].messages.get()
    attachment = AttachmentFactory(message=message)

    response = customer_account("aiko@acme.example").get(
        f"/help/en/requests/{tickets['colleague'].pk}/?file={attachment.pk}"
    )

    assert response.status_code == 200


def test_own_requests_can_still_be_answered(tickets):
    aiko = customer_account("aiko@acme.example")

    reply = aiko.post(
        f"/help/en/requests/{tickets['mine'].pk}/",
        {"body": "Still broken", "reply_token": "tok-0123456789abcdef-own"},
    )

    assert reply.status_code == 302
    assert Message.objects.filter(ticket=tickets["mine"], body_text="Still broken").exists()


def test_without_sharing_colleagues_requests_stay_private(tickets, acme):
    acme.shared_requests = False
    acme.save()
    aiko = customer_account("aiko@acme.example")

    page = aiko.get("/help/en/requests/").content.decode()

    assert "My printer" in page and "invoice" not in page
    assert aiko.get(f"/help/en/requests/{tickets['colleague'].pk}/").status_code == 404


def test_other_organizations_and_strangers_stay_out(tickets):
    zed = customer_account("zed@other.example")

    assert zed.get(f"/help/en/requests/{tickets['colleague'].pk}/").status_code == 404
    assert "Ben" not in zed.get("/help/en/requests/").content.decode()


def test_managers_turn_sharing_on_and_off_agents_cannot(acme):
    manager = Client(HTTP_ACCEPT_LANGUAGE="en")
    manager.force_login(UserFactory(role="manager"))
    agent = Client()
    agent.force_login(UserFactory(role="agent"))
    url = f"/agent/customers/organizations/{acme.pk}/sharing/"

    assert agent.post(url, {"shared": "off"}).status_code == 403
    acme.refresh_from_db()
    assert acme.shared_requests is True

    assert manager.post(url, {"shared": "off"}).status_code == 302
    acme.refresh_from_db()
    assert acme.shared_requests is False
    page = manager.get(f"/agent/customers/organizations/{acme.pk}/").content.decode()
    assert "Share requests with all members" in page
    manager.post(url, {"shared": "on"})
    acme.refresh_from_db()
    assert acme.shared_requests is True
