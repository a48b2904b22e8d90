"""Forms of the customer pages: they parse and check input; services do the rest."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from helpdesk.models import STAFF_ROLES, User

from .audit import AccessFilter
from .import_files import MAX_IMPORT_BYTES
from .models import AccessAction


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search customers"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, email address or channel handle…")}
        ),
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Only staff can see notes.")}),
    )
    pinned = forms.BooleanField(
        label=_("Pin: show on every ticket of this customer"), required=False
    )


class NotePinForm(forms.Form):
    pinned = forms.BooleanField(required=False)


class BlockForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("Their new messages are kept but open no tickets and notify nobody."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class OrderImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Formatted per request, so the help text follows the viewer's language.
        self.fields["file"].help_text = _("UTF-8 or Shift_JIS, at most %(size)s.") % {
            "size": filesizeformat(MAX_IMPORT_BYTES)
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; import at most %(limit)s at a time.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_IMPORT_BYTES)}
            )
        return upload


class ImportConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=2000)


class AccessLogFilterForm(forms.Form):
    customer = forms.IntegerField(label=_("Customer number"), required=False, min_value=1)
    actor = forms.ModelChoiceField(
        label=_("Staff member"),
        required=False,
        empty_label=_("Anyone"),
        queryset=User.objects.filter(role__in=STAFF_ROLES).order_by("name", "email"),
    )
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any action")), *AccessAction.choices]
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def access_filter(self) -> AccessFilter:
        data = self.cleaned_data if self.is_valid() else {}
        actor = data.get("actor")
        return AccessFilter(
            customer_id=data.get("customer"),
            actor_id=actor.pk if actor else None,
            action=data.get("action", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
