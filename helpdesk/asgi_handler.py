"""Django's ASGI handler, with the request's middleware and view run in one thread hop.

Django's own ASGIHandler builds the middleware chain in async mode. Our chain is almost all
sync (Django's MiddlewareMixin classes, WhiteNoise, our own), and every view is a sync view, so
one request went loop → thread (the sync middleware) → loop (async_to_sync back into the async
middleware: messages, X-Frame-Options, htmx, allauth) → thread (the view) → loop: three hops,
each a future, a context copy and a thread wake-up; with the GIL shared by the other requests
of the process, each wake-up is also a wait for a turn. Measured on the 1M bench data
(var/h-base/prof.py, anonymous /healthz through the whole ASGI app): ~2.7–4.2 ms of CPU
against 0.5 ms for the same middleware and view through the sync handler.

Here the chain is built in sync mode (as under WSGI) and the whole of it, middleware and view,
runs in ONE `sync_to_async` call per request. Everything else (reading the body, the request
signals, sending, closing, disconnect handling, streaming responses) is Django's own code. An
async view, should one appear, still works: the sync chain calls it through async_to_sync.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class OneHopASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        # thread_sensitive: the per-request ThreadSensitiveContext of ASGIHandler.__call__
        # gives each request its own thread, as Django's own sync views get.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def get_asgi_application() -> OneHopASGIHandler:
    """django.core.asgi.get_asgi_application with the one-hop handler."""
    import django

    django.setup(set_prefix=False)
    return OneHopASGIHandler()
