"""Mounted at the site root: the public widget endpoints and the chat settings pages."""

from django.urls import path

from . import offer_views, settings_views, views

app_name = "livechat"
urlpatterns = [
    path("widget.js", views.widget_js, name="widget_js"),
    path("widget/<str:key>/config/", views.widget_config, name="config"),
    path("widget/<str:key>/upload/", views.widget_upload, name="upload"),
    path("widget/<str:key>/suggest/<str:lang>/", views.widget_suggest, name="suggest"),
    path(
        "widget/<str:key>/article/<str:lang>/<int:article_id>/",
        views.widget_article,
        name="article",
    ),
    path("widget/files/<int:pk>/<str:token>/", views.widget_file, name="file"),
    path("agent/chat/offers/", offer_views.my_offers, name="offers"),
    path("agent/chat/offers/<int:pk>/accept/", offer_views.offer_accept, name="offer_accept"),
    path("agent/chat/offers/<int:pk>/decline/", offer_views.offer_decline, name="offer_decline"),
    path("agent/settings/chat/offers/", offer_views.offer_log, name="offer_log"),
    path("agent/settings/chat/", settings_views.channel_list, name="settings"),
    path("agent/settings/chat/new/", settings_views.channel_form, name="settings_create"),
    path("agent/settings/chat/<int:pk>/", settings_views.channel_form, name="settings_edit"),
    path(
        "agent/settings/chat/<int:pk>/delete/",
        settings_views.channel_delete,
        name="settings_delete",
    ),
]
