"""URLs of the django-helpdesk peer project: the helpdesk at /helpdesk/, as its docs install it."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
]
