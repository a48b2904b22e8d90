"""Admin configuration read once per worker snapshot (seconds), not once per inbound message.

Every inbound message asks the same questions of rarely-changed configuration: the SLA
policies and business calendars, the routing rules, products and automations, our own mail
addresses. Answering them from the database costs more queries (and ORM time) than storing the
message itself. While a worker processes inbound events, `inbound_snapshot()` keeps the
answers (`remembered`) for up to `MAX_AGE_SECONDS`, and drops them at once when any process
commits a change to that configuration: every write to a model of the watched apps (other than
the per-ticket ones listed in PER_TICKET_MODELS) bumps a generation number in Redis after
commit, and a snapshot whose generation moved is thrown away before the next event.

Only where the event is processed outside any transaction (a worker's task): inside a caller's
transaction (tests, `replay_inbound` in a shell) the snapshot is off and every read goes to the
database, so uncommitted or rolled-back configuration can never be remembered. With Redis down
the snapshot is off too. What `remembered` returns is shared between events: read it, never
change it.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import time
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

log = logging.getLogger(__name__)

T = TypeVar("T")

# Only writes that send no signal (queryset.update) wait this long to be seen.
MAX_AGE_SECONDS = 5.0
WATCHED_APPS = frozenset({"sla", "automations"})
WATCHED_MODELS = frozenset({"channels_in.mailaccount", "tickets.team"})
# Written by every ticket change: they are facts about tickets, not configuration.
PER_TICKET_MODELS = frozenset(
    {
        "sla.ticketsla",
        "sla.slaclock",
        "sla.slanotice",
        "sla.hourlyrollup",
        "sla.clockrollup",
        "sla.rollupdirtyhour",
        "automations.automationrun",
        "automations.webhookdelivery",
        "automations.ticketclock",
        "automations.timedfiring",
        "automations.agentcapacity",
    }
)

_active: contextvars.ContextVar[bool] = contextvars.ContextVar("config_snapshot", default=False)
_memo: dict[Hashable, Any] = {}
_state = {"generation": None, "taken_at": 0.0}


@functools.cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _key() -> str:
    return f"madoguchi:config-generation:{settings.DATABASES['default']['NAME']}"


@contextlib.contextmanager
def inbound_snapshot() -> Iterator[None]:
    """Remember configuration across the events this worker processes (see the module)."""
    if connection.in_atomic_block or _active.get():
        yield
        return
    try:
        generation = _redis().get(_key())
    except redis.RedisError as exc:
        log.warning("configuration snapshot off, Redis unavailable: %s", exc)
        yield
        return
    now = time.monotonic()
    if generation != _state["generation"] or now - _state["taken_at"] > MAX_AGE_SECONDS:
        _memo.clear()
        _state.update(generation=generation, taken_at=now)
    token = _active.set(True)
    try:
        yield
    finally:
        _active.reset(token)


def remembered(key: Hashable, load: Callable[[], T]) -> T:
    """`load()`, or what it returned for `key` earlier in this snapshot."""
    if not _active.get():
        return load()
    try:
        return _memo[key]
    except KeyError:
        value = _memo[key] = load()
        return value


def _changed(sender, **kwargs) -> None:
    meta = getattr(sender, "_meta", None)
    if meta is None:
        return
    label = meta.label_lower
    if label in PER_TICKET_MODELS:
        return
    if meta.app_label not in WATCHED_APPS and label not in WATCHED_MODELS:
        return
    _memo.clear()
    _state["generation"] = None
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        _redis().incr(_key())
    except redis.RedisError as exc:  # other workers fall back on MAX_AGE_SECONDS
        log.warning("could not announce a configuration change: %s", exc)


# Connected on import: the modules that call `remembered` import this one while apps load.
for _name, _signal in (("save", post_save), ("delete", post_delete), ("m2m", m2m_changed)):
    _signal.connect(_changed, dispatch_uid=f"config_snapshot.{_name}")
