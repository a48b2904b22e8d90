"""The public help center's pages. Thin: read through selectors, write through services."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation as i18n
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from helpdesk.i18n import help_language

from . import article_frame, page_cache, seo
from .access import is_staff_viewer
from .article_context import article_context, article_switch, tree_crumbs
from .caching import cacheable_page, page_etag, private_page
from .forms import FeedbackForm
from .reader_services import FeedbackRateLimited, record_feedback
from .related import related_links
from .selectors import (
    ArticlePage,
    article_page,
    article_page_stamp,
    category_by_slug,
    category_listing,
    faq_translations,
    home_categories,
    related_translations,
    section_by_slug,
    section_listing,
)

# What the page says after a vote: ?feedback=<state> (a URL of its own, so caches keep apart).
FEEDBACK_STATES = {"voted-yes", "voted-no", "thanks", "limited"}


def home_redirect(request: HttpRequest) -> HttpResponse:
    return redirect("knowledge:home_lang", lang=help_language(request))


@require_safe
def home(request: HttpRequest, lang: str) -> HttpResponse:
    i18n.activate(lang)
    meta = seo.PageMeta(
        title=_("Help center"),
        description=_("Answers about orders, shipping, returns, payments and your account."),
        language=lang,
        path=reverse("knowledge:home_lang", kwargs={"lang": lang}),
        alternates=seo.same_page_in_every_language("knowledge:home_lang", lang),
    )
    context = {"lang": lang, "meta": meta, "categories": home_categories(request.user, lang)}
    return _page(request, "knowledge/home.html", context)


@require_safe
def category(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    i18n.activate(lang)
    category = category_by_slug(slug)
    listings = category_listing(request.user, category, lang)
    if not listings:
        raise Http404("Nothing to read in this category")
    path_kwargs = {"slug": category.slug}
    meta = seo.PageMeta(
        title=category.name_in(lang),
        description=seo.describe(category.description_in(lang), category.name_in(lang)),
        language=lang,
        path=reverse("knowledge:category", kwargs={"lang": lang, **path_kwargs}),
        alternates=seo.same_page_in_every_language("knowledge:category", lang, **path_kwargs),
    )
    meta.switch = meta.alternates
    context = {
        "lang": lang,
        "meta": meta,
        "category": category,
        "listings": listings,
        "crumbs": tree_crumbs(lang, category),
    }
    return _page(request, "knowledge/category.html", context)


@require_safe
def section(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    i18n.activate(lang)
    section = section_by_slug(slug)
    translations, elsewhere = section_listing(request.user, section, lang)
    if not translations and not elsewhere:
        raise Http404("Nothing to read in this section")
    path_kwargs = {"slug": section.slug}
    meta = seo.PageMeta(
        title=section.name_in(lang),
        description=seo.describe(section.description_in(lang), section.name_in(lang)),
        language=lang,
        path=reverse("knowledge:section", kwargs={"lang": lang, **path_kwargs}),
        alternates=seo.same_page_in_every_language("knowledge:section", lang, **path_kwargs),
    )
    meta.switch = meta.alternates
    context = {
        "lang": lang,
        "meta": meta,
        "section": section,
        "translations": translations,
        "elsewhere": elsewhere,
        "crumbs": tree_crumbs(lang, section.category, section),
    }
    return _page(request, "knowledge/section.html", context)


@require_safe
def faq(request: HttpRequest, lang: str) -> HttpResponse:
    i18n.activate(lang)
    translations = faq_translations(request.user, lang)
    meta = seo.PageMeta(
        title=_("Frequently asked questions"),
        description=seo.describe(", ".join(t.title for t in translations)),
        language=lang,
        path=reverse("knowledge:faq", kwargs={"lang": lang}),
        alternates=seo.same_page_in_every_language("knowledge:faq", lang),
    )
    if translations:
        meta.json_ld.append(seo.faq_json_ld(translations))
    context = {"lang": lang, "meta": meta, "translations": translations}
    return _page(request, "knowledge/faq.html", context)


@require_safe
def article(request: HttpRequest, lang: str, pk: int, slug: str | None = None) -> HttpResponse:
    i18n.activate(lang)
    state = request.GET.get("feedback", "")
    state = state if state in FEEDBACK_STATES else ""
    # Anonymous visitors mostly get the page as rendered for the previous one (page_cache).
    shared = page_cache.usable(request)
    kept = page_cache.kept("article", lang, pk, state) if shared else None
    if kept is not None:
        if kept.slug != slug:
            return HttpResponsePermanentRedirect(kept.path)
        return page_cache.respond_article(request, kept)
    page = article_page(request.user, pk, lang)
    if page.translation is None:
        return _missing_translation(request, lang, page)
    if page.translation.slug != slug:
        return HttpResponsePermanentRedirect(seo.article_path(page.translation))
    if request.user.is_authenticated:
        return private_page(_render_article(request, page, state, _related(request, page)))
    related = related_links(page.translation)
    newest = article_page_stamp(page, related)
    etag = page_etag(
        page.translation.pk, newest.isoformat(), state, *(link.article_id for link in related)
    )
    if not shared:
        return cacheable_page(
            request,
            etag=etag,
            last_modified=newest,
            render=lambda: _render_article(request, page, state, related),
        )
    # What the ETag covers is the same for every anonymous visitor: rendered once, with a
    # placeholder for the CSRF token, and kept.
    placeholder = page_cache.new_placeholder()
    kept = page_cache.KeptArticle(
        slug=page.translation.slug,
        path=seo.article_path(page.translation),
        etag=etag,
        last_modified=int(newest.timestamp()),
        html=article_frame.render(request, page, state, related, placeholder),
        placeholder=placeholder,
    )
    page_cache.keep(kept, "article", lang, pk, state)
    return page_cache.respond_article(request, kept)


def _related(request: HttpRequest, page: ArticlePage) -> list:
    """Staff also see internal articles in the list (the live query); customers the section's
    stored list (knowledge.related), which holds only what every reader of the page may see."""
    if is_staff_viewer(request.user):
        return related_translations(request.user, page.translation)
    return related_links(page.translation)


def _render_article(
    request: HttpRequest, page: ArticlePage, state: str, related: list, csrf: str = ""
) -> HttpResponse:
    context = article_context(page, state, related)
    if csrf:  # a placeholder the cached page's readers each get their own token in
        context["csrf_token"] = csrf
    return _page(request, "knowledge/article.html", context)


def _missing_translation(request: HttpRequest, lang: str, page: ArticlePage) -> HttpResponse:
    """Say the article is not written in this language yet and link the languages it is in."""
    others = list(page.others.values())
    section = page.article.section
    meta = seo.PageMeta(
        title=_("Not available in this language"),
        description="",
        language=lang,
        path=request.path,
        noindex=True,
        switch=article_switch(page),
    )
    context = {
        "lang": lang,
        "meta": meta,
        "others": others,
        "crumbs": tree_crumbs(lang, section.category, section),
    }
    # 404: there is no page in this language (and crawlers should not index one), but people
    # get a real page that takes them to the text that exists.
    response = _page(request, "knowledge/article_missing.html", context, status=404)
    return private_page(response) if request.user.is_authenticated else response


@require_POST
def feedback(request: HttpRequest, lang: str, pk: int) -> HttpResponse:
    """ "Was this helpful?" without JavaScript: POST, then back to the article with a thank-you."""
    i18n.activate(lang)
    page = article_page(request.user, pk, lang)
    translation = page.translation
    if translation is None or not translation.is_live():
        raise Http404("No such article")
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Please choose yes or no."), status=400, content_type="text/plain")
    # A vote needs a session to recognise a second vote; an empty session would not be kept.
    request.session["kb_reader"] = True
    if request.session.session_key is None:
        request.session.save()
    helpful, comment = form.cleaned_data["helpful"] == "yes", form.cleaned_data["comment"]
    try:
        record_feedback(
            translation=translation,
            session_key=request.session.session_key,
            helpful=helpful,
            comment=comment,
            user=request.user,
        )
    except FeedbackRateLimited:
        state = "limited"
    else:
        state = "thanks" if comment else ("voted-yes" if helpful else "voted-no")
    return redirect(f"{seo.article_path(translation)}?feedback={state}#feedback")


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """Render a help-center page; its PageMeta also tells the header's language switcher."""
    context["language_urls"] = context["meta"].switch
    return render(request, template, context, status=status)
