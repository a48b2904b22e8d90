"""Business calendars: the weekly hours, public holidays and closures SLA clocks count in."""

from __future__ import annotations

import datetime as dt
from functools import cached_property, lru_cache

from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Team

from ..business_time import BusinessSchedule


class BusinessCalendar(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tokyo")
    # ISO 3166 code read by the `holidays` package ("JP", "US", "GB" …); blank: no public holidays.
    holiday_country = models.CharField(_("public holidays of"), max_length=2, blank=True)
    holiday_subdivision = models.CharField(_("region"), max_length=10, blank=True)
    is_default = models.BooleanField(_("default calendar"), default=False)
    teams = models.ManyToManyField(
        Team, blank=True, related_name="sla_calendars", verbose_name=_("teams")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="sla_one_default_calendar",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def schedule(self) -> BusinessSchedule:
        """The pure schedule; hours and closures must be prefetched or are loaded here."""
        weekly: dict[int, list[tuple[int, int]]] = {}
        for hours in self.hours.all():
            weekly.setdefault(hours.weekday, []).append((hours.start_minute, hours.end_minute))
        closed = {closure.date for closure in self.closures.all()}
        public = self.public_holidays

        def is_closed(day: dt.date) -> bool:
            return day in closed or (public is not None and day in public)

        return BusinessSchedule(time_zone=self.time_zone, weekly=weekly, is_closed=is_closed)

    @cached_property
    def public_holidays(self):
        if not self.holiday_country:
            return None
        return _public_holidays(self.holiday_country, self.holiday_subdivision or None)


@lru_cache(maxsize=64)
def _public_holidays(country: str, subdivision: str | None):
    """One table per country and process: it fills in years as dates are asked about."""
    import holidays  # imported late: only processes that compute due times need it

    return holidays.country_holidays(country, subdiv=subdivision)


class BusinessHours(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # Monday = 0
    start_minute = models.PositiveSmallIntegerField()
    end_minute = models.PositiveSmallIntegerField()  # < start: runs overnight

    class Meta:
        ordering = ["weekday", "start_minute"]

    def __str__(self) -> str:
        return f"{self.weekday}: {self.start_minute}-{self.end_minute}"


class Closure(models.Model):
    """A day the team does not work besides public holidays (year-end, company events)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closures"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_closure_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()
