"""Chat channels and visitors for the live-chat tests."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from livechat.models import ChatChannel

ORIGIN = "https://shop.example"
SECRET = "shop-server-secret"


@pytest.fixture
def chat_channel(db):
    channel = ChatChannel(
        name="Shop",
        allowed_origins=ORIGIN,
        greeting_ja="ご用件をどうぞ",
        greeting_en="How can we help?",
        ask_name="optional",
        ask_email="optional",
    )
    channel.set_secret(SECRET)
    channel.save()
    return channel


def visitor_socket(origin: str = ORIGIN) -> WebsocketCommunicator:
    """A visitor's socket through the real ASGI routing of helpdesk/asgi.py."""
    from helpdesk.asgi import application

    return WebsocketCommunicator(
        application,
        "/ws/chat/",
        headers=[(b"origin", origin.encode()), (b"user-agent", b"Mozilla/5.0 Chrome/120")],
    )


def hello(channel: ChatChannel, **extra) -> dict:
    return {"v": 1, "type": "hello", "channel": channel.public_key, **extra}
