"""Help-center management for managers: the order of categories and sections, gap reports."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from . import services
from .editor_selectors import help_center_tree
from .models import Category, Language, Section
from .permissions import manager_required
from .reports import PERIOD_DAYS, gap_report


class MoveForm(forms.Form):
    kind = forms.ChoiceField(choices=[("category", "category"), ("section", "section")])
    pk = forms.IntegerField(min_value=1)
    direction = forms.TypedChoiceField(choices=[("-1", "up"), ("1", "down")], coerce=int)


class NewNodeForm(forms.Form):
    """A category (no parent) or a section (with one), named in either language."""

    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), required=False, queryset=Category.objects.all()
    )
    slug = forms.SlugField(label=gettext_lazy("Slug"), max_length=80)
    name_ja = forms.CharField(label=gettext_lazy("Name (Japanese)"), required=False, max_length=120)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), required=False, max_length=120)

    def clean(self):
        data = super().clean()
        if not (data.get("name_ja", "").strip() or data.get("name_en", "").strip()):
            raise ValidationError(_("Give a name in at least one language."))
        model = Section if data.get("category") else Category
        if data.get("slug") and model.objects.filter(slug=data["slug"]).exists():
            self.add_error("slug", _("This slug is already used."))
        return data


@require_safe
@manager_required
def structure(request: HttpRequest) -> HttpResponse:
    return _structure_page(request, NewNodeForm())


def _structure_page(request: HttpRequest, form: NewNodeForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "knowledge/manage/structure.html",
        {"tree": help_center_tree(), "form": form},
        status=status,
    )


@require_POST
@manager_required
def move(request: HttpRequest) -> HttpResponse:
    form = MoveForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Invalid move."), status=400, content_type="text/plain")
    model = Category if form.cleaned_data["kind"] == "category" else Section
    node = get_object_or_404(model, pk=form.cleaned_data["pk"])
    services.move_in_order(node, form.cleaned_data["direction"])
    return redirect(f"{request.path.rsplit('move/', 1)[0]}#{form.cleaned_data['kind']}-{node.pk}")


@require_POST
@manager_required
def add_node(request: HttpRequest) -> HttpResponse:
    form = NewNodeForm(request.POST)
    if not form.is_valid():
        return _structure_page(request, form, status=400)
    data = form.cleaned_data
    names = {"name_ja": data["name_ja"].strip(), "name_en": data["name_en"].strip()}
    if data["category"]:
        position = data["category"].sections.count() + 1
        services.upsert_section(
            category=data["category"], slug=data["slug"], position=position, **names
        )
    else:
        services.upsert_category(slug=data["slug"], position=Category.objects.count() + 1, **names)
    messages.success(request, _("Added."))
    return redirect("knowledge:manage_structure")


@require_safe
@manager_required
def gap_report_page(request: HttpRequest) -> HttpResponse:
    days = request.GET.get("days", "30")
    days = int(days) if days.isdecimal() and int(days) in PERIOD_DAYS else 30
    language = request.GET.get("language", "")
    language = language if language in Language.values else ""
    report = gap_report(days=days, language=language)
    return render(
        request,
        "knowledge/manage/reports.html",
        {
            "report": report,
            "days": days,
            "language": language,
            "periods": PERIOD_DAYS,
            "languages": Language.choices,
        },
    )
