"""`python -m tests.faults.lingering_celery <celery arguments>`: a real Celery worker that stops
for a long moment at one chosen point of its N-th task, so a test can SIGKILL it exactly there.

FAULT_LINGER_AT says where:
- `ingest`: after the inbound event's message was written, before its transaction commits;
- `deliver`: with the delivery row locked, before the channel adapter talks to the peer;
- `delivered`: after the peer accepted the message, before the delivery is recorded as sent.
FAULT_LINGER_NTH (1-based) picks the call; FAULT_MARKER is a file the worker writes to when it
has stopped there, which the test waits for before it kills.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

POINT = os.environ.get("FAULT_LINGER_AT", "")
NTH = int(os.environ.get("FAULT_LINGER_NTH", "1"))
MARKER = Path(os.environ.get("FAULT_MARKER", "/dev/null"))
calls = 0


def _maybe_linger(what: str) -> None:
    global calls
    calls += 1
    if calls == NTH:
        MARKER.write_text(what)
        time.sleep(300)  # the test kills us long before this ends


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    from celery.__main__ import main as celery_main

    from channels_in import registry
    from tickets import services as ticket_services

    if POINT == "ingest":
        receive_message = ticket_services.receive_message

        def receive_then_linger(incoming, **kwargs):
            message = receive_message(incoming, **kwargs)
            _maybe_linger(incoming.external_id)
            return message

        ticket_services.receive_message = receive_then_linger
    elif POINT in ("deliver", "delivered"):
        adapter_for = registry.adapter_for

        class Lingering:
            def __init__(self, adapter) -> None:
                self.adapter = adapter

            def __getattr__(self, name):
                return getattr(self.adapter, name)

            def deliver(self, delivery):
                if POINT == "deliver":
                    _maybe_linger(str(delivery.pk))
                provider_id = self.adapter.deliver(delivery)
                if POINT == "delivered":
                    _maybe_linger(str(delivery.pk))
                return provider_id

        registry.adapter_for = lambda kind: Lingering(adapter_for(kind))
    sys.argv = ["celery", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
