from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.uploads import AttachmentsField


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Email address"), max_length=254)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    message = forms.CharField(
        label=_("How can we help?"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 8})
    )
    attachments = AttachmentsField(label=_("Attachments"))
    # One token per rendered form: a double click or a resubmit is recognised, not re-filed.
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64, min_length=16)

    def clean_subject(self):
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise forms.ValidationError(_("Please enter a subject."))
        return subject

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise forms.ValidationError(_("Please write your message."))
        return message
