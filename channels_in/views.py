"""Public inbound endpoints: the help-center contact form (the web-form channel)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from . import services
from .adapters.web import form_payload
from .forms import ContactForm


@require_http_methods(["GET", "POST"])
def contact_form(request, lang: str):
    translation.activate(lang)
    if request.method == "POST":
        form = ContactForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            services.record_inbound(
                kind="web",
                idempotency_key=f"form:{data['form_token']}",
                payload=form_payload(
                    name=data["name"],
                    email=data["email"],
                    subject=data["subject"],
                    message=data["message"],
                    language=lang,
                    attachments=data["attachments"],
                ),
                headers={"remote_addr": request.META.get("REMOTE_ADDR", "")},
            )
            return redirect("channels_in:contact_sent", lang=lang)
        status = 400
    else:
        form = ContactForm(initial={"form_token": secrets.token_urlsafe(24)})
        status = 200
    context = {
        "form": form,
        "lang": lang,
        "max_attachment_bytes": settings.MAX_ATTACHMENT_BYTES,
        "max_attachments": settings.MAX_ATTACHMENTS_PER_MESSAGE,
    }
    return render(request, "channels_in/contact.html", context, status=status)


def contact_sent(request, lang: str):
    translation.activate(lang)
    return render(request, "channels_in/contact_sent.html", {"lang": lang})
