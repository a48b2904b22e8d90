"""A worker remembers SLA / routing / automation settings across inbound events, and forgets
them the moment anyone commits a change (tickets.config_snapshot)."""

from __future__ import annotations

import pytest
import redis
from django.db import transaction

from automations.models import RoutingRule
from tickets import config_snapshot
from tickets.config_snapshot import inbound_snapshot, remembered


@pytest.fixture(autouse=True)
def _fresh_snapshot():
    config_snapshot._memo.clear()  # nothing remembered from an earlier test
    yield
    config_snapshot._memo.clear()


@pytest.fixture
def loads():
    counted = []

    def load():
        counted.append(True)
        return list(RoutingRule.objects.values_list("name", flat=True))

    load.count = counted
    return load


def event_reads(load) -> list[str]:
    """What one inbound event sees (two lookups, as SLA and routing each ask)."""
    with inbound_snapshot():
        remembered("test.rules", load)
        return remembered("test.rules", load)


@pytest.mark.django_db(transaction=True)
def test_settings_are_read_once_across_events_until_someone_changes_them(loads):
    assert event_reads(loads) == []
    assert event_reads(loads) == []
    assert len(loads.count) == 1  # the second event asked nobody

    RoutingRule.objects.create(name="VIP to tier 2")  # committed: announced to every worker
    assert event_reads(loads) == ["VIP to tier 2"]
    assert len(loads.count) == 2

    rule = RoutingRule.objects.get()
    rule.name = "VIP to tier 3"
    rule.save()
    assert event_reads(loads) == ["VIP to tier 3"]
    rule.delete()
    assert event_reads(loads) == []


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_older_than_its_age_is_read_again(loads, monkeypatch):
    event_reads(loads)
    monkeypatch.setattr(config_snapshot, "MAX_AGE_SECONDS", -1)
    event_reads(loads)
    assert len(loads.count) == 2


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_nothing_is_remembered(loads):
    """Uncommitted (perhaps rolled back) settings must never outlive their transaction."""
    with transaction.atomic():
        RoutingRule.objects.create(name="never committed")
        assert event_reads(loads) == ["never committed"]
        transaction.set_rollback(True)
    assert event_reads(loads) == []
    assert len(loads.count) == 3  # twice inside (no snapshot), once after


@pytest.mark.django_db(transaction=True)
def test_redis_down_reads_the_database_every_time(loads, monkeypatch):
    class Down:
        def get(self, key):
            raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(config_snapshot, "_redis", lambda: Down())
    event_reads(loads)
    event_reads(loads)
    assert len(loads.count) == 4


def test_outside_a_snapshot_every_call_loads():
    calls = []
    remembered("test.plain", lambda: calls.append(True))
    remembered("test.plain", lambda: calls.append(True))
    assert len(calls) == 2
