"""Files crawlers expect at the site root: /robots.txt and /sitemap.xml."""

from __future__ import annotations

from django.contrib.sitemaps.views import sitemap as django_sitemap
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from .seo import absolute
from .sitemaps import SITEMAPS

# Staff areas, the API and per-visitor pages (search results, votes) are not for indexing.
ROBOTS_DISALLOW = [
    "/agent/",
    "/admin/",
    "/api/",
    "/accounts/",
    "/dashboards/",
    "/help/*/search/",
    "/help/*/contact/",
]


@require_safe
@cache_control(public=True, max_age=3600)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        *(f"Disallow: {path}" for path in ROBOTS_DISALLOW),
        "",
        f"Sitemap: {absolute(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
@cache_control(public=True, max_age=3600)
def sitemap_xml(request: HttpRequest) -> HttpResponse:
    return django_sitemap(request, sitemaps=SITEMAPS, template_name="knowledge/sitemap.xml")
