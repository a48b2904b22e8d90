"""factory_boy factories shared by every test module."""

from __future__ import annotations

import factory

from customers.models import Customer, Identity
from helpdesk.models import User
from tickets.models import AuthorKind, Message, Ticket

STAFF_PASSWORD = "correct horse battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    name = factory.Sequence(lambda n: f"Staff {n}")
    role = "agent"
    password = factory.PostGenerationMethodCall("set_password", STAFF_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


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
