"""The permission editors (managers): who reads a category; who reads a section and who may
edit its articles. A section inherits its category's readers and may only narrow them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from customers.models import Organization
from helpdesk.models import Role
from tickets.models import Team

from . import services
from .models import Audience, Category, Section
from .permissions import manager_required

# Who may edit, as the form offers it; stored as editor roles and teams on the section.
EVERY_AGENT, CHOSEN_TEAMS, MANAGERS_ONLY = "agents", "teams", "managers"
MANAGER_ROLES = [Role.MANAGER.value, Role.ADMIN.value]


class SectionAccessForm(forms.Form):
    audience = forms.ChoiceField(
        label=gettext_lazy("Who can read the articles"),
        choices=Audience.choices,
        widget=forms.RadioSelect,
    )
    organizations = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Organizations"),
        queryset=Organization.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=gettext_lazy(
            "Customers whose verified email belongs to a customer of these organizations."
        ),
    )
    editors = forms.ChoiceField(
        label=gettext_lazy("Who can edit the articles"),
        choices=[
            (EVERY_AGENT, gettext_lazy("Every agent")),
            (CHOSEN_TEAMS, gettext_lazy("Agents in chosen teams")),
            (MANAGERS_ONLY, gettext_lazy("Managers and admins only")),
        ],
        widget=forms.RadioSelect,
        help_text=gettext_lazy("Managers and admins can always edit. Light agents never can."),
    )
    editor_teams = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Teams"),
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    @classmethod
    def for_section(cls, section: Section, data=None) -> SectionAccessForm:
        teams = list(section.editor_teams.all())
        if section.editor_roles and Role.AGENT not in section.editor_roles:
            editors = MANAGERS_ONLY
        else:
            editors = CHOSEN_TEAMS if teams else EVERY_AGENT
        initial = {
            "audience": section.audience,
            "organizations": list(section.organizations.all()),
            "editors": editors,
            "editor_teams": teams,
        }
        return cls(data, initial=initial)

    def clean(self):
        data = super().clean()
        if data.get("audience") == Audience.ORGANIZATIONS and not data.get("organizations"):
            self.add_error("organizations", _("Choose at least one organization."))
        if data.get("editors") == CHOSEN_TEAMS and not data.get("editor_teams"):
            self.add_error("editor_teams", _("Choose at least one team."))
        return data

    def access(self) -> dict:
        data = self.cleaned_data
        editors = data["editors"]
        return {
            "audience": data["audience"],
            "organizations": list(data["organizations"]),
            "editor_roles": MANAGER_ROLES if editors == MANAGERS_ONLY else [],
            "editor_teams": list(data["editor_teams"]) if editors == CHOSEN_TEAMS else [],
        }


@require_http_methods(["GET", "POST"])
@manager_required
def section_access(request: HttpRequest, pk: int) -> HttpResponse:
    section = get_object_or_404(Section.objects.select_related("category"), pk=pk)
    form = SectionAccessForm.for_section(
        section, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_section_access(section, **form.access())
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(request, _("Section permissions saved."))
            return redirect(f"{reverse('knowledge:manage_structure')}#section-{section.pk}")
    return render(
        request,
        "knowledge/manage/section_access.html",
        {"section": section, "form": form},
        status=400 if request.method == "POST" else 200,
    )


class CategoryAccessForm(forms.Form):
    audience = forms.ChoiceField(
        label=gettext_lazy("Who can read the category"),
        choices=Audience.choices,
        widget=forms.RadioSelect,
    )
    organizations = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Organizations"),
        queryset=Organization.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=gettext_lazy(
            "Customers whose verified email belongs to a customer of these organizations."
        ),
    )

    @classmethod
    def for_category(cls, category: Category, data=None) -> CategoryAccessForm:
        initial = {
            "audience": category.audience,
            "organizations": list(category.organizations.all()),
        }
        return cls(data, initial=initial)

    def clean(self):
        data = super().clean()
        if data.get("audience") == Audience.ORGANIZATIONS and not data.get("organizations"):
            self.add_error("organizations", _("Choose at least one organization."))
        return data


@require_http_methods(["GET", "POST"])
@manager_required
def category_access(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk)
    form = CategoryAccessForm.for_category(
        category, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        services.set_category_access(
            category,
            audience=form.cleaned_data["audience"],
            organizations=list(form.cleaned_data["organizations"]),
        )
        messages.success(request, _("Category permissions saved."))
        return redirect(f"{reverse('knowledge:manage_structure')}#category-{category.pk}")
    sections = list(category.sections.order_by("position", "id"))
    return render(
        request,
        "knowledge/manage/category_access.html",
        {"category": category, "form": form, "sections": sections},
        status=400 if request.method == "POST" else 200,
    )
