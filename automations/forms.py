"""Settings forms: every rule is checked here, so a bad one never reaches the engine."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.models import Role, User
from tickets.models import Channel, Priority, Status

from .models import (
    AssignmentMode,
    Automation,
    AutomationEvent,
    Product,
    RoutingRule,
    TeamAssignment,
    TimeBasis,
    TimeUnit,
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
            "set_product",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["set_product"].queryset = Product.objects.filter(active=True)

    def clean(self):
        data = super().clean()
        if not (data.get("set_team") or data.get("set_priority") or data.get("set_product")):
            raise forms.ValidationError(_("A rule must set a team, a priority or a product."))
        return data


MAX_TIME = timedelta(days=365)


class AutomationForm(forms.ModelForm):
    channels = _checks(Channel.choices, _("Channel is"))
    statuses = _checks(Status.choices, _("Status is"))
    priorities = _checks(Priority.choices, _("Priority is"))
    tags = ListField(label=_("Ticket has tag"), lower=True)
    without_tags = ListField(
        label=_("Ticket has none of the tags"),
        lower=True,
        help_text=_("Useful to fire once: add a tag as an action and exclude it here."),
    )
    keywords = ListField(label=_("Subject or message contains"), item_max=100)
    add_tags = ListField(label=_("Add tags"), lower=True)
    # 365 days in minutes: the largest amount any unit can take.
    time_amount = forms.IntegerField(
        label=_("At least"), min_value=0, max_value=525_600, required=False
    )

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
            "without_tags",
            "team",
            "assignee_is",
            "keywords",
            "time_basis",
            "time_amount",
            "time_unit",
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
        # Only time automations use a unit; the others keep the default.
        self.fields["time_unit"].required = False
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
            # Reported with the other problems, so one round trip shows them all.
            self.add_error(None, _("Choose at least one action."))
        data["time_unit"] = data.get("time_unit") or TimeUnit.HOURS
        if data.get("event") == AutomationEvent.TIME:
            self._clean_time(data)
        else:
            data["time_basis"], data["time_amount"] = "", None
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

    def _clean_time(self, data: dict) -> None:
        basis, amount = data.get("time_basis"), data.get("time_amount")
        if not basis and "time_basis" not in self.errors:
            self.add_error("time_basis", _("Choose what the time counts from."))
        if "time_amount" in self.errors:
            pass  # not a number, or out of range: already said
        elif amount is None:
            self.add_error("time_amount", _("Enter how much time must pass."))
        elif amount == 0 and basis != TimeBasis.SLA_BREACHED:
            self.add_error("time_amount", _("Enter at least 1."))
        elif timedelta(**{data.get("time_unit") or TimeUnit.HOURS: amount}) > MAX_TIME:
            self.add_error("time_amount", _("At most 365 days."))
        if data.get("keywords"):
            self.add_error(
                "keywords",
                _("Keywords look at the message that starts an event; time automations have none."),
            )
        if Status.CLOSED in (data.get("statuses") or []):
            self.add_error("statuses", _("Time automations never run on closed tickets."))
        if (
            basis == TimeBasis.STATUS
            and data.get("set_status")
            and data.get("statuses") == [data["set_status"]]
        ):
            self.add_error("set_status", _("The ticket already has this status."))


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
        fields = ["active", "mode", "match_language", "match_product"]


CAPACITY_CHANNELS = [Channel.CHAT, Channel.EMAIL, Channel.WEB, Channel.LINE, Channel.PHONE]


class AgentSettingsForm(forms.Form):
    languages = ListField(
        label=_("Languages"), item_max=10, lower=True, help_text=_("For example: ja, en")
    )

    products = forms.ModelMultipleChoiceField(
        label=_("Product skills"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, capacities: dict[str, int], defaults: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.filter(active=True)
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


TAG_FORBIDDEN = set(",、，") | {"\n", "\r", "\t"}


class ProductForm(forms.ModelForm):
    keywords = ListField(
        label=_("Keywords"),
        item_max=100,
        help_text=_(
            "A new ticket whose subject or first message contains one of them gets the "
            "product's tag. Separate with commas."
        ),
    )

    class Meta:
        model = Product
        fields = ["name", "tag", "keywords", "active"]

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_tag(self):
        tag = self.cleaned_data["tag"].strip().lower()
        if not tag:
            raise forms.ValidationError(_("Enter a tag."))
        if TAG_FORBIDDEN & set(tag):
            raise forms.ValidationError(_("A tag cannot contain commas or line breaks."))
        clash = Product.objects.filter(tag=tag).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another product already uses this tag."))
        return tag
