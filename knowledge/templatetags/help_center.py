"""Template helpers for help-center pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def name_in(item, language: str) -> str:
    """A category's or section's name in `language`, else in the other language."""
    return item.name_in(language)


@register.filter
def description_in(item, language: str) -> str:
    return item.description_in(language)


@register.filter
def has_name_in(item, language: str) -> bool:
    return item.has_name(language)


@register.filter
def article_href(translation) -> str:
    """The article page of a translation (or a related-list entry): knowledge.seo.article_path."""
    from knowledge.seo import article_path

    return article_path(translation)


@register.simple_tag
def help_theme():
    """The admins' look for the help center (cached; see knowledge.theme)."""
    from knowledge.theme import current_theme

    return current_theme()
