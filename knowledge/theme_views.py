"""Admins set the help center's look; every help-center page links the generated stylesheet."""

from __future__ import annotations

import hashlib

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from helpdesk.models import Role

from .images import store_article_image
from .models import HelpCenterTheme
from .permissions import manager_required
from .theme import check_colour, current_theme, parse_links, save_theme, theme_css


class ThemeForm(forms.Form):
    brand_name = forms.CharField(label=gettext_lazy("Brand name"), required=False, max_length=60)
    accent_color = forms.CharField(
        label=gettext_lazy("Accent colour"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=gettext_lazy("Buttons and links. Dark enough for white text."),
    )
    header_color = forms.CharField(
        label=gettext_lazy("Header colour"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    logo = forms.FileField(
        label=gettext_lazy("Logo"),
        required=False,
        help_text=gettext_lazy("PNG, JPEG, GIF or WebP, at most 5 MB."),
    )
    remove_logo = forms.BooleanField(label=gettext_lazy("Remove the logo"), required=False)
    header_links = forms.CharField(
        label=gettext_lazy("Header links"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One a line: “Label | https://…” or “Label | /path”."),
    )

    def clean_accent_color(self) -> str:
        return check_colour(self.cleaned_data["accent_color"])

    def clean_header_color(self) -> str:
        return check_colour(self.cleaned_data["header_color"])

    def clean_header_links(self) -> str:
        parse_links(self.cleaned_data["header_links"])
        return self.cleaned_data["header_links"]


@require_http_methods(["GET", "POST"])
@manager_required
def theme_settings(request: HttpRequest) -> HttpResponse:
    if request.user.role != Role.ADMIN:
        raise PermissionDenied  # the look of the public site is an admin's call
    row = HelpCenterTheme.objects.filter(pk=1).first()
    initial = {"accent_color": "#2a5bd7", "header_color": "#18202e"}
    if row is not None:
        initial = {
            "brand_name": row.brand_name,
            "header_links": row.header_links,
            "accent_color": row.accent_color or initial["accent_color"],
            "header_color": row.header_color or initial["header_color"],
        }
    form = ThemeForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            logo = (
                store_article_image(upload=data["logo"], uploaded_by=request.user)
                if data["logo"]
                else None
            )
            save_theme(
                brand_name=data["brand_name"],
                accent_color=data["accent_color"],
                header_color=data["header_color"],
                header_links=data["header_links"],
                logo=logo,
                remove_logo=data["remove_logo"],
            )
        except ValidationError as error:
            form.add_error("logo", error)
        else:
            messages.success(request, _("The help center's look is saved."))
            return redirect("knowledge:manage_theme")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "knowledge/manage/theme.html",
        {"form": form, "theme": current_theme(), "row": row},
        status=status,
    )


@require_safe
def theme_stylesheet(request: HttpRequest) -> HttpResponse:
    theme = current_theme()
    css = theme_css(theme)
    etag = '"' + hashlib.sha256(css.encode()).hexdigest()[:20] + '"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response.headers["ETag"] = etag
    patch_cache_control(response, public=True, max_age=60)
    return response
