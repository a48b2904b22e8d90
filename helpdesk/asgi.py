"""One ASGI app: Django for HTTP, Channels consumers for /ws/agent/ and /ws/chat/."""

import atexit
import os
import time

from helpdesk.asgi_handler import get_asgi_application

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

from helpdesk.startup import freeze_startup_objects, shorten_gil_turns  # noqa: E402
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
shorten_gil_turns()


def _run_queue_ms() -> float:
    """How long this process's threads have waited for a CPU while ready to run (Linux
    schedstat): the machine's other work, not ours."""
    total = 0
    try:
        for task in os.scandir("/proc/self/task"):
            with open(f"{task.path}/schedstat") as stat:
                total += int(stat.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return total / 1e6


def _server_timing(app):
    """SERVER_TIMING=1 (bench/load.py sets it): every HTTP answer carries a `Server-Timing`
    header: `app`, the ms from the moment the app got the request to the moment its answer
    started; `inflight`, how many other requests this process was serving when it arrived;
    `cpu`, the process's CPU ms meanwhile, and `runq`, the ms its threads waited for a CPU,
    for a request served alone (nothing else arrived or was in flight: then they are the
    request's own; the rest of `app` waited for PostgreSQL, Redis or the event loop). The load run compares them with the
    client's times: what the server spent, what it waited for, and what was spent around it
    (the event loop, the sockets, the load generator). Off by default: timings are nobody
    else's business."""
    active: set[int] = set()
    crowded: set[int] = set()  # requests that shared the process with another one

    async def timed(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        started, cpu, waited = time.perf_counter(), time.process_time(), _run_queue_ms()
        me = id(scope)
        busy = len(active)
        if active:
            crowded.update(active)
            crowded.add(me)
        active.add(me)

        async def send_timed(message):
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - started) * 1000
                value = f"app;dur={ms:.1f}, inflight;dur={busy}"
                if me not in crowded:
                    value += f", cpu;dur={(time.process_time() - cpu) * 1000:.1f}"
                    value += f", runq;dur={_run_queue_ms() - waited:.1f}"
                headers = [*message.get("headers", ()), (b"server-timing", value.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            return await app(scope, receive, send_timed)
        finally:
            active.discard(me)
            crowded.discard(me)

    return timed


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
if os.environ.get("SERVER_TIMING") == "1":
    application = _server_timing(application)
