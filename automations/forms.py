"""Settings forms: every rule is checked here, so a bad one never reaches the engine."""

from __future__ import annotations

import secrets

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.models import Role, User
from tickets.models import Channel, Priority, Status

from .models import (
    AssignmentMode,
    Automation,
    RoutingRule,
    TeamAssignment,
    WebhookEndpoint,
)

MAX_ITEMS = 50


class ListField(forms.CharField):
    """Comma- or newline-separated words (、 and ， count as commas for Japanese input)."""

    def __init__(self, *, item_max: int = 60, lower: bool = False, **kwargs):
        self.item_max = item_max
        self.lower = lower
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 4000)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def clean(self, value):
        text = super().clean(value) or ""
        for sep in ("、", "，", "\n"):
            text = text.replace(sep, ",")
        items: list[str] = []
        for raw in text.split(","):
            item = raw.strip()
            if self.lower:
                item = item.lower()
            if not item or item in items:
                continue
            if len(item) > self.item_max:
                raise forms.ValidationError(
                    _("“%(item)s” is too long (at most %(max)d characters)."),
                    params={"item": item[:40], "max": self.item_max},
                )
            items.append(item)
        if len(items) > MAX_ITEMS:
            raise forms.ValidationError(_("At most %(max)d entries."), params={"max": MAX_ITEMS})
        return items


def _checks(choices, label):
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


def assignable_staff():
    return User.objects.filter(
        is_active=True, role__in=(Role.ADMIN, Role.MANAGER, Role.AGENT)
    ).order_by("name", "email")


class RoutingRuleForm(forms.ModelForm):
    channels = _checks(Channel.choices, _("Channels"))
    keywords = ListField(
        label=_("Keywords in subject or message"),
        item_max=100,
        help_text=_("Separate with commas. Any one of them matches (full/half width ignored)."),
    )
    customer_tags = ListField(label=_("Customer tags"), help_text=_("Any one of them matches."))
    languages = ListField(
        label=_("Customer languages"),
        item_max=10,
        lower=True,
        help_text=_("Language codes such as ja, en."),
    )

    class Meta:
        model = RoutingRule
        fields = [
            "name",
            "position",
            "active",
            "channels",
            "keywords",
            "customer_tags",
            "vip_only",
            "languages",
            "set_team",
            "set_priority",
        ]

    def clean(self):
        data = super().clean()
        if not data.get("set_team") and not data.get("set_priority"):
            raise forms.ValidationError(_("A rule must set a team, a priority or both."))
        return data


class AutomationForm(forms.ModelForm):
    channels = _checks(Channel.choices, _("Channel is"))
    statuses = _checks(Status.choices, _("Status is"))
    priorities = _checks(Priority.choices, _("Priority is"))
    tags = ListField(label=_("Ticket has tag"), lower=True)
    keywords = ListField(label=_("Subject or message contains"), item_max=100)
    add_tags = ListField(label=_("Add tags"), lower=True)

    class Meta:
        model = Automation
        fields = [
            "name",
            "position",
            "active",
            "event",
            "channels",
            "statuses",
            "priorities",
            "tags",
            "team",
            "keywords",
            "set_priority",
            "set_status",
            "set_team",
            "assign_to",
            "add_tags",
            "notify_text",
            "reply_text",
            "webhook",
        ]
        widgets = {"reply_text": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "reply_text": _(
                "Sent as a message from the helpdesk, never to machine-sent mail or blocked "
                "customers. Placeholders: {{ticket.id}}, {{ticket.subject}}, {{customer.name}}."
            ),
            "notify_text": _("Shown live to agents with the inbox open."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assign_to"].queryset = assignable_staff()
        self.fields["webhook"].queryset = WebhookEndpoint.objects.filter(active=True)

    def clean(self):
        data = super().clean()
        actions = (
            "set_priority",
            "set_status",
            "set_team",
            "assign_to",
            "add_tags",
            "notify_text",
            "reply_text",
            "webhook",
        )
        if not any(data.get(name) for name in actions):
            raise forms.ValidationError(_("Choose at least one action."))
        if (
            data.get("event") == "status_changed"
            and data.get("set_status")
            and data.get("set_status") in (data.get("statuses") or [data["set_status"]])
        ):
            self.add_error(
                "set_status",
                _(
                    "This would set the status it reacts to; pick a status condition that "
                    "differs from the status it sets."
                ),
            )
        return data


def _https_by_default(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class WebhookForm(forms.ModelForm):
    class Meta:
        model = WebhookEndpoint
        formfield_callback = _https_by_default
        fields = ["name", "url", "secret", "active"]
        help_texts = {
            "secret": _(
                "Leave empty to generate one. Requests carry X-Madoguchi-Signature: "
                "sha256=HMAC of “timestamp.body”."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secret"].required = False

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Use an http:// or https:// address."))
        return url

    def clean_secret(self):
        secret = (self.cleaned_data.get("secret") or "").strip()
        if not secret:
            return self.instance.secret or secrets.token_urlsafe(32)
        if len(secret) < 16:
            raise forms.ValidationError(_("Use at least 16 characters."))
        return secret


class TeamAssignmentForm(forms.ModelForm):
    mode = forms.ChoiceField(label=_("Method"), choices=AssignmentMode.choices)

    class Meta:
        model = TeamAssignment
        fields = ["active", "mode", "match_language"]


CAPACITY_CHANNELS = [Channel.CHAT, Channel.EMAIL, Channel.WEB, Channel.LINE, Channel.PHONE]


class AgentSettingsForm(forms.Form):
    languages = ListField(
        label=_("Languages"), item_max=10, lower=True, help_text=_("For example: ja, en")
    )

    def __init__(self, *args, capacities: dict[str, int], defaults: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        for channel in CAPACITY_CHANNELS:
            self.fields[f"cap_{channel}"] = forms.IntegerField(
                label=_("%(channel)s at most") % {"channel": channel.label},
                min_value=0,
                max_value=500,
                required=False,
                initial=capacities.get(channel),
                help_text=_("Empty: %(n)d") % {"n": defaults[channel]},
            )

    def capacities(self) -> dict[str, int | None]:
        return {ch: self.cleaned_data.get(f"cap_{ch}") for ch in CAPACITY_CHANNELS}
