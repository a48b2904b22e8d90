from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("audit/", views.access_log, name="audit"),
    path("orders/import/", views.order_import, name="import"),
    path("orders/import/confirm/", views.order_import_confirm, name="import-confirm"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/notes/", views.note_add, name="note-add"),
    path("<int:pk>/notes/<int:note_pk>/pin/", views.note_pin, name="note-pin"),
    path("<int:pk>/merge/<int:source_pk>/", views.merge_confirm, name="merge"),
    path("<int:pk>/block/", views.block, name="block"),
    path("<int:pk>/unblock/", views.unblock, name="unblock"),
]
