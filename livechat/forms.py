"""The chat channel form of the settings pages. The identity secret is write-only."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ChatChannel, normalize_origin


class ChatChannelForm(forms.ModelForm):
    class Meta:
        model = ChatChannel
        fields = [
            "name",
            "brand_color",
            "position",
            "greeting_ja",
            "greeting_en",
            "ask_name",
            "ask_email",
            "allowed_origins",
            "active",
            "offer_timeout",
            "bot_enabled",
        ]
        help_texts = {
            "name": _("Shown to agents only, e.g. “Online shop”."),
            "greeting_ja": _("The first thing visitors read, e.g. “ご用件をお聞かせください”."),
            "greeting_en": _("Shown to visitors whose browser prefers English."),
            "active": _("An inactive channel hides the widget on every site."),
        }
        widgets = {
            "brand_color": forms.TextInput(attrs={"type": "color"}),
            "allowed_origins": forms.Textarea(
                attrs={"rows": 3, "spellcheck": "false", "placeholder": "https://shop.example.com"}
            ),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Left out (an older form, an API-like post): the model's default.
        self.fields["offer_timeout"].required = False

    def clean_offer_timeout(self) -> int:
        value = self.cleaned_data.get("offer_timeout")
        return value if value is not None else ChatChannel._meta.get_field("offer_timeout").default

    def clean_allowed_origins(self) -> str:
        lines = [line.strip() for line in self.cleaned_data["allowed_origins"].splitlines()]
        origins = []
        for line in filter(None, lines):
            origin = normalize_origin(line)
            if not origin or not origin.startswith(("http://", "https://")):
                raise forms.ValidationError(
                    _("“%(value)s” is not a site address like https://shop.example.com.")
                    % {"value": line[:100]}
                )
            origins.append(origin)
        return "\n".join(dict.fromkeys(origins))

    def clean_brand_color(self) -> str:
        return self.cleaned_data["brand_color"].lower()
