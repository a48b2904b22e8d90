"""Agent settings pages, mounted at /agent/settings/."""

from django.urls import path

from . import settings_views as views
from .mail import followers_views
from .mailbox.backfill_views import mailbox_backfill
from .settings_views import listening

app_name = "agent_settings"
urlpatterns = [
    path("mailboxes/", views.mailbox_list, name="mailboxes"),
    path("mailboxes/new/", views.mailbox_create, name="mailbox_create"),
    path("mailboxes/<int:pk>/", views.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/test/", views.mailbox_test, name="mailbox_test"),
    path("mailboxes/<int:pk>/poll/", views.mailbox_poll, name="mailbox_poll"),
    path("mailboxes/<int:pk>/active/", views.mailbox_set_active, name="mailbox_set_active"),
    path("mailboxes/<int:pk>/delete/", views.mailbox_delete, name="mailbox_delete"),
    path("mailboxes/<int:pk>/backfill/", mailbox_backfill, name="mailbox_backfill"),
    path("social/", views.social_list, name="social_accounts"),
    path("social/new/<slug:kind>/", views.social_create, name="social_create"),
    path("social/<int:pk>/", views.social_edit, name="social_edit"),
    path("social/<int:pk>/test/", views.social_test, name="social_test"),
    path("social/<int:pk>/active/", views.social_set_active, name="social_set_active"),
    path("social/<int:pk>/webhook/", views.social_register_webhook, name="social_webhook"),
    path("listening/", listening.monitor_list, name="listening_monitors"),
    path("listening/new/", listening.monitor_create, name="listening_monitor_create"),
    path("listening/<int:pk>/", listening.monitor_edit, name="listening_monitor_edit"),
    path("listening/<int:pk>/delete/", listening.monitor_delete, name="listening_monitor_delete"),
    path("listening/<int:pk>/poll/", listening.monitor_poll, name="listening_monitor_poll"),
    # The feed is agents' work, like logging calls: it lives beside its settings.
    path("listening/feed/", listening.feed, name="listening_feed"),
    path(
        "listening/posts/<int:pk>/ticket/",
        listening.post_create_ticket,
        name="listening_post_ticket",
    ),
    path(
        "listening/posts/<int:pk>/status/", listening.post_set_status, name="listening_post_status"
    ),
    path("inbound/<int:pk>/release/", views.inbound_release, name="inbound_release"),
    path("inbound/<int:pk>/retry/", views.inbound_retry, name="inbound_retry"),
    # Logging a call is agents' work, not a setting; it lives here with the phone channel.
    path("calls/new/", views.call_log, name="call_log"),
    path("calls/ticket/<int:ticket_pk>/", views.call_log, name="ticket_call_log"),
    # Who is copied on a ticket's mail replies (the ticket page's Followers panel).
    path(
        "followers/ticket/<int:ticket_pk>/",
        followers_views.follower_add,
        name="ticket_follower_add",
    ),
    path(
        "followers/ticket/<int:ticket_pk>/<int:follower_pk>/remove/",
        followers_views.follower_remove,
        name="ticket_follower_remove",
    ),
]
