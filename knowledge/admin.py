"""The Django admin for help-center rows (agents write in the in-app editor at /help/manage/).

Translations are saved through knowledge.services, never by the admin's own save: that is what
renders and sanitizes the body, keeps the replaced text as a version and refreshes the search
vector.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import (
    Article,
    ArticleFeedback,
    ArticleStatus,
    ArticleTranslation,
    ArticleVersion,
    Category,
    SearchQueryLog,
    Section,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "name_en", "slug", "audience", "position"]
    list_editable = ["position"]
    list_filter = ["audience"]
    filter_horizontal = ["organizations"]
    prepopulated_fields = {"slug": ["name_en"]}
    search_fields = ["name_ja", "name_en", "slug"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "name_en", "category", "slug", "position"]
    list_editable = ["position"]
    list_filter = ["category"]
    prepopulated_fields = {"slug": ["name_en"]}
    search_fields = ["name_ja", "name_en", "slug"]


class TranslationForm(forms.ModelForm):
    slug = forms.SlugField(
        label=_("slug"),
        required=False,
        allow_unicode=True,
        max_length=120,
        help_text=_("Leave empty to make one from the title."),
    )

    class Meta:
        model = ArticleTranslation
        fields = ["language", "title", "slug", "summary", "body", "status", "published_at"]


def save_translation_from_form(
    form: forms.ModelForm, article: Article, editor
) -> ArticleTranslation:
    data = form.cleaned_data
    translation = services.save_translation(
        article=article,
        language=data["language"],
        title=data["title"],
        body=data["body"],
        summary=data["summary"],
        slug=data["slug"],
        editor=editor,
    )
    if data["status"] == ArticleStatus.PUBLISHED:
        services.publish_translation(translation, at=data["published_at"])
    elif translation.status == ArticleStatus.PUBLISHED:
        services.unpublish_translation(translation)
    return translation


class TranslationInline(admin.StackedInline):
    model = ArticleTranslation
    form = TranslationForm
    extra = 0
    min_num = 1
    max_num = 2
    show_change_link = True  # the translation's own page shows its version history


@admin.action(description=_("Publish all translations of the selected articles"))
def publish_articles(modeladmin, request, queryset):
    translations = ArticleTranslation.objects.filter(article__in=queryset)
    _publish(modeladmin, request, translations)


@admin.action(description=_("Publish the selected translations"))
def publish_translations(modeladmin, request, queryset):
    _publish(modeladmin, request, queryset)


@admin.action(description=_("Unpublish the selected translations (back to draft)"))
def unpublish_translations(modeladmin, request, queryset):
    for translation in queryset:
        services.unpublish_translation(translation)


def _publish(modeladmin, request, translations) -> None:
    count = 0
    for translation in translations.exclude(status=ArticleStatus.PUBLISHED):
        services.publish_translation(translation)
        count += 1
    modeladmin.message_user(
        request,
        ngettext("%d translation published.", "%d translations published.", count) % count,
        messages.SUCCESS,
    )


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "section", "languages", "internal", "position"]
    list_filter = ["internal", "section__category", "section"]
    search_fields = ["translations__title"]
    inlines = [TranslationInline]
    actions = [publish_articles]
    readonly_fields = ["author", "created_at"]
    fields = ["section", "position", "internal", "labels", "author", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("translations")

    @admin.display(description=_("languages"))
    def languages(self, article: Article) -> str:
        return ", ".join(
            f"{t.language}{'' if t.status == ArticleStatus.PUBLISHED else ' (draft)'}"
            for t in article.translations.all()
        )

    def save_model(self, request, obj, form, change):
        obj.labels = services.clean_labels(obj.labels)
        if obj.author_id is None:
            obj.author = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ArticleTranslation:
            return super().save_formset(request, form, formset, change)
        # What formset.save() would have recorded: the admin's change message reads it.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk:
                inline_form.instance.delete()
                formset.deleted_objects.append(inline_form.instance)
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            is_new = inline_form.instance.pk is None
            saved = save_translation_from_form(inline_form, form.instance, request.user)
            if is_new:
                formset.new_objects.append(saved)
            else:
                formset.changed_objects.append((saved, inline_form.changed_data))


class VersionInline(admin.TabularInline):
    model = ArticleVersion
    extra = 0
    can_delete = False
    fields = ["created_at", "edited_by", "status", "title", "body_start"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("body"))
    def body_start(self, version: ArticleVersion) -> str:
        return Truncator(version.body).chars(200)


@admin.register(ArticleTranslation)
class ArticleTranslationAdmin(admin.ModelAdmin):
    form = TranslationForm
    list_display = [
        "title",
        "language",
        "status",
        "published_at",
        "updated_at",
        "helpful_votes",
        "unhelpful_votes",
    ]
    list_filter = ["language", "status", "article__internal"]
    search_fields = ["title", "slug"]
    inlines = [VersionInline]
    actions = [publish_translations, unpublish_translations]

    def save_model(self, request, obj, form, change):
        saved = save_translation_from_form(form, obj.article, request.user)
        obj.pk = saved.pk  # the admin goes on with `obj` (messages, redirect)
        obj.refresh_from_db()


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(admin.ModelAdmin):
    list_display = ["translation", "helpful", "comment", "created_at"]
    list_filter = ["helpful", "translation__language"]
    readonly_fields = ["translation", "helpful", "comment", "user", "created_at", "updated_at"]
    exclude = ["session_key"]

    def has_add_permission(self, request) -> bool:
        return False


class NoResultsFilter(admin.SimpleListFilter):
    title = _("results")
    parameter_name = "results"

    def lookups(self, request, model_admin):
        return [("none", _("No results")), ("some", _("Some results"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(result_count=0)
        if self.value() == "some":
            return queryset.filter(result_count__gt=0)
        return queryset


@admin.register(SearchQueryLog)
class SearchQueryLogAdmin(admin.ModelAdmin):
    list_display = [
        "query",
        "language",
        "source",
        "result_count",
        "clicked_article",
        "led_to_ticket",
        "created_at",
    ]
    list_filter = ["language", "source", "led_to_ticket", NoResultsFilter]
    search_fields = ["query"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
