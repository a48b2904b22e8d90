from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.models import User
from helpdesk.uploads import AttachmentsField

from .models import Priority, Status, Team


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

    def tag_names(self) -> list[str]:
        return [t for t in self.cleaned_data["tags"].replace("、", ",").split(",") if t.strip()]
