"""Business-time arithmetic: nights, weekends, Japanese holidays, closures, DST, odd schedules."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import pytest

from sla.business_time import (
    BusinessSchedule,
    NoBusinessHours,
    add_business_minutes,
    business_minutes_between,
    format_hours,
    parse_hours,
)

TOKYO = ZoneInfo("Asia/Tokyo")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
JP_HOLIDAYS = holidays.country_holidays("JP")
NINE_TO_SIX = {day: [(540, 1080)] for day in range(5)}


def tokyo(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


def japan_office(closures=frozenset()) -> BusinessSchedule:
    return BusinessSchedule(
        time_zone="Asia/Tokyo",
        weekly=NINE_TO_SIX,
        is_closed=lambda day: day in JP_HOLIDAYS or day in closures,
    )


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        # inside hours, same day
        (tokyo(2026, 6, 10, 10, 0), 60, tokyo(2026, 6, 10, 11, 0)),
        # overnight: 1 h left today, 2 h tomorrow morning
        (tokyo(2026, 6, 10, 17, 0), 180, tokyo(2026, 6, 11, 11, 0)),
        # exactly at closing: the clock continues at the next opening
        (tokyo(2026, 6, 10, 17, 0), 60, tokyo(2026, 6, 10, 18, 0)),
        (tokyo(2026, 6, 10, 18, 0), 1, tokyo(2026, 6, 11, 9, 1)),
        # start before opening
        (tokyo(2026, 6, 10, 6, 30), 30, tokyo(2026, 6, 10, 9, 30)),
        # Friday evening to Monday (weekend skipped)
        (tokyo(2026, 6, 12, 17, 30), 60, tokyo(2026, 6, 15, 9, 30)),
        # started on Saturday
        (tokyo(2026, 6, 13, 12, 0), 15, tokyo(2026, 6, 15, 9, 15)),
        # a full business day (540 min) from opening ends at closing the same day
        (tokyo(2026, 6, 10, 9, 0), 540, tokyo(2026, 6, 10, 18, 0)),
        # Golden Week 2026: Wed 4/29 Showa Day; Sun 5/3 - Wed 5/6 (5/6 substitute holiday)
        (tokyo(2026, 4, 28, 17, 0), 120, tokyo(2026, 4, 30, 10, 0)),
        (tokyo(2026, 5, 1, 17, 0), 120, tokyo(2026, 5, 7, 10, 0)),
        (tokyo(2026, 5, 3, 10, 0), 60, tokyo(2026, 5, 7, 10, 0)),
        # Silver Week 2026: 9/21 Respect for the Aged, 9/22 national holiday, 9/23 equinox
        (tokyo(2026, 9, 18, 18, 0), 60, tokyo(2026, 9, 24, 10, 0)),
        # New Year 2027: Jan 1 (Fri) holiday, weekend, Jan 11 Coming of Age Day
        (tokyo(2026, 12, 31, 17, 0), 120, tokyo(2027, 1, 4, 10, 0)),
        (tokyo(2027, 1, 8, 17, 0), 120, tokyo(2027, 1, 12, 10, 0)),
        # Golden Week 2027: 4/29 Thu, 5/3 Mon - 5/5 Wed
        (tokyo(2027, 4, 28, 18, 0), 30, tokyo(2027, 4, 30, 9, 30)),
        (tokyo(2027, 4, 30, 18, 0), 30, tokyo(2027, 5, 6, 9, 30)),
        # zero minutes: due where it started, even outside hours
        (tokyo(2026, 6, 13, 12, 0), 0, tokyo(2026, 6, 13, 12, 0)),
    ],
)
def test_due_time_in_tokyo(start, minutes, due):
    assert add_business_minutes(japan_office(), start, minutes) == due


def test_start_given_in_utc_is_read_in_the_calendar_zone():
    start = dt.datetime(2026, 6, 10, 8, 30, tzinfo=dt.UTC)  # 17:30 in Tokyo
    due = add_business_minutes(japan_office(), start, 60)
    assert due == tokyo(2026, 6, 11, 9, 30)
    assert due.utcoffset() == dt.timedelta(hours=9)


def test_japanese_holidays_2026_and_2027_are_closed():
    office = japan_office()
    for day in [
        dt.date(2026, 1, 12),  # Coming of Age Day
        dt.date(2026, 2, 11),
        dt.date(2026, 2, 23),
        dt.date(2026, 3, 20),
        dt.date(2026, 5, 6),  # substitute holiday
        dt.date(2026, 9, 22),  # national holiday between two holidays
        dt.date(2026, 11, 23),
        dt.date(2027, 3, 22),  # substitute for the vernal equinox on Sunday 3/21
        dt.date(2027, 7, 19),
    ]:
        start = dt.datetime.combine(day, dt.time(0), tzinfo=TOKYO)
        end = start + dt.timedelta(days=1)
        assert business_minutes_between(office, start, end) == 0, day
    normal_day = tokyo(2026, 6, 10, 0, 0)
    assert business_minutes_between(office, normal_day, normal_day + dt.timedelta(days=1)) == 540


def test_custom_closures_skip_the_year_end():
    closures = {dt.date(2026, 12, 29), dt.date(2026, 12, 30), dt.date(2026, 12, 31)}
    office = japan_office(closures)
    assert add_business_minutes(office, tokyo(2026, 12, 28, 17, 0), 120) == tokyo(2027, 1, 4, 10, 0)


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (tokyo(2026, 6, 10, 10, 0), tokyo(2026, 6, 10, 10, 45), 45),
        (tokyo(2026, 6, 10, 17, 0), tokyo(2026, 6, 11, 10, 0), 120),
        (tokyo(2026, 6, 12, 17, 0), tokyo(2026, 6, 15, 9, 30), 90),
        (tokyo(2026, 6, 13, 9, 0), tokyo(2026, 6, 14, 18, 0), 0),  # weekend only
        (tokyo(2026, 5, 1, 9, 0), tokyo(2026, 5, 8, 9, 0), 2 * 540),  # Golden Week
        (tokyo(2026, 6, 10, 10, 0), tokyo(2026, 6, 10, 9, 0), 0),  # end before start
        (tokyo(2026, 6, 10, 10, 0), tokyo(2026, 6, 10, 10, 1, 30), 1.5),  # to the second
        (tokyo(2026, 6, 1, 0, 0), tokyo(2026, 7, 1, 0, 0), 22 * 540),  # June 2026: 22 workdays
    ],
)
def test_business_minutes_between(start, end, minutes):
    assert business_minutes_between(japan_office(), start, end) == minutes


def test_adding_then_measuring_round_trips():
    office = japan_office()
    start = tokyo(2026, 4, 27, 16, 12)
    for minutes in (1, 47, 540, 1000, 5000):
        due = add_business_minutes(office, start, minutes)
        assert business_minutes_between(office, start, due) == minutes


def test_dst_spring_forward_in_new_york_counts_real_time():
    # 2026-03-08 02:00 EST jumps to 03:00 EDT; a 24 h Sunday schedule loses an hour.
    schedule = BusinessSchedule(time_zone="America/New_York", weekly={6: [(0, 1440)]})
    start = dt.datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK)
    end = dt.datetime(2026, 3, 9, 0, 0, tzinfo=NEW_YORK)
    assert business_minutes_between(schedule, start, end) == 23 * 60
    due = add_business_minutes(schedule, start, 3 * 60)
    assert due == dt.datetime(2026, 3, 8, 4, 0, tzinfo=NEW_YORK)


def test_dst_fall_back_in_london_keeps_wall_clock_hours():
    # 2026-10-25 is the day London returns to GMT; a 9-17 Monday after it is still 8 hours,
    # and a Friday 16:00 ticket with 2 h is due Monday 10:00 local (09:00 UTC, not 08:00).
    schedule = BusinessSchedule(
        time_zone="Europe/London", weekly={d: [(540, 1020)] for d in range(5)}
    )
    start = dt.datetime(2026, 10, 23, 16, 0, tzinfo=LONDON)
    due = add_business_minutes(schedule, start, 120)
    assert due == dt.datetime(2026, 10, 26, 10, 0, tzinfo=LONDON)
    assert due.astimezone(dt.UTC).hour == 10
    assert business_minutes_between(schedule, start, due) == 120


def test_dst_night_shift_spanning_the_jump_is_an_hour_shorter():
    schedule = BusinessSchedule(time_zone="America/New_York", weekly={5: [(1320, 360)]})
    start = dt.datetime(2026, 3, 7, 22, 0, tzinfo=NEW_YORK)  # Sat 22:00 → Sun 06:00
    end = dt.datetime(2026, 3, 8, 12, 0, tzinfo=NEW_YORK)
    assert business_minutes_between(schedule, start, end) == 7 * 60


def test_overnight_shift_runs_into_the_next_day():
    schedule = BusinessSchedule(time_zone="Asia/Tokyo", weekly={0: [(1320, 360)]})  # Mon 22-06
    monday = tokyo(2026, 6, 8, 21, 0)
    assert add_business_minutes(schedule, monday, 180) == tokyo(2026, 6, 9, 1, 0)
    assert business_minutes_between(schedule, monday, tokyo(2026, 6, 9, 12, 0)) == 480


def test_split_day_with_lunch_break():
    schedule = BusinessSchedule(time_zone="Asia/Tokyo", weekly={2: [(540, 720), (780, 1080)]})
    assert add_business_minutes(schedule, tokyo(2026, 6, 10, 11, 30), 60) == tokyo(
        2026, 6, 10, 13, 30
    )


def test_around_the_clock_schedule():
    schedule = BusinessSchedule(time_zone="UTC", weekly={d: [(0, 1440)] for d in range(7)})
    start = dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC)
    assert add_business_minutes(schedule, start, 120) == dt.datetime(
        2027, 1, 1, 1, 0, tzinfo=dt.UTC
    )


def test_no_hours_at_all_fails_clearly():
    with pytest.raises(NoBusinessHours):
        add_business_minutes(BusinessSchedule(), tokyo(2026, 6, 10, 9, 0), 10)


def test_closed_forever_fails_instead_of_looping():
    schedule = BusinessSchedule(weekly=NINE_TO_SIX, is_closed=lambda day: True)
    with pytest.raises(NoBusinessHours):
        add_business_minutes(schedule, tokyo(2026, 6, 10, 9, 0), 10)


@pytest.mark.parametrize(
    ("text", "intervals"),
    [
        ("09:00-18:00", [(540, 1080)]),
        ("9:00 - 12:00, 13:00-18:00", [(540, 720), (780, 1080)]),
        ("22:00-06:00", [(1320, 360)]),
        ("00:00-24:00", [(0, 1440)]),
        ("９:00", None),
        ("", []),
        ("09:00〜18:00", [(540, 1080)]),
    ],
)
def test_parse_hours(text, intervals):
    if intervals is None:
        with pytest.raises(ValueError):
            parse_hours(text)
    else:
        assert parse_hours(text) == intervals


@pytest.mark.parametrize(
    "bad", ["9-", "¹:00-18:00", "25:00-26:00", "09:00-09:00", "09:60-10:00", "a-b", "1-2-3"]
)
def test_parse_hours_rejects_nonsense(bad):
    with pytest.raises(ValueError):
        parse_hours(bad)


def test_format_hours():
    assert format_hours([(540, 720), (780, 1440)]) == "09:00-12:00, 13:00-24:00"
