from django.contrib import admin
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import health, views
from .i18n import LanguageConverter

register_converter(LanguageConverter, "lang")

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("knowledge.root_urls")),  # /robots.txt, /sitemap.xml
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("agent/customers/", include("customers.urls")),
    path("agent/", include("tickets.urls")),
    path("agent/settings/", include("channels_in.settings_urls")),
    path("agent/automations/", include("automations.urls")),
    path("help/", include("knowledge.urls")),
    path("help/", include("channels_in.urls")),
    path("webhooks/", include("channels_in.webhook_urls")),
    path("dashboards/", include("sla.urls")),
    path("", include("livechat.urls")),  # /widget.js, chat settings
    path("", include("feedback.urls")),  # survey links, feedback items
    path("api/v1/", include("helpdesk.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
