from django.urls import path

from . import search_views, views

app_name = "knowledge"
urlpatterns = [
    path("", views.home_redirect, name="home"),
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
    path("<lang:lang>/search/go/<int:log_id>/<int:pk>/", search_views.search_click,
         name="search_click"),
]
