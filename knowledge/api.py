"""REST API for help-center articles: public reading of what is published, staff writing.

Anyone may list and read published, customer-visible articles; staff also see drafts and
internal articles. Agents (not light agents) create and change articles with a token.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status as http
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.api import ApiCursorPagination, error_responses, paginated_response

from . import services
from .access import can_edit_section
from .models import Article, ArticleStatus, ArticleTranslation
from .permissions import can_edit_articles
from .search import search_articles
from .selectors import is_staff_viewer, visible_filter
from .serializers import (
    ArticleFilterSerializer,
    ArticleOutputSerializer,
    ArticleWriteInputSerializer,
)


class ReadPublicWriteEditors(BasePermission):
    message = "Only agents, managers and admins may change articles."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or can_edit_articles(request.user)


class ArticlePagination(ApiCursorPagination):
    ordering = ("id",)


def _articles_for(viewer) -> QuerySet[Article]:
    """Articles the viewer may read, each with `.shown_translations` (readable ones only)."""
    if is_staff_viewer(viewer):
        readable = ArticleTranslation.objects.all()
        articles = Article.objects.all()
    else:
        readable = ArticleTranslation.objects.filter(visible_filter(viewer))
        articles = Article.objects.filter(
            Exists(readable.filter(article=OuterRef("pk"))), internal=False
        )
    return articles.select_related("section").prefetch_related(
        Prefetch(
            "translations",
            queryset=readable.defer("body_text", "search_vector").order_by("language"),
            to_attr="shown_translations",
        )
    )


# Published articles are public: credentials are optional (staff see drafts with them).
PUBLIC_READ = [{"tokenAuth": []}, {"cookieAuth": []}, {}]


class ArticleListApi(APIView):
    permission_classes = [ReadPublicWriteEditors]
    pagination_class = ArticlePagination

    @extend_schema(
        operation_id="articles_list",
        parameters=[ArticleFilterSerializer],
        auth=PUBLIC_READ,
        responses={200: ArticleOutputSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        filters = ArticleFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        articles = _articles_for(request.user)
        if data.get("section"):
            articles = articles.filter(section_id=data["section"])
        query = " ".join(data.get("q", "").split())
        if query:
            # Ranked by relevance: the best page_size matches, in the same envelope, no next page.
            language = data.get("language") or request.LANGUAGE_CODE
            limit = self.pagination_class().get_page_size(request) or 50
            hits = search_articles(query, language, limit, viewer=request.user)
            order = [hit.translation.article_id for hit in hits]
            found = articles.in_bulk(order)
            results = [found[pk] for pk in order if pk in found]
            serializer = ArticleOutputSerializer(results, many=True, context={"request": request})
            return Response({"next": None, "previous": None, "results": serializer.data})
        if data.get("language"):
            articles = articles.filter(translations__language=data["language"]).distinct()
        return paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=ArticleOutputSerializer,
            queryset=articles,
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="articles_create",
        request=ArticleWriteInputSerializer,
        responses={201: ArticleOutputSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        serializer = ArticleWriteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        _check_section(request, data["section"])
        with transaction.atomic():
            article = services.create_article(
                section=data["section"],
                author=request.user,
                internal=data["internal"],
                labels=data["labels"],
                position=data["position"],
            )
            services.save_article_texts(article, _texts(data), editor=request.user)
        return Response(_output(request, article.pk), status=http.HTTP_201_CREATED)


class ArticleDetailApi(APIView):
    permission_classes = [ReadPublicWriteEditors]

    @extend_schema(
        operation_id="articles_retrieve",
        auth=PUBLIC_READ,
        responses={200: ArticleOutputSerializer, **error_responses(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_output(request, pk))

    @extend_schema(
        operation_id="articles_partial_update",
        request=ArticleWriteInputSerializer,
        responses={200: ArticleOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        article = Article.objects.filter(pk=pk).first()
        if article is None:
            raise Http404
        _check_section(request, article.section)
        serializer = ArticleWriteInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "section" in data:
            _check_section(request, data["section"])
        with transaction.atomic():
            services.update_article(
                article,
                section=data.get("section", article.section),
                internal=data.get("internal", article.internal),
                labels=data.get("labels", article.labels),
                position=data.get("position", article.position),
            )
            services.save_article_texts(article, _texts(data, article), editor=request.user)
        return Response(_output(request, pk))


def _check_section(request: Request, section) -> None:
    if not can_edit_section(request.user, section):
        raise PermissionDenied(_("You may not edit articles in this section."))


def _texts(data: dict, article: Article | None = None) -> list[services.TranslationInput]:
    """Editor inputs from the request; on PATCH, what is not sent keeps its current value."""
    current = {t.language: t for t in article.translations.all()} if article else {}
    texts = []
    for item in data.get("translations", []):
        was = current.get(item["language"])
        texts.append(
            services.TranslationInput(
                language=item["language"],
                title=item["title"],
                body=item.get("body", was.body if was else ""),
                summary=item.get("summary", was.summary if was else ""),
                slug=item.get("slug", was.slug if was else ""),
                status=item.get("status", was.status if was else ArticleStatus.DRAFT),
                publish_at=item.get("published_at", was.published_at if was else None),
            )
        )
    return texts


def _output(request: Request, pk: int) -> dict:
    article = _articles_for(request.user).filter(pk=pk).first()
    if article is None:
        raise Http404
    return ArticleOutputSerializer(article, context={"request": request}).data
