"""The tag and agent rollups kept current between rebuilds: whatever path changes a ticket's
tags or assignee (a ticket edit, an automation, a merge, the tag itself), the minute task
leaves the rows a rebuild from scratch gives; and `rebuild_rollups` fills the tag history
alone, up to the last fact."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from automations.ticket_writes import write_ticket
from sla import rollups
from sla.models import (
    AgentDailyRollup,
    AgentDayTotal,
    ClockRollup,
    DailyRollup,
    HourlyRollup,
    RollupDirtyHour,
    TagClockRollup,
    TagDailyRollup,
    TagDayTotal,
    TagHourlyRollup,
    TicketSla,
)
from sla.selectors import Period, performance_report
from tests.factories import TicketFactory, UserFactory
from tests.sla.rollup_history import (
    SINCE,
    UNTIL,
    assert_same_report,
    build_history,
    exact_report,
    tag_history,
)
from tickets import bulk, services
from tickets.models import Tag, Ticket

pytestmark = pytest.mark.django_db
TABLES = (
    HourlyRollup,
    ClockRollup,
    TagHourlyRollup,
    TagClockRollup,
    DailyRollup,
    AgentDailyRollup,
    AgentDayTotal,
    TagDailyRollup,
    TagDayTotal,
)


@pytest.fixture
def tagged(db):
    return tag_history(build_history(), "ticket_id")


def rows(*tables) -> dict[str, list]:
    """Every row of the tables (no ids); sums of minutes to 4 places, as the order of a float
    sum differs between an hour re-summed alone and a day summed whole."""
    out = {}
    for model in tables or TABLES:
        columns = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        out[model.__name__] = sorted(
            repr(tuple(round(v, 4) if isinstance(v, float) else v for v in row))
            for row in model.objects.values_list(*columns)
        )
    return out


def drain() -> None:
    while rollups.process_dirty_hours():
        pass


def test_tag_and_assignee_changes_from_every_path_leave_the_rows_a_rebuild_gives(
    tagged, monkeypatch
):
    admin = UserFactory(role="admin")
    agents = tagged["agents"]
    chance = random.Random(5)
    names = ["vip", "返品", "bug", "新規"]
    ids = list(TicketSla.objects.order_by("ticket_id").values_list("ticket_id", flat=True))
    RollupDirtyHour.objects.all().delete()
    for step in range(40):
        ticket = Ticket.objects.get(pk=chance.choice(ids))
        kind = ("edit tags", "assign", "automation", "merge")[step % 4]
        if kind == "edit tags":
            services.update_ticket(
                ticket=ticket, actor=admin, tags=chance.sample(names, chance.randrange(0, 3))
            )
        elif kind == "assign":
            services.update_ticket(ticket=ticket, actor=admin, assignee=chance.choice(agents))
        elif kind == "automation":
            write_ticket(ticket, add_tags=[chance.choice(names)], assignee=chance.choice(agents))
        else:
            target = Ticket.objects.get(pk=chance.choice(ids))
            if ticket.merged_into_id or target.merged_into_id or target.pk == ticket.pk:
                continue
            bulk.merge_tickets(source=ticket, target=target, actor=admin)
    drain()
    kept = rows()
    period = Period(SINCE, UNTIL, tag="vip", agent_id=agents[1].pk)
    assert_same_report(performance_report(period), exact_report(monkeypatch, period))
    rollups.rebuild_all()
    assert rows() == kept


def test_a_merge_brings_the_sources_tags_into_the_targets_rows(tagged, monkeypatch):
    admin = UserFactory(role="admin")
    vip = Tag.objects.get(name="vip")
    in_period = TicketSla.objects.filter(created_at__gte=SINCE, created_at__lt=UNTIL)
    target = in_period.exclude(ticket__tags=vip).exclude(ticket__status="closed").first()
    source = in_period.filter(ticket__tags=vip).exclude(pk=target.pk).first()
    period = Period(SINCE, UNTIL, tag="vip")
    before = performance_report(period)["overall"]["tickets"]
    RollupDirtyHour.objects.all().delete()

    bulk.merge_tickets(source=source.ticket, target=target.ticket, actor=admin)

    # The target now carries "vip": its creation hour counts it under the tag.
    assert RollupDirtyHour.objects.filter(hour=rollups.hour_of(target.created_at)).exists()
    drain()
    after = performance_report(period)
    assert after["overall"]["tickets"] == before + 1
    assert_same_report(after, exact_report(monkeypatch, period))


def test_a_tag_taken_off_every_ticket_at_once_reaches_the_rollups(tagged, monkeypatch):
    bug = Tag.objects.get(name="bug")
    period = Period(SINCE, UNTIL, tag="bug")
    assert performance_report(period)["overall"]["tickets"] > 0
    RollupDirtyHour.objects.all().delete()
    monkeypatch.setattr(rollups, "RELABEL_CHUNK", 7)  # a tag on more tickets than one query takes
    bug.tickets.clear()
    drain()
    cleared = performance_report(period)
    assert cleared["overall"]["tickets"] == 0
    assert_same_report(cleared, exact_report(monkeypatch, period))
    assert not TagHourlyRollup.objects.filter(tag_id=bug.pk).exists()

    # And given back from the tag's side: the same rows as before the clear.
    bug.tickets.add(*TicketSla.objects.values_list("ticket_id", flat=True)[:40])
    drain()
    kept = rows(TagHourlyRollup, TagDailyRollup, TagDayTotal, TagClockRollup)
    rollups.rebuild_all()
    assert rows(TagHourlyRollup, TagDailyRollup, TagDayTotal, TagClockRollup) == kept


def test_tags_only_rebuild_fills_the_tag_history_and_leaves_the_other_rows(tagged):
    full = rows()
    cut = SINCE.date()  # tag rows only from here on, as after a partial backfill
    TagHourlyRollup.objects.filter(hour__lt=SINCE).delete()
    TagClockRollup.objects.filter(hour__lt=SINCE).delete()
    TagDailyRollup.objects.filter(day__lt=cut).delete()
    TagDayTotal.objects.filter(day__lt=cut).delete()
    untouched = {
        model: sorted(model.objects.values_list("id", flat=True))
        for model in (HourlyRollup, ClockRollup, DailyRollup, AgentDailyRollup, AgentDayTotal)
    }
    later = sorted(TagHourlyRollup.objects.filter(hour__gte=SINCE).values_list("id", flat=True))
    RollupDirtyHour.objects.all().delete()  # (the command works off pending marks too)

    call_command("rebuild_rollups", "--tags-only", "--until", cut.isoformat(), stdout=None)

    assert rows() == full
    for model, ids in untouched.items():  # the other tables were not rewritten
        assert sorted(model.objects.values_list("id", flat=True)) == ids, model
    # Nor the tag rows from the cut on (day rows of the cut's day aside: re-summed).
    assert (
        sorted(TagHourlyRollup.objects.filter(hour__gte=SINCE).values_list("id", flat=True))
        == later
    )


def test_rebuild_rollups_rejects_a_bad_range(db):
    with pytest.raises(CommandError, match="--until must be after --since"):
        call_command("rebuild_rollups", "--since", "2026-06-02", "--until", "2026-06-01")
    with pytest.raises(CommandError, match="--until must be a date"):
        call_command("rebuild_rollups", "--until", "June")
    with pytest.raises(CommandError, match="--days-only takes --since only"):
        call_command("rebuild_rollups", "--days-only", "--tags-only")


def test_a_rebuild_reaches_facts_stamped_ahead_of_the_clock(db):
    # Imported data, or a server clock behind the database's, can hold moments after "now":
    # a rebuild must count them rather than leave their hours as they were.
    ahead = timezone.now() + dt.timedelta(days=3)
    ticket = TicketFactory()
    TicketSla.objects.create(
        ticket=ticket,
        channel="email",
        created_at=timezone.now() - dt.timedelta(days=1),
        solved_at=ahead,
        resolution_minutes=30.0,
    )
    HourlyRollup.objects.create(hour=rollups.hour_of(ahead), channel="email", solved=5)
    rollups.rebuild_all()
    hour = HourlyRollup.objects.get(hour=rollups.hour_of(ahead))
    assert (hour.solved, hour.resolutions) == (1, 1)


def test_marks_spread_over_many_days_are_worked_off_a_few_days_per_transaction(tagged, monkeypatch):
    # Each transaction holds an advisory lock per UTC day it rebuilds until it ends: marks over
    # months (a tag put on thousands of old tickets) must not take them all at once.
    kept = rows()
    HourlyRollup.objects.all().delete()
    TagHourlyRollup.objects.all().delete()
    RollupDirtyHour.objects.all().delete()
    every_ticket = TicketSla.objects.values_list("ticket_id", flat=True)
    rollups.mark_hours(*rollups.relabel_moments(every_ticket, tags=True))
    monkeypatch.setattr(rollups, "DAYS_PER_TRANSACTION", 3)
    batches = []
    real = rollups._process_dirty_batch
    monkeypatch.setattr(
        rollups, "_process_dirty_batch", lambda limit: batches.append(real(limit)) or batches[-1]
    )

    rebuilt = rollups.process_dirty_hours()

    assert len(batches) > 5 and all(more for _, more in batches[:-1])
    assert rebuilt == sum(hours for hours, _ in batches) > 0
    assert not RollupDirtyHour.objects.exists()
    assert rows() == kept
