from django.urls import path

from . import (
    access_views,
    bot_views,
    deflection_views,
    editor_views,
    link_panel,
    manage_views,
    portal_views,
    search_views,
    theme_views,
    views,
)

app_name = "knowledge"
urlpatterns = [
    path("", views.home_redirect, name="home"),
    # Staff: the article editor, the order of the tree, the knowledge-gap reports.
    path("manage/", editor_views.article_list, name="manage"),
    path("manage/new/", editor_views.article_edit, name="manage_new"),
    path("manage/<int:pk>/", editor_views.article_edit, name="manage_edit"),
    path("manage/preview/", editor_views.preview, name="manage_preview"),
    path("manage/images/", editor_views.upload_image, name="manage_image_upload"),
    path("manage/<int:pk>/<lang:lang>/history/", editor_views.history, name="manage_history"),
    path(
        "manage/<int:pk>/<lang:lang>/history/<int:version_id>/restore/",
        editor_views.restore,
        name="manage_restore",
    ),
    path("manage/structure/", manage_views.structure, name="manage_structure"),
    path("manage/structure/move/", manage_views.move, name="manage_move"),
    path("manage/structure/add/", manage_views.add_node, name="manage_add_node"),
    path(
        "manage/structure/category/<int:pk>/access/",
        access_views.category_access,
        name="manage_category_access",
    ),
    path(
        "manage/structure/section/<int:pk>/access/",
        access_views.section_access,
        name="manage_section_access",
    ),
    path("manage/reports/", manage_views.gap_report_page, name="manage_reports"),
    path("manage/theme/", theme_views.theme_settings, name="manage_theme"),
    path("manage/link-search/", link_panel.link_search, name="link_search"),
    path("images/<str:name>", editor_views.image, name="image"),
    path("theme.css", theme_views.theme_stylesheet, name="theme_css"),
    # Customers.
    path("<lang:lang>/", views.home, name="home_lang"),
    path("<lang:lang>/faq/", views.faq, name="faq"),
    path("<lang:lang>/c/<slug:slug>/", views.category, name="category"),
    path("<lang:lang>/s/<slug:slug>/", views.section, name="section"),
    # The slug is for people and crawlers; the id finds the article, a stale slug redirects.
    path("<lang:lang>/a/<int:pk>-<str:slug>/", views.article, name="article"),
    path("<lang:lang>/a/<int:pk>/", views.article, name="article_short"),
    path("<lang:lang>/a/<int:pk>/feedback/", views.feedback, name="feedback"),
    path("<lang:lang>/search/", search_views.search, name="search"),
    path("<lang:lang>/search/suggest/", search_views.suggest, name="suggest"),
    path(
        "<lang:lang>/search/go/<int:log_id>/<int:pk>/",
        search_views.search_click,
        name="search_click",
    ),
    path("<lang:lang>/contact-beacon/", deflection_views.contact_beacon, name="contact_beacon"),
    path("<lang:lang>/bot/ask/", bot_views.bot_ask, name="bot_ask"),
    path("<lang:lang>/bot/<str:token>/solved/", bot_views.bot_solved, name="bot_solved"),
    path("<lang:lang>/requests/", portal_views.request_list, name="requests"),
    path("<lang:lang>/requests/<int:pk>/", portal_views.request_detail, name="request"),
]
