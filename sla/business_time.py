"""Business-time arithmetic: pure functions over a weekly schedule, a time zone and closed days.

Nothing here touches the database, so the SLA engine, reports and tests share one definition of
"a business minute". Instants are aware datetimes (any zone); the schedule is read in its own
zone, so a 09:00-18:00 day in Europe/London is 9 real hours on a normal day and each interval is
measured in real elapsed time across a DST change (a shift spanning the jump is an hour shorter).

Opening hours are minutes from local midnight, half-open [start, end). An end of 1440 means
midnight; an interval whose end is before its start runs overnight into the next calendar day
(22:00-06:00 on Monday is Monday 22:00-24:00 plus Tuesday 00:00-06:00). Whether a date is closed
(holiday, custom closure) is decided per calendar date, so the morning part of an overnight shift
belongs to the date it falls on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")

MINUTES_PER_DAY = 1440
# A calendar with hours open at least once a year finds its next opening well within this; a
# calendar with no hours at all (or closed forever) must fail loudly instead of looping.
MAX_SEARCH_DAYS = 3 * 366

Interval = tuple[int, int]


class NoBusinessHours(ValueError):
    """The schedule never opens, so no due time exists."""


@dataclass(frozen=True)
class BusinessSchedule:
    time_zone: str = "Asia/Tokyo"
    # weekday (Monday = 0) -> opening intervals in minutes from local midnight
    weekly: Mapping[int, Sequence[Interval]] = field(default_factory=dict)
    is_closed: Callable[[date], bool] = field(default=lambda day: False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def day_intervals(self) -> dict[int, list[Interval]]:
        """Per weekday the same-day intervals, with overnight ones split at midnight, merged."""
        days: dict[int, list[Interval]] = {weekday: [] for weekday in range(7)}
        for weekday, intervals in self.weekly.items():
            for start, end in intervals:
                if end == start:
                    continue
                if end > start:
                    days[weekday].append((start, end))
                else:
                    days[weekday].append((start, MINUTES_PER_DAY))
                    if end:
                        days[(weekday + 1) % 7].append((0, end))
        return {weekday: _merge(intervals) for weekday, intervals in days.items()}


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The instant (in UTC) of a wall-clock minute of `day` in `zone`.

    UTC because arithmetic between two datetimes that share a ZoneInfo is wall-clock arithmetic
    in Python: across a DST change it would be an hour off. A wall time inside a spring-forward
    gap resolves (fold=0) to the instant just after the jump.
    """
    if minute >= MINUTES_PER_DAY:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone).astimezone(UTC)


def _open_spans(schedule: BusinessSchedule, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Opening spans (aware, in the schedule's zone) from the day of `start` onwards, in order."""
    zone = schedule.zone
    days = schedule.day_intervals()
    if not any(days.values()):
        raise NoBusinessHours("The business calendar has no opening hours.")
    day = start.astimezone(zone).date() - timedelta(days=1)  # an overnight span may reach in
    empty_days = 0
    while empty_days <= MAX_SEARCH_DAYS:
        intervals = [] if schedule.is_closed(day) else days[day.weekday()]
        empty_days = 0 if intervals else empty_days + 1
        for open_minute, close_minute in intervals:
            yield _local_instant(day, open_minute, zone), _local_instant(day, close_minute, zone)
        day += timedelta(days=1)
    raise NoBusinessHours("The business calendar is closed for more than three years.")


def business_seconds_between(schedule: BusinessSchedule, start: datetime, end: datetime) -> int:
    """Seconds of opening time in [start, end); 0 when end is not after start."""
    if end <= start:
        return 0
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = 0.0
    for span_start, span_end in _open_spans(schedule, start):
        if span_start >= end:
            break
        overlap = min(span_end, end) - max(span_start, start)
        if overlap > timedelta(0):
            total += overlap.total_seconds()
    return int(round(total))


def business_minutes_between(schedule: BusinessSchedule, start: datetime, end: datetime) -> float:
    """Business minutes in [start, end), to the second (a reply after 90 s is 1.5 minutes)."""
    return business_seconds_between(schedule, start, end) / 60


def add_business_minutes(schedule: BusinessSchedule, start: datetime, minutes: float) -> datetime:
    """The instant when `minutes` of opening time have passed since `start`.

    A clock started outside hours begins at the next opening; a target of 0 minutes is due at
    `start` itself. The result is in the schedule's zone.
    """
    remaining = timedelta(minutes=minutes)
    if remaining <= timedelta(0):
        return start.astimezone(schedule.zone)
    start = start.astimezone(UTC)
    for span_start, span_end in _open_spans(schedule, start):
        if span_end <= start:
            continue
        begin = max(span_start, start)
        available = span_end - begin
        if remaining <= available:
            return (begin + remaining).astimezone(schedule.zone)
        remaining -= available
    raise NoBusinessHours("unreachable")  # _open_spans raises first


def parse_hours(text: str) -> list[Interval]:
    """ "09:00-12:00, 13:00-18:00" -> [(540, 720), (780, 1080)]; "" -> closed; "24:00" allowed.

    Raises ValueError with a message that names the bad part.
    """
    intervals: list[Interval] = []
    for part in text.replace("、", ",").replace("～", "-").replace("〜", "-").split(","):
        part = part.strip()
        if not part:
            continue
        pieces = [piece.strip() for piece in part.split("-")]
        if len(pieces) != 2:
            raise ValueError(part)
        start, end = (_parse_clock(piece, part) for piece in pieces)
        if start in (end, MINUTES_PER_DAY):
            raise ValueError(part)
        intervals.append((start, end))
    return intervals


def _parse_clock(text: str, part: str) -> int:
    hours, sep, minutes = text.partition(":")
    if not hours.isdecimal() or (sep and not minutes.isdecimal()) or len(minutes or "00") != 2:
        raise ValueError(part)
    value = int(hours) * 60 + int(minutes or 0)
    if int(hours) > 24 or int(minutes or 0) > 59 or value > MINUTES_PER_DAY:
        raise ValueError(part)
    return value


def format_hours(intervals: Sequence[Interval]) -> str:
    return ", ".join(f"{_clock(start)}-{_clock(end)}" for start, end in intervals)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
