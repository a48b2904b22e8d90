from django.urls import path

from . import views

app_name = "knowledge"
urlpatterns = [
    path("", views.home_redirect, name="home"),
    path("<lang:lang>/", views.home, name="home_lang"),
]
