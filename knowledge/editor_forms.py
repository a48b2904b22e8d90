"""Forms of the in-app article editor: the article's place and one column per language."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .access import editable_sections
from .models import ArticleStatus, ArticleTranslation, Category, Language, Section
from .services import TranslationInput


class SectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, section: Section) -> str:
        return f"{section.category} › {section}"


class ArticleMetaForm(forms.Form):
    section = SectionChoiceField(
        label=_("Section"),
        queryset=Section.objects.select_related("category").order_by(
            "category__position", "category_id", "position", "id"
        ),
    )
    position = forms.IntegerField(
        label=_("Position in the section"), min_value=0, max_value=100000, initial=0
    )
    internal = forms.BooleanField(
        label=_("Agents only"),
        required=False,
        help_text=_("Internal articles are never shown to customers."),
    )
    labels = forms.CharField(
        label=_("Labels"),
        required=False,
        max_length=400,
        help_text=_("Comma separated. “faq” puts the article on the FAQ page."),
    )

    def __init__(self, *args, editor=None, **kwargs):
        super().__init__(*args, **kwargs)
        if editor is not None:
            # Only the sections this editor may write in: a locked one is not even offered.
            self.fields["section"].queryset = editable_sections(editor)

    def cleaned_labels(self) -> list[str]:
        return [label for label in self.cleaned_data["labels"].split(",") if label.strip()]


class TranslationEditForm(forms.Form):
    """One language. Empty title and body: the article is not written in this language."""

    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    slug = forms.SlugField(
        label=_("Slug"),
        required=False,
        allow_unicode=True,
        max_length=120,
        help_text=_("Leave empty to make one from the title."),
    )
    summary = forms.CharField(label=_("Summary"), required=False, max_length=300)
    body = forms.CharField(
        label=_("Body (Markdown)"),
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 18, "class": "kb-editor__body", "spellcheck": "true"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=ArticleStatus.choices,
        initial=ArticleStatus.DRAFT,
        required=False,
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        help_text=_("Optional. A time in the future schedules the publication."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(
        self,
        data=None,
        *,
        language: str,
        existing: ArticleTranslation | None,
        initial: dict | None = None,
    ):
        self.language = language
        self.existing = existing
        if existing is not None:
            initial = {
                "title": existing.title,
                "slug": existing.slug,
                "summary": existing.summary,
                "body": existing.body,
                "status": existing.status,
                "publish_at": existing.published_at,
            }
        super().__init__(data, prefix=language, initial=initial)
        for field in self.fields.values():
            field.widget.attrs.setdefault("lang", language)

    @property
    def language_name(self) -> str:
        return Language(self.language).label

    def clean(self):
        data = super().clean()
        title = (data.get("title") or "").strip()
        if not title and (
            self.existing is not None
            or (data.get("body") or "").strip()
            or (data.get("summary") or "").strip()
        ):
            self.add_error("title", _("Give this translation a title."))
        if not title and data.get("status") == ArticleStatus.PUBLISHED and self.existing is None:
            self.add_error("status", _("Write the translation before publishing it."))
        return data

    def to_input(self) -> TranslationInput:
        data = self.cleaned_data
        return TranslationInput(
            language=self.language,
            title=data["title"],
            body=data["body"],
            summary=data["summary"],
            slug=data["slug"],
            status=data["status"] or ArticleStatus.DRAFT,
            publish_at=data["publish_at"],
        )


class ArticleFilterForm(forms.Form):
    q = forms.CharField(label=_("Title contains"), required=False, max_length=200)
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.all(),
        empty_label=_("All categories"),
    )
    section = SectionChoiceField(
        label=_("Section"),
        required=False,
        queryset=Section.objects.select_related("category"),
        empty_label=_("All sections"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any status")),
            ("published", _("Published")),
            ("scheduled", _("Scheduled")),
            ("draft", _("Draft")),
            ("internal", _("Agents only")),
        ],
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[
            ("", _("Any language")),
            ("ja", "日本語"),
            ("en", "English"),
            ("missing-ja", _("Missing Japanese")),
            ("missing-en", _("Missing English")),
        ],
    )


class ImageUploadForm(forms.Form):
    image = forms.FileField(label=_("Image"))
