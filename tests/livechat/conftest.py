"""Chat channels and visitors for the live-chat tests."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from livechat.models import ChatChannel

ORIGIN = "https://shop.example"
SECRET = "shop-server-secret"


@pytest.fixture(autouse=True)
def agents_online(monkeypatch):
    """An agent is online unless a test says otherwise (`team_offline`): with nobody online
    the widget turns chats into email conversations."""
    monkeypatch.setattr("livechat.availability.presence.agents_online", lambda **kw: [1])


@pytest.fixture
def list_layer(settings):
    """The list-based Redis channel layer (CHANNEL_LAYER=core) instead of pub/sub."""
    from channels.layers import channel_layers

    hosts = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": hosts, "prefix": "madoguchi-test", "capacity": 1000},
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def team_offline(monkeypatch):
    monkeypatch.setattr("livechat.availability.presence.agents_online", lambda **kw: [])


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
