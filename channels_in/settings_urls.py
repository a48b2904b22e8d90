"""Agent settings pages, mounted at /agent/settings/."""

from django.urls import path

from . import settings_views as views

app_name = "agent_settings"
urlpatterns = [
    path("mailboxes/", views.mailbox_list, name="mailboxes"),
    path("mailboxes/new/", views.mailbox_create, name="mailbox_create"),
    path("mailboxes/<int:pk>/", views.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/test/", views.mailbox_test, name="mailbox_test"),
    path("mailboxes/<int:pk>/poll/", views.mailbox_poll, name="mailbox_poll"),
    path("mailboxes/<int:pk>/active/", views.mailbox_set_active, name="mailbox_set_active"),
    path("mailboxes/<int:pk>/delete/", views.mailbox_delete, name="mailbox_delete"),
]
