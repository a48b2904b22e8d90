"""Forms of the NPS campaign pages and the customer's answer page: shape checks only."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from customers.models import Organization
from tickets.models import Channel

from .models import NpsCampaign, SampleMode, VipFilter

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
MAX_TAGS = 20


class TagsField(forms.CharField):
    """Comma- or space-separated customer tags (either is what people type)."""

    def to_python(self, value):
        text = super().to_python(value) or ""
        tags: list[str] = []
        for raw in text.replace("、", ",").replace(",", " ").split():
            tag = raw.strip()
            if tag and tag not in tags:
                tags.append(tag)
        return tags

    def validate(self, value):
        super().validate(value)
        if len(value) > MAX_TAGS:
            raise forms.ValidationError(_("Choose at most %(count)s tags.") % {"count": MAX_TAGS})
        if any(len(tag) > 60 for tag in value):
            raise forms.ValidationError(_("A tag can be at most 60 characters long."))

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value


class NpsCampaignForm(forms.ModelForm):
    name = forms.CharField(label=_("Campaign name"), max_length=120)
    question_ja = forms.CharField(label=_("Question (Japanese)"), max_length=300)
    question_en = forms.CharField(label=_("Question (English)"), max_length=300)
    tags = TagsField(
        label=_("Customer tags"),
        required=False,
        max_length=1300,
        help_text=_("Customers with any of these tags. Empty: any tags."),
    )
    organizations = forms.ModelMultipleChoiceField(
        label=_("Organizations"),
        queryset=Organization.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("Members of any of these organizations. None chosen: any organization."),
    )
    vip = forms.ChoiceField(label=_("VIP"), choices=VipFilter.choices, required=False)
    languages = forms.MultipleChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every language."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channel of last contact"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any channel."),
    )
    active_within_days = forms.IntegerField(
        label=_("With a ticket in the last (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_(
            "Only customers who opened at least one ticket in this many days. Empty: anyone."
        ),
    )
    sample_mode = forms.ChoiceField(
        label=_("Sample"), choices=SampleMode.choices, widget=forms.RadioSelect
    )
    sample_percent = forms.IntegerField(
        label=_("Percentage of the segment"), required=False, min_value=1, max_value=100
    )
    sample_count = forms.IntegerField(
        label=_("Number of customers"), required=False, min_value=1, max_value=1_000_000
    )
    throttle_per_hour = forms.IntegerField(
        label=_("Send at most (per hour)"),
        min_value=1,
        max_value=100_000,
        help_text=_("Spread over the hour, so replies do not all arrive at once."),
    )
    exclude_recent_days = forms.IntegerField(
        label=_("Skip customers asked for NPS in the last (days)"),
        min_value=0,
        max_value=3650,
        help_text=_("0: do not skip anyone for this reason."),
    )
    starts_at = forms.DateTimeField(
        label=_("Start sending at"),
        required=False,
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("Empty: as soon as the campaign is started."),
    )
    link_valid_days = forms.IntegerField(
        label=_("Links are valid for (days)"), min_value=1, max_value=365
    )
    change_window_hours = forms.IntegerField(
        label=_("An answer can be changed within (hours)"), min_value=0, max_value=8760
    )

    class Meta:
        model = NpsCampaign
        fields = [
            "name",
            "question_ja",
            "question_en",
            "tags",
            "organizations",
            "vip",
            "languages",
            "channels",
            "active_within_days",
            "sample_mode",
            "sample_percent",
            "sample_count",
            "throttle_per_hour",
            "exclude_recent_days",
            "starts_at",
            "link_valid_days",
            "change_window_hours",
        ]

    def clean(self):
        data = super().clean()
        mode = data.get("sample_mode")
        if mode == SampleMode.PERCENT and not data.get("sample_percent"):
            self.add_error("sample_percent", _("Give the percentage to survey."))
        if mode == SampleMode.COUNT and not data.get("sample_count"):
            self.add_error("sample_count", _("Give the number of customers to survey."))
        if mode != SampleMode.PERCENT:
            data["sample_percent"] = None
        if mode != SampleMode.COUNT:
            data["sample_count"] = None
        for name in ("name", "question_ja", "question_en"):
            value = (data.get(name) or "").replace("\x00", "").strip()
            if name in data and not value:
                self.add_error(name, _("This field is required."))
            data[name] = value
        return data


class NpsAnswerForm(forms.Form):
    """Scores outside 0–10 get the service's clear sentence, not a form error."""

    score = forms.IntegerField()
    comment = forms.CharField(required=False, max_length=2000)
