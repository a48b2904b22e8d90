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
    path("social/", views.social_list, name="social_accounts"),
    path("social/new/<slug:kind>/", views.social_create, name="social_create"),
    path("social/<int:pk>/", views.social_edit, name="social_edit"),
    path("social/<int:pk>/test/", views.social_test, name="social_test"),
    path("social/<int:pk>/active/", views.social_set_active, name="social_set_active"),
    path("social/<int:pk>/webhook/", views.social_register_webhook, name="social_webhook"),
    path("inbound/<int:pk>/release/", views.inbound_release, name="inbound_release"),
    path("inbound/<int:pk>/retry/", views.inbound_retry, name="inbound_retry"),
    # Logging a call is agents' work, not a setting; it lives here with the phone channel.
    path("calls/new/", views.call_log, name="call_log"),
    path("calls/ticket/<int:ticket_pk>/", views.call_log, name="ticket_call_log"),
]
