"""The mailbox form of the settings pages. The password is write-only: never rendered back."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AfterImport, MailAccount, MailProtocol, MailSecurity

# The ports everybody uses; a blank port field means "the usual one".
USUAL_PORTS = {
    (MailProtocol.IMAP, MailSecurity.SSL): 993,
    (MailProtocol.IMAP, MailSecurity.STARTTLS): 143,
    (MailProtocol.IMAP, MailSecurity.NONE): 143,
    (MailProtocol.POP3, MailSecurity.SSL): 995,
    (MailProtocol.POP3, MailSecurity.STARTTLS): 110,
    (MailProtocol.POP3, MailSecurity.NONE): 110,
}


class MailAccountForm(forms.ModelForm):
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = MailAccount
        fields = [
            "name",
            "protocol",
            "host",
            "port",
            "security",
            "username",
            "folder",
            "after_import",
            "move_to",
            "poll_interval_seconds",
            "active",
        ]
        help_texts = {
            "name": _("Shown to admins only, e.g. “Support (ja)”."),
            "host": _("For example imap.example.com."),
            "port": _("Leave empty for the usual port (IMAP 993 / 143, POP3 995 / 110)."),
            "folder": _("IMAP only. Usually INBOX."),
            "move_to": _("IMAP only, when imported mail is moved. The folder must exist."),
            "poll_interval_seconds": _("At least 10 seconds."),
            "active": _("Inactive mailboxes are not polled."),
        }
        widgets = {
            "host": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "username": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["port"].required = False
        self.fields["folder"].required = False
        editing = self.instance.pk is not None and bool(self.instance.password_encrypted)
        self.fields["password"].help_text = (
            _("Stored encrypted and never shown again. Leave empty to keep the current one.")
            if editing
            else _("Stored encrypted and never shown again.")
        )
        self.fields["password"].required = not editing
        self.fields["password"].error_messages["required"] = _("Enter the mailbox password.")

    def clean(self) -> dict:
        data = super().clean()
        protocol, security = data.get("protocol"), data.get("security")
        if not data.get("port") and (protocol, security) in USUAL_PORTS:
            data["port"] = USUAL_PORTS[(protocol, security)]
            self.instance.port = data["port"]
        data["folder"] = (data.get("folder") or "").strip() or "INBOX"
        self.instance.folder = data["folder"]
        self._check_after_import(data)
        return data

    def _check_after_import(self, data: dict) -> None:
        action, move_to = data.get("after_import"), (data.get("move_to") or "").strip()
        if action == AfterImport.MOVE and data.get("protocol") == MailProtocol.POP3:
            self.add_error(
                "after_import", _("POP3 has no folders: choose another action after import.")
            )
        elif action == AfterImport.MOVE and not move_to:
            self.add_error("move_to", _("Name the folder imported mail is moved to."))
        elif action == AfterImport.MOVE and move_to == data.get("folder"):
            self.add_error("move_to", _("Choose a folder other than the one that is polled."))


# --- social accounts ------------------------------------------------------------------------


class SocialAccountForm(forms.ModelForm):
    """One connected account; the fields shown depend on its kind. Token and secret are
    write-only, like the mailbox password."""

    access_token = forms.CharField(
        required=False,
        strip=True,
        max_length=4000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    secret = forms.CharField(
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        from .models import SocialAccount

        model = SocialAccount
        fields = [
            "name",
            "external_id",
            "api_user",
            "api_base_url",
            "template_name",
            "template_language",
            "use_human_agent_tag",
            "poll_enabled",
            "active",
        ]
        widgets = {
            "external_id": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "api_user": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        from .social_accounts import spec_for

        super().__init__(*args, **kwargs)
        spec = spec_for(self.instance.kind)
        self.spec = spec
        fields = self.fields
        fields["name"].help_text = _("Shown to agents beside the channel, e.g. “Shop LINE”.")
        fields["external_id"].label = spec.external_id_label
        fields["external_id"].help_text = spec.external_id_help
        fields["api_base_url"].required = False
        fields["api_base_url"].help_text = _(
            "Leave empty for %(url)s. Change it only for a proxy or a test server."
        ) % {"url": spec.base_url}
        fields["active"].help_text = _("Inactive accounts refuse webhooks and send nothing.")
        editing = self.instance.pk is not None
        fields["access_token"].label = spec.token_label
        has_token = editing and bool(self.instance.access_token_encrypted)
        fields["access_token"].help_text = self._secret_help(spec.token_help, has_token)
        fields["access_token"].required = not has_token
        fields["access_token"].error_messages["required"] = _("Enter the %(what)s.") % {
            "what": spec.token_label
        }
        if spec.secret_label:
            fields["secret"].label = spec.secret_label
            has_secret = editing and bool(self.instance.secret_encrypted)
            fields["secret"].help_text = self._secret_help(spec.secret_help, has_secret)
            fields["secret"].required = not has_secret and not spec.generated_secret
            fields["secret"].error_messages["required"] = _("Enter the %(what)s.") % {
                "what": spec.secret_label
            }
        else:
            del fields["secret"]
        if spec.api_user_label:
            fields["api_user"].label = spec.api_user_label
            fields["api_user"].required = True
        else:
            del fields["api_user"]
        if self.instance.kind in ("messenger", "instagram", "whatsapp", "sms", "phone"):
            fields["external_id"].required = True
        if not spec.uses_template:
            del fields["template_name"], fields["template_language"]
        else:
            fields["template_name"].help_text = _(
                "An approved template with one body variable {{1}}. Empty: replies are "
                "refused once the 24-hour window has closed."
            )
            fields["template_language"].help_text = _("Its language code, e.g. ja or en_US.")
        if not spec.uses_human_agent_tag:
            del fields["use_human_agent_tag"]
        else:
            fields["use_human_agent_tag"].help_text = _(
                "Lets agents answer up to 7 days after the customer's last message, as Meta "
                "allows for human support. Off: replies stop after 24 hours."
            )

        if self.instance.kind != "x":
            del fields["poll_enabled"]
        else:
            fields["poll_enabled"].help_text = _(
                "For X plans without the Account Activity webhook: mentions and direct "
                "messages are fetched every couple of minutes, from where the last poll "
                "stopped."
            )

    @staticmethod
    def _secret_help(text, stored: bool) -> str:
        suffix = (
            _("Stored encrypted and never shown again. Leave empty to keep the stored value.")
            if stored
            else _("Stored encrypted and never shown again.")
        )
        return f"{text} {suffix}".strip()

    def clean_api_base_url(self) -> str:
        url = (self.cleaned_data.get("api_base_url") or "").strip().rstrip("/")
        return url or self.spec.base_url


class CallLogForm(forms.Form):
    """A phone call an agent had: logged on a ticket or as a new one."""

    from .phone import CallDirection, CallOutcome

    direction = forms.ChoiceField(
        label=_("Direction"), choices=CallDirection.choices, initial=CallDirection.INBOUND
    )
    number = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=600, initial=0)
    seconds = forms.IntegerField(label=_("Seconds"), min_value=0, max_value=59, initial=0)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=CallOutcome.choices, initial=CallOutcome.RESOLVED
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip()
        allowed = set("+0123456789 -().")
        digits = sum(ch.isdecimal() for ch in number)
        if not set(number) <= allowed or digits < 3 or "+" in number[1:]:
            raise forms.ValidationError(
                _("Enter a phone number: digits, spaces, dashes and a leading + only.")
            )
        return number

    def clean(self) -> dict:
        data = super().clean()
        data["duration_seconds"] = (data.get("minutes") or 0) * 60 + (data.get("seconds") or 0)
        return data
