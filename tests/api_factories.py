"""Factories and clients for the REST API tests (the shared ones live in tests/factories.py)."""

from __future__ import annotations

import factory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from channels_in.models import OutboundDelivery
from helpdesk.models import User
from tests.factories import MessageFactory
from tickets.models import Attachment, AuthorKind, Team


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class AgentMessageFactory(MessageFactory):
    author_kind = AuthorKind.AGENT
    body_text = "Thanks, we are on it."


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attachment

    message = factory.SubFactory(MessageFactory)
    token = factory.Sequence(lambda n: f"{n:032x}")
    filename = "invoice.pdf"
    content_type = "application/pdf"
    file = factory.django.FileField(data=b"%PDF-1.4 test", filename="ignored")
    size = 13


class OutboundDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboundDelivery

    message = factory.SubFactory(AgentMessageFactory)
    kind = "email"
    recipient = "customer@example.net"


def token_client(user: User) -> APIClient:
    """A client that authenticates like a script: `Authorization: Token <key>`."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")  # the default language is Japanese
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def session_client(user: User) -> APIClient:
    """A client signed in like the browser (session cookie)."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client
