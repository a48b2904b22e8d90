"""The public help center. Articles and search arrive with the help-center issue."""

from django.shortcuts import redirect, render
from django.utils import translation

from helpdesk.i18n import help_language


def home_redirect(request):
    return redirect("knowledge:home_lang", lang=help_language(request))


def home(request, lang: str):
    translation.activate(lang)
    return render(request, "knowledge/home.html", {"lang": lang})
