"""Forms of the customer pages: they parse and check input; services do the rest."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from helpdesk.models import STAFF_ROLES, User

from .audit import AccessFilter
from .import_files import MAX_IMPORT_BYTES
from .models import AccessAction, CustomFieldKind, ShopPlatform


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


class EraseForm(forms.Form):
    confirmation = forms.CharField(
        label=_("Type the customer's name to confirm"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ShopConnectionForm(forms.Form):
    platform = forms.ChoiceField(label=_("Platform"), choices=ShopPlatform.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    api_base_url = forms.URLField(
        assume_scheme="https",
        label=_("API base URL"),
        required=False,
        max_length=300,
        help_text=_(
            "Shopify: https://your-shop.myshopify.com. BASE: leave empty for https://api.thebase.in."
        ),
    )
    api_version = forms.CharField(
        label=_("API version"),
        required=False,
        max_length=20,
        help_text=_("Shopify Admin API version, e.g. 2025-01."),
    )
    access_token = forms.CharField(
        label=_("Access token"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Stored encrypted. Leave empty to keep the stored one."),
    )
    secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Shopify: signs the webhooks. BASE: used to refresh the token. Stored encrypted."
        ),
    )
    client_id = forms.CharField(label=_("Client ID (BASE)"), required=False, max_length=200)
    refresh_token = forms.CharField(
        label=_("Refresh token (BASE)"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    redirect_uri = forms.URLField(
        assume_scheme="https", label=_("Redirect URI (BASE)"), required=False, max_length=300
    )

    def clean(self):
        data = super().clean()
        if data.get("platform") == ShopPlatform.SHOPIFY and not data.get("api_base_url"):
            self.add_error(
                "api_base_url", _("Give the shop's address, e.g. https://your-shop.myshopify.com.")
            )
        return data


class CustomFieldForm(forms.Form):
    key = forms.SlugField(
        label=_("Key"),
        max_length=50,
        help_text=_("Used in the API and in filters, e.g. member_rank. Cannot be changed later."),
    )
    label = forms.CharField(label=_("Label"), max_length=100)
    kind = forms.ChoiceField(label=_("Type"), choices=CustomFieldKind.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the choice type: one per line."),
    )
    sensitive = forms.BooleanField(label=_("Sensitive: masked for light agents"), required=False)
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("key", "kind"):
                self.fields[name].disabled = True

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


def customer_fields_form(fields, data=None, initial=None) -> forms.Form:
    """A form with one input per active custom field, typed by the field's kind."""
    form = forms.Form(data, initial=initial, prefix="cf")
    for field in fields:
        if field.kind == CustomFieldKind.CHECKBOX:
            widget_field = forms.BooleanField(label=field.label, required=False)
        elif field.kind == CustomFieldKind.CHOICE:
            widget_field = forms.ChoiceField(
                label=field.label,
                required=False,
                choices=[("", "—"), *((c, c) for c in field.choices)],
            )
        elif field.kind == CustomFieldKind.DATE:
            widget_field = forms.CharField(
                label=field.label, required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
        elif field.kind == CustomFieldKind.NUMBER:
            widget_field = forms.CharField(
                label=field.label,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )
        else:
            widget_field = forms.CharField(label=field.label, required=False, max_length=1000)
        form.fields[field.key] = widget_field
    return form
