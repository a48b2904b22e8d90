from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Organization
from helpdesk.models import User
from helpdesk.uploads import AttachmentsField

from .models import AssigneeAction, Channel, Priority, Status, Team, ViewSort


class _DateInput(forms.DateInput):
    input_type = "date"


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    internal = forms.BooleanField(label=_("Internal note"), required=False)
    status = forms.ChoiceField(
        label=_("Submit as"),
        choices=[("", _("Keep status"))] + list(Status.choices),
        required=False,
    )
    attachments = AttachmentsField(label=_("Attachments"))

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachments"):
            raise forms.ValidationError(_("Write a message before sending."))
        return data


class TicketPropertiesForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    # Any user: whether they may hold tickets is the service's rule (update_ticket says why not).
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.filter(is_active=True), required=False
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=1000)
    # What the page showed when the agent started editing (hidden): a colleague's change made
    # meanwhile is kept, or reported as a conflict, never silently overwritten.
    base_status = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    base_priority = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    base_assignee = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    base_team = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    base_tags = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def tag_names(self) -> list[str]:
        return [t for t in self.cleaned_data["tags"].replace("、", ",").split(",") if t.strip()]

    def based_on(self) -> dict[str, object] | None:
        """The values the agent saw, or None from a client that does not send them."""
        data = self.cleaned_data
        if not data.get("base_status"):
            return None

        def an_id(value: str) -> int | None:
            return int(value) if value.isdecimal() and 0 < int(value) < 2**31 else None

        tags = data["base_tags"].replace("、", ",").split(",")
        return {
            "status": data["base_status"],
            "priority": data["base_priority"],
            "assignee": an_id(data["base_assignee"]),
            "team": an_id(data["base_team"]),
            "tags": sorted({t.strip().lower()[:60] for t in tags if t.strip()}),
        }


class CollisionFields(forms.Form):
    """The reply form's memory of what the agent had seen when they started writing."""

    seen_message = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    send_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)
    macros = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def macro_ids(self) -> list[int]:
        raw = self.cleaned_data.get("macros") or ""
        return [int(part) for part in raw.split(",") if part.strip().isdecimal()][:10]


def _split_words(value: str) -> list[str]:
    return [part.strip() for part in value.replace("、", ",").split(",") if part.strip()]


class SavedViewForm(forms.Form):
    """The view editor: every filter is optional; values of one filter are ORed."""

    name = forms.CharField(label=_("Name"), max_length=80)
    shared = forms.BooleanField(label=_("Share with every agent"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"), choices=ViewSort.choices, initial=ViewSort.UPDATED_DESC
    )
    status = forms.MultipleChoiceField(
        label=_("Status"),
        choices=Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = forms.MultipleChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channel = forms.MultipleChoiceField(
        label=_("Channel"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    team = forms.MultipleChoiceField(label=_("Team"), required=False)
    assignee = forms.MultipleChoiceField(label=_("Assignee"), required=False)
    tags = forms.CharField(
        label=_("Any of these tags"),
        required=False,
        max_length=1000,
        help_text=_("Separate tags with commas."),
    )
    customer = forms.IntegerField(
        label=_("Customer number"), required=False, min_value=1, max_value=2**31 - 1
    )
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.order_by("name"), required=False
    )
    created_after = forms.DateField(label=_("Created from"), required=False, widget=_DateInput)
    created_before = forms.DateField(label=_("Created until"), required=False, widget=_DateInput)
    updated_after = forms.DateField(label=_("Updated from"), required=False, widget=_DateInput)
    updated_before = forms.DateField(label=_("Updated until"), required=False, widget=_DateInput)

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("none", _("No team"))] + [
            (str(team.pk), team.name) for team in Team.objects.order_by("name")
        ]
        self.fields["assignee"].choices = [("me", _("Me")), ("none", _("Unassigned"))] + [
            (str(user.pk), user.display_name)
            for user in User.objects.filter(
                is_active=True, role__in=["admin", "manager", "agent", "light_agent"]
            ).order_by("name", "email")
        ]
        if viewer is not None and not viewer.can_manage:
            self.fields["shared"].disabled = True
            self.fields["shared"].help_text = _("Only managers and admins can share views.")

    def filters(self) -> dict:
        data = self.cleaned_data
        filters: dict = {
            key: data[key]
            for key in ("status", "priority", "channel", "team", "assignee")
            if data[key]
        }
        if tags := _split_words(data["tags"]):
            filters["tags"] = tags
        if data["customer"]:
            filters["customer"] = data["customer"]
        if data["organization"]:
            filters["organization"] = data["organization"].pk
        for key in ("created_after", "created_before", "updated_after", "updated_before"):
            if data[key]:
                filters[key] = data[key].isoformat()
        return filters

    @classmethod
    def initial_for(cls, view) -> dict:
        filters = dict(view.filters)
        initial = {"name": view.name, "shared": view.shared, "sort": view.sort}
        for key in ("status", "priority", "channel"):
            initial[key] = filters.get(key, [])
        for key in ("team", "assignee"):
            initial[key] = [str(value) for value in filters.get(key, [])]
        initial["tags"] = ", ".join(filters.get("tags", []))
        for key in ("customer", "organization"):
            initial[key] = filters.get(key)
        for key in ("created_after", "created_before", "updated_after", "updated_before"):
            initial[key] = filters.get(key)
        return initial


class MacroForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    body = forms.CharField(
        label=_("Reply text"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    body_ja = forms.CharField(
        label=_("Japanese reply text"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Inserted for customers whose language is Japanese. Optional."),
    )
    body_en = forms.CharField(
        label=_("English reply text"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Inserted for customers whose language is English. Optional."),
    )
    internal = forms.BooleanField(label=_("Add as an internal note"), required=False)
    shared = forms.BooleanField(label=_("Share with every agent"), required=False)
    set_status = forms.ChoiceField(
        label=_("Set status"),
        choices=[("", _("Leave as is"))] + list(Status.choices),
        required=False,
    )
    set_priority = forms.ChoiceField(
        label=_("Set priority"),
        choices=[("", _("Leave as is"))] + list(Priority.choices),
        required=False,
    )
    add_tags = forms.CharField(
        label=_("Add tags"),
        required=False,
        max_length=1000,
        help_text=_("Separate tags with commas."),
    )
    assignee_action = forms.ChoiceField(
        label=_("Assign to"), choices=AssigneeAction.choices, required=False
    )
    assignee = forms.ModelChoiceField(
        label=_("Agent"), queryset=User.objects.filter(is_active=True), required=False
    )
    team = forms.ModelChoiceField(label=_("Set team"), queryset=Team.objects.all(), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(
            is_active=True, role__in=["admin", "manager", "agent"]
        ).order_by("name", "email")
        if viewer is not None and not viewer.can_manage:
            self.fields["shared"].disabled = True
            self.fields["shared"].help_text = _("Only managers and admins can share macros.")

    def tag_names(self) -> list[str]:
        return _split_words(self.cleaned_data["add_tags"])


class BulkForm(forms.Form):
    tickets = forms.CharField(max_length=5000)
    status = forms.ChoiceField(choices=[("", "")] + list(Status.choices), required=False)
    priority = forms.ChoiceField(choices=[("", "")] + list(Priority.choices), required=False)
    assignee = forms.CharField(required=False, max_length=20)  # "", "none" or a user id
    team = forms.CharField(required=False, max_length=20)  # "", "none" or a team id
    add_tags = forms.CharField(required=False, max_length=1000)
    # The spam buttons submit the same selection with an action instead of property changes.
    action = forms.ChoiceField(
        choices=[("", ""), ("spam", "spam"), ("spam_block", "spam_block")], required=False
    )

    def clean_tickets(self) -> list[int]:
        parts = [p.strip() for p in self.cleaned_data["tickets"].split(",") if p.strip()]
        if not parts or not all(p.isdecimal() and 0 < int(p) < 2**31 for p in parts):
            raise forms.ValidationError(_("Select at least one ticket."))
        return [int(p) for p in parts]

    def _pick(self, name: str, model):
        value = self.cleaned_data[name].strip()
        if not value:
            return False
        if value == "none":
            return None
        if not value.isdecimal():
            raise forms.ValidationError(_("Unknown choice."))
        found = model.objects.filter(pk=int(value)).first()
        if found is None:
            raise forms.ValidationError(_("That choice no longer exists."))
        return found

    def changes(self) -> dict:
        data = self.cleaned_data
        return {
            "status": data["status"] or None,
            "priority": data["priority"] or None,
            "assignee": self._pick("assignee", User),
            "team": self._pick("team", Team),
            "add_tags": _split_words(data["add_tags"]),
        }


class MergeForm(forms.Form):
    target = forms.IntegerField(
        label=_("Merge into ticket number"), min_value=1, max_value=2**31 - 1
    )


class SplitForm(forms.Form):
    """Which messages move to the new ticket (ids checked on the ticket page) and its subject."""

    messages = forms.TypedMultipleChoiceField(
        label=_("Messages to move"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    subject = forms.CharField(
        label=_("Subject of the new ticket"),
        required=False,
        max_length=300,
        help_text=_("Leave empty to keep the current subject."),
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["messages"].choices = list(choices)
        self.fields["messages"].error_messages["required"] = _(
            "Select the messages to move to the new ticket."
        )


class SpamForm(forms.Form):
    block = forms.BooleanField(required=False)
