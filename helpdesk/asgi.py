"""One ASGI app: Django for HTTP, Channels consumers for /ws/agent/ and /ws/chat/."""

import atexit
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
# A web process serves many sockets at once: it borrows database connections from a pool
# (helpdesk/settings.py) instead of opening one per socket frame. DB_POOL=0 turns it off.
os.environ.setdefault("DB_POOL", "1")
django_asgi_app = get_asgi_application()  # set up Django before importing consumers

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.db import connections  # noqa: E402
from django.urls import path  # noqa: E402

from helpdesk.startup import freeze_startup_objects  # noqa: E402
from livechat.consumers import AgentChatConsumer, ChatConsumer  # noqa: E402
from tickets.consumers import AgentConsumer  # noqa: E402


def _close_db_pools() -> None:
    """On a clean exit the pool's connections say goodbye to PostgreSQL at once, instead of
    lingering until their sockets are noticed closed (a test database could not be dropped)."""
    for connection in connections.all(initialized_only=True):
        if connection.alias in getattr(type(connection), "_connection_pools", {}):
            connection.close_pool()


atexit.register(_close_db_pools)
freeze_startup_objects()


def _staff_socket(consumer):
    """Agents' sockets: our own pages only, with the session's user."""
    return AllowedHostsOriginValidator(AuthMiddlewareStack(consumer.as_asgi()))


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [
                path("ws/agent/", _staff_socket(AgentConsumer)),
                path("ws/chat/agent/<int:ticket_id>/", _staff_socket(AgentChatConsumer)),
                # The widget runs on shops' own sites: the consumer checks the Origin against
                # the chat channel's allow-list, and uses no cookies.
                path("ws/chat/", ChatConsumer.as_asgi()),
            ]
        ),
    }
)
