from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("tickets/<int:pk>/", views.ticket_detail, name="detail"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="reply"),
    path("tickets/<int:pk>/update/", views.ticket_update, name="update"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
