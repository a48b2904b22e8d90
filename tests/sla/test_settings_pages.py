"""Admins edit calendars and policies; edits re-apply to open tickets; bad input is explained."""

from __future__ import annotations

import datetime as dt

import pytest

from sla.models import BusinessCalendar, Metric, SlaClock, SlaPolicy
from tests.factories import UserFactory
from tests.sla.conftest import customer_writes, tokyo

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role="admin"))
    return client


def calendar_post(**overrides):
    data = {
        "name": "東京オフィス",
        "time_zone": "Asia/Tokyo",
        "holiday_country": "JP",
        "holiday_subdivision": "",
        "is_default": "on",
        "closures_text": "2026-12-29 年末休業\n2026-12-30\n\n",
        **{f"hours_{day}": "09:00-12:00, 13:00-18:00" for day in range(5)},
        "hours_5": "",
        "hours_6": "",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_calendar_with_hours_and_closures(admin_client):
    response = admin_client.post("/dashboards/settings/calendars/new/", calendar_post())
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(name="東京オフィス")
    assert calendar.is_default and calendar.holiday_country == "JP"
    assert sorted((h.weekday, h.start_minute, h.end_minute) for h in calendar.hours.all())[:2] == [
        (0, 540, 720),
        (0, 780, 1080),
    ]
    assert [(c.date, c.name) for c in calendar.closures.all()] == [
        (dt.date(2026, 12, 29), "年末休業"),
        (dt.date(2026, 12, 30), ""),
    ]
    page = admin_client.get(f"/dashboards/settings/calendars/{calendar.pk}/").content.decode()
    assert "09:00-12:00, 13:00-18:00" in page and "2026-12-29 年末休業" in page


def test_only_one_default_calendar(admin_client):
    admin_client.post("/dashboards/settings/calendars/new/", calendar_post(name="A"))
    admin_client.post("/dashboards/settings/calendars/new/", calendar_post(name="B"))
    assert list(
        BusinessCalendar.objects.filter(is_default=True).values_list("name", flat=True)
    ) == ["B"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hours_0": "9am to 5pm"}, "Cannot read"),
        ({"hours_2": "25:00-26:00"}, "Cannot read"),
        ({"closures_text": "29/12/2026 year end"}, "Line 1"),
        ({**{f"hours_{d}": "" for d in range(7)}}, "at least one day"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"holiday_country": "ZZ"}, "Select a valid choice"),
        ({"holiday_subdivision": "XX"}, "region"),
        ({"name": ""}, "required"),
        ({"name": "x" * 500}, "at most 100"),
    ],
)
def test_bad_calendar_input_is_explained_and_nothing_saved(admin_client, overrides, message):
    response = admin_client.post(
        "/dashboards/settings/calendars/new/", calendar_post(**overrides), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BusinessCalendar.objects.exists()


def policy_post(**overrides):
    data = {
        "name": "Chat",
        "position": "5",
        "active": "on",
        "calendar": "",
        "channels": ["chat", "line"],
        "customer_tags_text": "Gold, gold , ",
        "vip_choice": "",
        "pause_statuses": ["pending"],
        "periodic_update_statuses": [],
        "escalate_priority": "high",
        "escalate_team": "",
        "target_normal_first_reply": "15",
        "target_urgent_first_reply": "5",
        "target_normal_resolution": "600",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_policy_and_open_tickets_follow(
    admin_client, office, clock, django_capture_on_commit_callbacks
):
    ticket = customer_writes(channel="line", handle="U123")
    assert not SlaClock.objects.filter(ticket=ticket).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/dashboards/settings/policies/new/", policy_post(customer_tags_text="")
        )
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="Chat")
    assert policy.channels == ["chat", "line"]
    assert {(t.priority, t.metric, t.minutes) for t in policy.targets.all()} == {
        ("normal", "first_reply", 15),
        ("urgent", "first_reply", 5),
        ("normal", "resolution", 600),
    }
    clock_row = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_REPLY)
    assert clock_row.due_at == tokyo(2026, 6, 10, 10, 15)  # re-applied by the task after commit


def test_policy_tags_are_normalized_and_vip_choice_kept(admin_client):
    admin_client.post("/dashboards/settings/policies/new/", policy_post(vip_choice="yes"))
    policy = SlaPolicy.objects.get()
    assert policy.customer_tags == ["gold"] and policy.vip is True
    page = admin_client.get(f"/dashboards/settings/policies/{policy.pk}/").content.decode()
    assert 'value="15"' in page


@pytest.mark.parametrize(
    "overrides",
    [
        {"target_normal_first_reply": "-5"},
        {"target_normal_first_reply": "abc"},
        {"target_normal_first_reply": "99999999"},
        {"channels": ["pigeon"]},
        {"escalate_priority": "apocalyptic"},
        {"pause_statuses": ["solved"]},
        {"name": ""},
    ],
)
def test_bad_policy_input_is_refused(admin_client, overrides):
    response = admin_client.post("/dashboards/settings/policies/new/", policy_post(**overrides))
    assert response.status_code == 400
    assert not SlaPolicy.objects.exists()


def test_delete_policy_and_calendar(admin_client):
    admin_client.post("/dashboards/settings/policies/new/", policy_post())
    admin_client.post("/dashboards/settings/calendars/new/", calendar_post())
    policy, calendar = SlaPolicy.objects.get(), BusinessCalendar.objects.get()
    assert admin_client.get(f"/dashboards/settings/policies/{policy.pk}/delete/").status_code == 405
    admin_client.post(f"/dashboards/settings/policies/{policy.pk}/delete/")
    admin_client.post(f"/dashboards/settings/calendars/{calendar.pk}/delete/")
    assert not SlaPolicy.objects.exists() and not BusinessCalendar.objects.exists()


def test_settings_are_for_admins_only(client):
    client.force_login(UserFactory(role="manager"))
    assert client.get("/dashboards/settings/").status_code == 403
    assert client.post("/dashboards/settings/policies/new/", policy_post()).status_code == 403
    assert not SlaPolicy.objects.exists()
    assert client.get("/dashboards/settings/policies/999/").status_code == 403


def test_settings_pages_render(admin_client):
    for url in (
        "/dashboards/settings/",
        "/dashboards/settings/calendars/",
        "/dashboards/settings/policies/new/",
        "/dashboards/settings/calendars/new/",
    ):
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/dashboards/settings/policies/424242/").status_code == 404


def test_seeding_is_idempotent_and_measures_existing_tickets(clock, agent):
    from django.utils import translation

    from sla.models import TicketSla
    from sla.seeding import seed_default_sla

    ticket = customer_writes()  # before any policy: measured, no clocks
    with translation.override("en"):  # names are seeded in the active language
        seed_default_sla()
        seed_default_sla()
    assert BusinessCalendar.objects.filter(is_default=True, holiday_country="JP").count() == 1
    assert SlaPolicy.objects.count() == 2
    assert SlaClock.objects.filter(ticket=ticket, metric="first_reply", completed_at=None).exists()
    # Seeded in whatever language is active (the site's, or English under a command).
    assert TicketSla.objects.get(ticket=ticket).policy.name in {"Standard", "標準"}
