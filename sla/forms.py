"""Forms: the Performance filters and the admin's SLA settings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import available_timezones

import holidays
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Organization
from helpdesk.models import Role, User
from tickets.models import Channel, Priority, Status, Tag, Team

from .business_time import format_hours, parse_hours
from .models import BusinessCalendar, Metric, SlaPolicy

MAX_PERIOD_DAYS = 366
PERIOD_CHOICES = [
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("custom", _("Custom range")),
]
WEEKDAYS = [
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
]


class PerformanceFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices]
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        required=False,
        queryset=Team.objects.order_by("name"),
        empty_label=_("All teams"),
    )
    agent = forms.ModelChoiceField(
        label=_("Agent"),
        required=False,
        queryset=User.objects.filter(
            is_active=True, role__in=[Role.ADMIN, Role.MANAGER, Role.AGENT]
        ).order_by("name", "email"),
        empty_label=_("All agents"),
    )
    tag = forms.CharField(
        label=_("Tag"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"list": "sla-tags", "autocomplete": "off"}),
    )

    def tag_names(self) -> list[str]:
        """Suggestions for the tag box (alphabetical, a bounded list)."""
        return list(Tag.objects.order_by("name").values_list("name", flat=True)[:200])

    def clean_tag(self) -> str:
        return (self.cleaned_data.get("tag") or "").strip().lower()

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            since, until = data.get("since"), data.get("until")
            if not since or not until:
                raise forms.ValidationError(_("Choose both dates for a custom range."))
            if until < since:
                raise forms.ValidationError(_("The end date is before the start date."))
            if (until - since).days >= MAX_PERIOD_DAYS:
                raise forms.ValidationError(_("Choose a range of at most 366 days."))
        return data

    def date_range(self) -> tuple[dt.date, dt.date]:
        """First and last local day (inclusive); the default is the last 7 days."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("period") == "custom":
            return data["since"], data["until"]
        days = int(data.get("period") or 7)
        return today - dt.timedelta(days=days - 1), today


class CalendarForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"))
    holiday_country = forms.ChoiceField(label=_("Public holidays of"), required=False)
    closures_text = forms.CharField(
        label=_("Closures"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One day per line: a date and a name, e.g. “2026-12-29 Year-end holidays”."),
    )

    class Meta:
        model = BusinessCalendar
        fields = [
            "name",
            "time_zone",
            "holiday_country",
            "holiday_subdivision",
            "is_default",
            "teams",
        ]
        widgets = {"teams": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(zone, zone) for zone in sorted(available_timezones())]
        countries = holidays.list_supported_countries()
        self.fields["holiday_country"].choices = [("", _("None"))] + [
            (code, code) for code in sorted(countries)
        ]
        for day, label in enumerate(WEEKDAYS):
            initial = ""
            if self.instance.pk:
                initial = format_hours(
                    [
                        (h.start_minute, h.end_minute)
                        for h in self.instance.hours.all()
                        if h.weekday == day
                    ]
                )
            self.fields[f"hours_{day}"] = forms.CharField(
                label=label,
                required=False,
                initial=initial,
                max_length=200,
                help_text=_("e.g. 09:00-18:00 or 09:00-12:00, 13:00-18:00; empty means closed"),
            )
        if self.instance.pk:
            self.fields["closures_text"].initial = "\n".join(
                f"{closure.date.isoformat()} {closure.name}".strip()
                for closure in self.instance.closures.all()
            )

    def _get_validation_exclusions(self):
        # Making this calendar the default takes the flag from the old one (calendar_save);
        # the one-default constraint is checked there, after the switch.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("is_default")
        return exclusions

    def weekday_fields(self):
        return [self[f"hours_{day}"] for day in range(7)]

    def clean(self):
        data = super().clean()
        weekly = {}
        for day in range(7):
            try:
                weekly[day] = parse_hours(data.get(f"hours_{day}", ""))
            except ValueError as error:
                self.add_error(
                    f"hours_{day}",
                    _("Cannot read “%(part)s”: write hours as 09:00-18:00.") % {"part": error},
                )
        if not self.errors and not any(weekly.values()):
            raise forms.ValidationError(_("Open the calendar on at least one day."))
        data["weekly"] = weekly
        data["closures"] = self._closures(data.get("closures_text", ""))
        country = data.get("holiday_country")
        subdivision = data.get("holiday_subdivision")
        if country and subdivision:
            try:
                holidays.country_holidays(country, subdiv=subdivision)
            except NotImplementedError:
                self.add_error(
                    "holiday_subdivision", _("This region is not known for that country.")
                )
        return data

    def _closures(self, text: str) -> list[tuple[dt.date, str]]:
        closures = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            day_text, _sep, name = line.partition(" ")
            try:
                day = dt.date.fromisoformat(day_text)
            except ValueError:
                self.add_error(
                    "closures_text",
                    _("Line %(number)s: start with a date like 2026-12-29.") % {"number": number},
                )
                continue
            closures[day] = name.strip()[:100]
        if len(closures) > 1000:
            self.add_error("closures_text", _("Keep it to 1,000 closure days or fewer."))
        return sorted(closures.items())


STATUS_CHOICES_WAITING = [
    (Status.PENDING, Status.PENDING.label),
    (Status.ON_HOLD, Status.ON_HOLD.label),
]


class PolicyForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        required=False,
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    priorities = forms.MultipleChoiceField(
        label=_("Priorities"),
        required=False,
        choices=Priority.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    customer_tags_text = forms.CharField(
        label=_("Customer tags"),
        required=False,
        max_length=600,
        help_text=_("Comma-separated; the customer needs one of them."),
    )
    vip_choice = forms.ChoiceField(
        label=_("VIP customers"),
        choices=[
            ("", _("Any customer")),
            ("yes", _("VIP customers only")),
            ("no", _("Non-VIP customers only")),
        ],
        required=False,
    )
    pause_statuses = forms.MultipleChoiceField(
        label=_("Pause the clocks while the ticket is"),
        required=False,
        choices=STATUS_CHOICES_WAITING,
        widget=forms.CheckboxSelectMultiple,
    )
    periodic_update_statuses = forms.MultipleChoiceField(
        label=_("Owe periodic updates while the ticket is"),
        required=False,
        choices=STATUS_CHOICES_WAITING,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "position",
            "active",
            "calendar",
            "channels",
            "priorities",
            "teams",
            "organizations",
            "pause_statuses",
            "periodic_update_statuses",
            "escalate_priority",
            "escalate_team",
        ]
        widgets = {"teams": forms.CheckboxSelectMultiple, "organizations": forms.SelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizations"].queryset = Organization.objects.order_by("name")
        self.fields["organizations"].required = False
        self.fields["teams"].required = False
        self.fields["calendar"].empty_label = _("The default calendar")
        self.fields["escalate_team"].empty_label = _("Do not reassign")
        self.fields["escalate_priority"].choices = [("", _("Do not change")), *Priority.choices]
        if self.instance.pk:
            self.fields["customer_tags_text"].initial = ", ".join(self.instance.customer_tags)
            self.fields["vip_choice"].initial = {True: "yes", False: "no"}.get(
                self.instance.vip, ""
            )
        existing = {}
        if self.instance.pk:
            existing = {(t.priority, t.metric): t.minutes for t in self.instance.targets.all()}
        for priority, _label in Priority.choices:
            for metric, _metric_label in Metric.choices:
                self.fields[f"target_{priority}_{metric}"] = forms.IntegerField(
                    required=False,
                    min_value=1,
                    max_value=525600,
                    initial=existing.get((priority, metric)),
                )

    def target_rows(self):
        return [
            {
                "label": label,
                "cells": [self[f"target_{priority}_{metric}"] for metric, _m in Metric.choices],
            }
            for priority, label in reversed(Priority.choices)
        ]

    def clean(self):
        data = super().clean()
        tags = [tag.strip().lower()[:60] for tag in data.get("customer_tags_text", "").split(",")]
        data["customer_tags"] = sorted({tag for tag in tags if tag})
        data["vip"] = {"yes": True, "no": False}.get(data.get("vip_choice") or "")
        data["targets"] = {
            (priority, metric): data[f"target_{priority}_{metric}"]
            for priority, _l in Priority.choices
            for metric, _m in Metric.choices
            if data.get(f"target_{priority}_{metric}")
        }
        return data
