"""Where an ingested mail's time goes: `bench/mail_ingest.py --phases`.

Wraps the steps of the batched path with timers (wall and this process's CPU) and times each
`ticket_changed` receiver on its own, so parsing, the database writes of the receive path and
the other apps' receivers (SLA, automations, followers …) can be told apart. A receiver's
nested events (an automation that updates the ticket) count towards that receiver. The
timers cost a few microseconds per batch and per event; numbers, never assertions.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections import defaultdict


class Phases:
    def __init__(self, backend=None) -> None:
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        self.depth = 0
        # The PostgreSQL backend's CPU (`_Backend` of mail_ingest.py): in clock ticks, so one
        # step's share is only right summed over many batches.
        self.backend_cpu = (lambda: backend.cpu_seconds() or 0.0) if backend else (lambda: 0.0)

    @contextlib.contextmanager
    def timing(self, name: str):
        wall, cpu, pg = time.perf_counter(), time.process_time(), self.backend_cpu()
        try:
            yield
        finally:
            self.totals[name][0] += time.perf_counter() - wall
            self.totals[name][1] += time.process_time() - cpu
            self.totals[name][2] += self.backend_cpu() - pg

    def wrap(self, owner, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            with self.timing(name):
                return original(*args, **kwargs)

        setattr(owner, attribute, timed)

    def install(self) -> None:
        from channels_in import inbound_batch
        from channels_in.adapters.email import EmailAdapter
        from tickets import realtime, receive_bulk, search_queue
        from tickets.signals import ticket_changed

        self.wrap(inbound_batch, "mail_key", "0 raw mail keys (Message-ID)")
        self.wrap(inbound_batch, "_insert_new", "1 store raw mails")
        self.wrap(inbound_batch, "_process_together", "9 the whole batch transaction, 2-5 incl.")
        self.wrap(EmailAdapter, "parse_many", "2 parse and screen")
        self.wrap(receive_bulk, "receive_batch", "3 file set-wise")
        self.wrap(inbound_batch, "_save_outcomes", "5 event outcomes")
        self.wrap(realtime, "_send_all", "6 live publish (after commit)")
        self.wrap(search_queue, "_mark_all", "7 search marks (after commit)")
        original = ticket_changed.send

        def send(sender, **named):
            receivers, async_receivers = ticket_changed._live_receivers(sender)
            if async_receivers or self.depth:  # nested: counted by the outer receiver
                return original(sender, **named)
            responses = []
            self.depth += 1
            try:
                for receiver in receivers:
                    name = f"4 receiver {receiver.__module__}.{receiver.__name__}"
                    with self.timing(name):
                        response = receiver(signal=ticket_changed, sender=sender, **named)
                    responses.append((receiver, response))
            finally:
                self.depth -= 1
            return responses

        ticket_changed.send = send

    def report(self, mails: int) -> dict[str, dict[str, float]]:
        """{step: {"wall_ms", "cpu_ms"}} per mail; "3 file set-wise" without the receivers."""
        totals = {name: list(values) for name, values in self.totals.items()}
        filing = totals.get("3 file set-wise")
        if filing:
            for name, (wall, cpu, pg) in totals.items():
                if name.startswith("4 receiver"):
                    filing[0] -= wall
                    filing[1] -= cpu
                    filing[2] -= pg
            totals["3 file set-wise (without receivers)"] = totals.pop("3 file set-wise")
        return {
            name: {
                "wall_ms": round(wall * 1000 / mails, 2),
                "cpu_ms": round(cpu * 1000 / mails, 2),
                "pg_cpu_ms": round(pg * 1000 / mails, 2),
            }
            for name, (wall, cpu, pg) in sorted(totals.items())
        }
