"""Forms of the staff pages and the public answer pages: shape checks only; rules live in the
services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import Team

from .models import (
    FeedbackItem,
    FollowUpKind,
    FollowUpTemplate,
    ItemStatus,
    SurveySettings,
)

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class RatingForm(forms.Form):
    """The customer's answer; `rating` and `reason` are checked against the survey by the
    service, so a hand-made POST with another value gets the same clear message."""

    rating = forms.IntegerField(min_value=0, max_value=5)
    reason = forms.CharField(required=False, max_length=200)
    comment = forms.CharField(
        label=_("Anything you would like to add? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
    )


class FixedForm(forms.Form):
    fixed = forms.ChoiceField(choices=[("yes", "yes"), ("no", "no")])


class PersonalFollowUpForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What should happen"),
        choices=[
            (FollowUpKind.REMIND, _("Remind me (internal note)")),
            (FollowUpKind.SEND, _("Send this message to the customer")),
        ],
    )
    due_at = forms.DateTimeField(
        label=_("When"),
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    body = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ItemCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ItemLinkForm(forms.Form):
    item = forms.ModelChoiceField(
        label=_("Feedback item"),
        queryset=FeedbackItem.objects.exclude(status__in=("done", "declined")),
        empty_label=_("Choose an item…"),
    )


class ItemUpdateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=ItemStatus.choices)
    public_note = forms.CharField(
        label=_("Public note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What we did (or why not). Every linked customer gets it once, on their channel, "
            "when the item becomes done or declined."
        ),
    )


class SurveySettingsForm(forms.ModelForm):
    class Meta:
        model = SurveySettings
        fields = [
            "enabled",
            "scale",
            "delay_minutes",
            "resurvey_days",
            "link_valid_days",
            "change_window_hours",
            "question_ja",
            "question_en",
            "reasons_ja",
            "reasons_en",
            "bad_reopen",
            "bad_notify",
            "bad_tag",
        ]
        widgets = {
            "reasons_ja": forms.Textarea(attrs={"rows": 4}),
            "reasons_en": forms.Textarea(attrs={"rows": 4}),
        }

    def clean(self):
        data = super().clean()
        ja = [line for line in (data.get("reasons_ja") or "").splitlines() if line.strip()]
        en = [line for line in (data.get("reasons_en") or "").splitlines() if line.strip()]
        if len(ja) != len(en):
            raise forms.ValidationError(
                _("Give the same number of reasons in Japanese and in English.")
            )
        for field in ("link_valid_days", "resurvey_days"):
            if (data.get(field) or 0) > 3650:
                self.add_error(field, _("Choose at most 3650 days."))
        if data.get("link_valid_days") == 0:
            self.add_error("link_valid_days", _("Links must be valid for at least one day."))
        return data


class FollowUpTemplateForm(forms.ModelForm):
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_("Every team"),
    )

    class Meta:
        model = FollowUpTemplate
        fields = ["name", "team", "channel", "delay_days", "body_ja", "body_en", "active"]
        widgets = {
            "body_ja": forms.Textarea(attrs={"rows": 3}),
            "body_en": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_delay_days(self):
        days = self.cleaned_data["delay_days"]
        if not 1 <= days <= 365:
            raise forms.ValidationError(_("Choose between 1 and 365 days."))
        return days
