"""Input and output of the articles API (`/api/v1/articles/`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from helpdesk.api import OutputModelSerializer, StrictInputSerializer, UtcDateTimeField

from . import seo
from .models import Article, ArticleStatus, ArticleTranslation, Language, Section
from .search import MAX_QUERY_CHARS

TRANSLATION_FIELDS = frozenset(
    {"language", "title", "body", "summary", "slug", "status", "published_at"}
)


class TranslationOutputSerializer(OutputModelSerializer):
    url = serializers.SerializerMethodField(help_text="Path of the article page in this language.")

    class Meta:
        model = ArticleTranslation
        fields = [
            "language",
            "title",
            "slug",
            "summary",
            "body",
            "body_html",
            "status",
            "published_at",
            "updated_at",
            "helpful_votes",
            "unhelpful_votes",
            "url",
        ]

    def get_url(self, translation: ArticleTranslation) -> str:
        return seo.article_path(translation)


class ArticleOutputSerializer(OutputModelSerializer):
    section_slug = serializers.CharField(source="section.slug", read_only=True)
    category = serializers.IntegerField(source="section.category_id", read_only=True)
    translations = TranslationOutputSerializer(
        source="shown_translations", many=True, read_only=True
    )

    class Meta:
        model = Article
        fields = [
            "id",
            "section",
            "section_slug",
            "category",
            "position",
            "internal",
            "labels",
            "created_at",
            "translations",
        ]


class ArticleFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY_CHARS * 4,
        help_text="Full-text search (Japanese-aware); ranked, one page.",
    )
    language = serializers.ChoiceField(
        choices=Language.choices,
        required=False,
        help_text="Only articles written in this language.",
    )
    section = serializers.IntegerField(required=False, min_value=1)


class TranslationInputSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=Language.choices)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(
        required=False, allow_blank=True, max_length=200_000, default="", trim_whitespace=False
    )
    summary = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    slug = serializers.RegexField(
        r"^[-\w]+\Z", required=False, allow_blank=True, max_length=120, default=""
    )
    status = serializers.ChoiceField(choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    published_at = UtcDateTimeField(required=False, allow_null=True, default=None)


class ArticleWriteInputSerializer(StrictInputSerializer):
    section = serializers.PrimaryKeyRelatedField(queryset=Section.objects.all())
    internal = serializers.BooleanField(required=False, default=False)
    labels = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=20, required=False, default=list
    )
    position = serializers.IntegerField(required=False, min_value=0, max_value=100000, default=0)
    translations = TranslationInputSerializer(many=True, required=False, default=list)

    def validate_translations(self, value: list[dict]) -> list[dict]:
        languages = [item["language"] for item in value]
        if len(languages) != len(set(languages)):
            raise serializers.ValidationError(_("One translation per language."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        raw = self.initial_data.get("translations") if isinstance(self.initial_data, dict) else None
        for item in raw if isinstance(raw, list) else []:
            unknown = sorted(set(item) - TRANSLATION_FIELDS) if isinstance(item, dict) else []
            if unknown:
                raise serializers.ValidationError(
                    {"translations": [_("Unknown field: %(name)s.") % {"name": ", ".join(unknown)}]}
                )
        if not self.partial and not attrs.get("translations"):
            raise serializers.ValidationError(
                {"translations": [_("Write the article in at least one language.")]}
            )
        return attrs
