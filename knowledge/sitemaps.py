"""sitemap.xml: every public article in each language it is published in, with hreflang pairs."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import translation

from helpdesk.i18n import LANGUAGE_CODES

from .models import Article, Category, Section
from .selectors import visible_filter, visible_translations
from .seo import article_path


class SiteUrlSitemap(Sitemap):
    """Absolute URLs from settings.SITE_URL, like every other URL the help center publishes."""

    i18n = True
    alternates = True

    @property
    def protocol(self) -> str:  # type: ignore[override]
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc


class ArticleSitemap(SiteUrlSitemap):
    changefreq = "weekly"

    def items(self) -> QuerySet[Article]:
        live = visible_translations(None).only("article_id", "language", "slug", "updated_at")
        return (
            Article.objects.filter(visible_filter(None, "translations__"))
            .distinct()
            .prefetch_related(Prefetch("translations", queryset=live, to_attr="live"))
            .order_by("id")
        )

    def get_languages_for_item(self, item: Article) -> list[str]:
        return [t.language for t in item.live]

    def location(self, item: Article) -> str:
        language = translation.get_language()
        return article_path(next(t for t in item.live if t.language == language))

    def lastmod(self, item: Article):
        return max(t.updated_at for t in item.live)


class ListingSitemap(SiteUrlSitemap):
    """Home, FAQ, categories and sections: the same page in both languages."""

    changefreq = "daily"

    def items(self) -> list[tuple[str, dict]]:
        pages: list[tuple[str, dict]] = [("knowledge:home_lang", {}), ("knowledge:faq", {})]
        listed = visible_filter(None, "articles__translations__")
        sections = Section.objects.filter(listed).distinct().order_by("id")
        categories = Category.objects.filter(id__in=sections.values("category_id")).order_by("id")
        pages += [("knowledge:category", {"slug": c.slug}) for c in categories]
        pages += [("knowledge:section", {"slug": s.slug}) for s in sections]
        return pages

    def get_languages_for_item(self, item) -> list[str]:
        return LANGUAGE_CODES

    def location(self, item: tuple[str, dict]) -> str:
        view_name, kwargs = item
        return reverse(view_name, kwargs={"lang": translation.get_language(), **kwargs})


SITEMAPS = {"articles": ArticleSitemap, "pages": ListingSitemap}
