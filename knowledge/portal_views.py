"""“My requests” pages: a signed-in customer's tickets, the public conversation, a reply box."""

from __future__ import annotations

import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation as i18n
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from helpdesk.uploads import AttachmentsField, as_incoming
from tickets.downloads import attachment_response

from . import portal
from .caching import private_page
from .seo import PageMeta, same_page_in_every_language

PAGE_SIZE = 20


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your reply"),
        max_length=portal.MAX_REPLY_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    attachments = AttachmentsField(label=gettext_lazy("Attachments"))
    # One token per rendered form: a double submit files one reply, not two.
    reply_token = forms.CharField(widget=forms.HiddenInput, min_length=16, max_length=64)


def _meta(request: HttpRequest, lang: str, title: str, url_name: str, **kwargs) -> PageMeta:
    return PageMeta(
        title=title,
        description="",
        language=lang,
        path=request.path,
        noindex=True,
        switch=same_page_in_every_language(url_name, lang, **kwargs),
    )


@login_required
@require_http_methods(["GET"])
def request_list(request: HttpRequest, lang: str) -> HttpResponse:
    i18n.activate(lang)
    access = portal.portal_access(request.user)
    page = Paginator(portal.customer_tickets(access), PAGE_SIZE).get_page(request.GET.get("page"))
    meta = _meta(request, lang, _("My requests"), "knowledge:requests")
    context = {
        "lang": lang,
        "meta": meta,
        "language_urls": meta.switch,
        "access": access,
        "page": page,
        "own_ids": access.customer_ids,
        "statuses": portal.CUSTOMER_STATUS,
    }
    return private_page(render(request, "knowledge/portal/list.html", context))


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, lang: str, pk: int) -> HttpResponse:
    i18n.activate(lang)
    access = portal.portal_access(request.user)
    ticket = portal.customer_ticket(access, pk)
    attachment_id = request.GET.get("file", "")
    if request.method == "GET" and attachment_id.isdecimal():
        return attachment_response(portal.customer_attachment(access, pk, int(attachment_id)))
    status = 200
    if request.method == "POST":
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                portal.reply_as_customer(
                    access=access,
                    ticket=ticket,
                    user=request.user,
                    body=form.cleaned_data["body"],
                    reply_token=form.cleaned_data["reply_token"],
                    attachments=tuple(as_incoming(form.cleaned_data["attachments"])),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your reply has been sent."))
                return redirect("knowledge:request", lang=lang, pk=pk)
        status = 400
    else:
        form = ReplyForm(initial={"reply_token": secrets.token_urlsafe(24)})
    meta = _meta(request, lang, ticket.subject, "knowledge:request", pk=pk)
    context = {
        "lang": lang,
        "meta": meta,
        "language_urls": meta.switch,
        "ticket": ticket,
        "conversation": portal.public_conversation(ticket),
        "form": form,
        "customer_status": portal.CUSTOMER_STATUS.get(ticket.status, "open"),
        "can_reply": portal.can_reply(ticket) and access.owns(ticket),
        "own": access.owns(ticket),
        "max_attachment_bytes": settings.MAX_ATTACHMENT_BYTES,
        "max_attachments": settings.MAX_ATTACHMENTS_PER_MESSAGE,
    }
    return private_page(render(request, "knowledge/portal/detail.html", context, status=status))
