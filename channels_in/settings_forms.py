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
