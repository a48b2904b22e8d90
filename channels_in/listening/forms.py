"""Forms of social listening: a monitor, and the feed's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import SocialAccount, SocialKind
from .models import ListeningMonitor, ListeningPostStatus

MAX_WORDS = 30


class MonitorForm(forms.ModelForm):
    class Meta:
        model = ListeningMonitor
        fields = [
            "name",
            "account",
            "keywords",
            "excluded_words",
            "language",
            "poll_interval_minutes",
            "active",
        ]
        widgets = {
            "keywords": forms.Textarea(attrs={"rows": 4}),
            "excluded_words": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = SocialAccount.objects.filter(kind=SocialKind.X).defer(
            "access_token_encrypted", "secret_encrypted"
        )
        self.fields["account"].empty_label = None

    def _words(self, name: str) -> str:
        lines = [w.strip() for w in self.cleaned_data.get(name, "").splitlines() if w.strip()]
        if len(lines) > MAX_WORDS:
            raise forms.ValidationError(_("At most %(n)s words.") % {"n": MAX_WORDS})
        if any(len(w) > 100 for w in lines):
            raise forms.ValidationError(_("A word is at most 100 characters."))
        return "\n".join(dict.fromkeys(lines))

    def clean_keywords(self) -> str:
        return self._words("keywords")

    def clean_excluded_words(self) -> str:
        return self._words("excluded_words")


SENTIMENTS = [
    ("", _("Any sentiment")),
    ("negative", _("Negative")),
    ("neutral", _("Neutral")),
    ("positive", _("Positive")),
]


class FeedFilterForm(forms.Form):
    monitor = forms.ModelChoiceField(
        label=_("Monitor"),
        queryset=ListeningMonitor.objects.order_by("name"),
        required=False,
        empty_label=_("All monitors"),
    )
    sentiment = forms.ChoiceField(label=_("Sentiment"), choices=SENTIMENTS, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Not dismissed")), *ListeningPostStatus.choices, ("all", _("All"))],
        required=False,
    )
    q = forms.CharField(label=_("Text contains"), max_length=100, required=False)
