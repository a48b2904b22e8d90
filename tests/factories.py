"""factory_boy factories shared by every test module."""

from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password

from customers.models import Customer, Identity
from helpdesk.models import User
from tickets.models import AuthorKind, Message, Ticket

STAFF_PASSWORD = "correct horse battery"
# Hashed once: PBKDF2 takes a few hundred milliseconds a user, and tests make thousands.
# A real hash, so the live servers of the browser tests verify it like any other.
STAFF_PASSWORD_HASH = make_password(STAFF_PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    name = factory.Sequence(lambda n: f"Staff {n}")
    role = "agent"
    password = STAFF_PASSWORD_HASH


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.net")


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    customer = factory.SubFactory(CustomerFactory)
    kind = "email"
    handle = factory.SelfAttribute("customer.email")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    subject = factory.Sequence(lambda n: f"Question {n}")
    channel = "email"
    identity = factory.SubFactory(IdentityFactory)
    customer = factory.SelfAttribute("identity.customer")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    author_kind = AuthorKind.CUSTOMER
    channel = factory.SelfAttribute("ticket.channel")
    body_text = "Hello, I have a question."
