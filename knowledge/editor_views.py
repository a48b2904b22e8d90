"""The in-app article editor for agents: list, write ja and en side by side, history, images."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from helpdesk.i18n import LANGUAGE_CODES

from . import services
from .access import can_edit_section
from .editor_forms import (
    ArticleFilterForm,
    ArticleMetaForm,
    ImageUploadForm,
    TranslationEditForm,
)
from .editor_selectors import (
    EDITOR_PAGE_SIZE,
    editor_article,
    editor_articles,
    text_diff,
    translation_history,
    translation_state,
    version_of,
)
from .images import image_by_name, markdown_for, store_article_image
from .markdown import render_markdown
from .models import Article
from .permissions import editor_required

MAX_PREVIEW_CHARS = 200_000


@require_safe
@editor_required
def article_list(request: HttpRequest) -> HttpResponse:
    form = ArticleFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    articles = editor_articles(
        q=filters.get("q", ""),
        category=filters.get("category"),
        section=filters.get("section"),
        status=filters.get("status", ""),
        language=filters.get("language", ""),
    )
    page = Paginator(articles, EDITOR_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for article in page.object_list:
        by_language = {t.language: t for t in article.translations.all()}
        rows.append(
            {
                "article": article,
                "title": next(
                    (by_language[c].title for c in LANGUAGE_CODES if c in by_language), ""
                ),
                "states": [
                    (code, translation_state(by_language.get(code))) for code in LANGUAGE_CODES
                ],
                "updated": max((t.updated_at for t in by_language.values()), default=None),
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "knowledge/manage/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
        },
    )


@require_http_methods(["GET", "POST"])
@editor_required
def article_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    article, existing = editor_article(pk) if pk else (None, {})
    if article is not None and not can_edit_section(request.user, article.section):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    meta = ArticleMetaForm(data, initial=_meta_initial(article, request), editor=request.user)
    columns = [
        TranslationEditForm(
            data,
            language=code,
            existing=existing.get(code),
            initial=_new_text_initial(request, code),
        )
        for code in LANGUAGE_CODES
    ]
    if data is not None:
        valid = meta.is_valid() & all([column.is_valid() for column in columns])  # noqa: C419 - validate every column
        if valid and not any(c.cleaned_data["title"].strip() for c in columns):
            meta.add_error(None, _("Write the article in at least one language."))
            valid = False
        if valid:
            article = _save(request, article, meta, columns)
            messages.success(request, _("Article saved."))
            return redirect("knowledge:manage_edit", pk=article.pk)
    return render(
        request,
        "knowledge/manage/edit.html",
        {
            "article": article,
            "meta_form": meta,
            "columns": columns,
            "states": {code: translation_state(existing.get(code)) for code in LANGUAGE_CODES},
            "existing": existing,
            "image_form": ImageUploadForm(),
        },
        status=400 if data is not None else 200,
    )


def _meta_initial(article: Article | None, request: HttpRequest) -> dict:
    if article is None:
        return {"section": request.GET.get("section"), "position": 0}
    return {
        "section": article.section_id,
        "position": article.position,
        "internal": article.internal,
        "labels": ", ".join(article.labels),
    }


def _new_text_initial(request: HttpRequest, language: str) -> dict:
    """ "Create an article from this search": the report links here with ?title=…&lang=…"""
    if request.GET.get("lang") == language and request.GET.get("title"):
        return {"title": request.GET["title"][:200]}
    return {}


def _save(request: HttpRequest, article: Article | None, meta: ArticleMetaForm, columns) -> Article:
    values = meta.cleaned_data
    if article is None:
        article = services.create_article(
            section=values["section"],
            author=request.user,
            internal=values["internal"],
            labels=meta.cleaned_labels(),
            position=values["position"],
        )
    else:
        services.update_article(
            article,
            section=values["section"],
            internal=values["internal"],
            labels=meta.cleaned_labels(),
            position=values["position"],
        )
    services.save_article_texts(article, [c.to_input() for c in columns], editor=request.user)
    return article


@require_POST
@editor_required
def preview(request: HttpRequest) -> JsonResponse:
    """The body as readers will see it: the same Markdown renderer and sanitizer as on save."""
    body = request.POST.get("body", "")
    if len(body) > MAX_PREVIEW_CHARS:
        return JsonResponse({"detail": _("The text is too long to preview.")}, status=400)
    return JsonResponse({"html": render_markdown(body)})


@require_safe
@editor_required
def history(request: HttpRequest, pk: int, lang: str) -> HttpResponse:
    translation, versions = translation_history(pk, lang)
    selected = None
    if versions:
        wanted = request.GET.get("v", "")
        selected = next((v for v in versions if str(v.pk) == wanted), versions[0])
    diff = {}
    if selected is not None:
        diff = {
            "title": text_diff(selected.title, translation.title),
            "summary": text_diff(selected.summary, translation.summary),
            "body": text_diff(selected.body, translation.body),
        }
    return render(
        request,
        "knowledge/manage/history.html",
        {
            "translation": translation,
            "article": translation.article,
            "versions": versions,
            "selected": selected,
            "diff": diff,
        },
    )


@require_POST
@editor_required
def restore(request: HttpRequest, pk: int, lang: str, version_id: int) -> HttpResponse:
    translation, _versions = translation_history(pk, lang)
    if not can_edit_section(request.user, translation.article.section):
        raise PermissionDenied
    version = version_of(translation, version_id)
    services.restore_version(translation, version, editor=request.user)
    messages.success(
        request, _("The earlier text is back. What it replaced is kept in the history.")
    )
    return redirect("knowledge:manage_history", pk=pk, lang=lang)


@require_POST
@editor_required
def upload_image(request: HttpRequest) -> HttpResponse:
    """Answers JSON to the editor's script; without script, back to the page with a message."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    form = ImageUploadForm(request.POST, request.FILES)
    error = ""
    image = None
    if not form.is_valid():
        error = _("Choose an image file to upload.")
    else:
        try:
            image = store_article_image(upload=form.cleaned_data["image"], uploaded_by=request.user)
        except ValidationError as problem:
            error = " ".join(problem.messages)
    if wants_json:
        if image is None:
            return JsonResponse({"detail": error}, status=400)
        return JsonResponse({"url": image.url, "markdown": markdown_for(image)}, status=201)
    if image is None:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("Image uploaded. Paste this into the body: %(markdown)s")
            % {"markdown": markdown_for(image)},
        )
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/help/manage/") else "knowledge:manage")


@require_safe
def image(request: HttpRequest, name: str) -> FileResponse:
    """Article images are public (their name is unguessable) and never change: cache for long."""
    found = image_by_name(name)
    if found is None:
        raise Http404("No such image")
    response = FileResponse(found.file.open("rb"), content_type=found.content_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response
