from django.urls import path

from . import views, views_bulk, views_macros, views_saved

app_name = "tickets"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("tickets/<int:pk>/", views.ticket_detail, name="detail"),
    path("tickets/<int:pk>/sidebar/", views.ticket_sidebar, name="sidebar"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="reply"),
    path("tickets/<int:pk>/update/", views.ticket_update, name="update"),
    path("tickets/<int:pk>/merge/", views_bulk.ticket_merge, name="merge"),
    path("tickets/<int:pk>/split/", views_bulk.ticket_split, name="split"),
    path("tickets/<int:pk>/spam/", views_bulk.ticket_spam, name="spam"),
    path("tickets/<int:pk>/macros/", views_macros.ticket_macros, name="ticket-macros"),
    path(
        "tickets/<int:pk>/macros/<int:macro_pk>/",
        views_macros.ticket_macro_render,
        name="ticket-macro",
    ),
    path(
        "tickets/<int:pk>/macros/<int:macro_pk>/apply/",
        views_macros.ticket_macro_apply,
        name="ticket-macro-apply",
    ),
    path("bulk/", views_bulk.bulk_update, name="bulk"),
    path("views/new/", views_saved.view_create, name="view-create"),
    path("views/<int:pk>/", views_saved.view_edit, name="view-edit"),
    path("views/<int:pk>/delete/", views_saved.view_delete, name="view-delete"),
    path("macros/", views_macros.macro_list, name="macros"),
    path("macros/new/", views_macros.macro_create, name="macro-create"),
    path("macros/<int:pk>/", views_macros.macro_edit, name="macro-edit"),
    path("macros/<int:pk>/delete/", views_macros.macro_delete, name="macro-delete"),
    path("notifications/", views_bulk.notification_list, name="notifications"),
    path("notifications/read/", views_bulk.notification_read, name="notifications-read"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
