from django.urls import path

from . import views

app_name = "channels_in"
urlpatterns = [
    path("<lang:lang>/contact/", views.contact_form, name="contact"),
    path("<lang:lang>/contact/sent/", views.contact_sent, name="contact_sent"),
]
