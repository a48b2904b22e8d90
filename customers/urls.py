from django.urls import path

from . import avatar_views, field_views, org_views, privacy_views, shop_views, views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("audit/", views.access_log, name="audit"),
    path("organizations/", org_views.organization_list, name="organizations"),
    path("organizations/<int:pk>/", org_views.organization_detail, name="organization"),
    path(
        "organizations/<int:pk>/sharing/",
        org_views.organization_sharing,
        name="organization_sharing",
    ),
    path("tickets/<int:ticket_id>/order/", org_views.ticket_order, name="ticket-order"),
    path("identities/<int:pk>/avatar/", avatar_views.identity_avatar, name="identity-avatar"),
    path("fields/", field_views.field_list, name="fields"),
    path("fields/<int:pk>/", field_views.field_edit, name="field-edit"),
    path("shops/", shop_views.shop_list, name="shops"),
    path("shops/new/", shop_views.shop_form, name="shop-new"),
    path("shops/<int:pk>/", shop_views.shop_form, name="shop-edit"),
    path("shops/<int:pk>/test/", shop_views.shop_test, name="shop-test"),
    path("shops/<int:pk>/sync/", shop_views.shop_sync, name="shop-sync"),
    path("shops/<int:pk>/delete/", shop_views.shop_delete, name="shop-delete"),
    path("orders/import/", views.order_import, name="import"),
    path("orders/import/confirm/", views.order_import_confirm, name="import-confirm"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/more/<slug:part>/", views.customer_more, name="more"),
    path("<int:pk>/notes/", views.note_add, name="note-add"),
    path("<int:pk>/notes/<int:note_pk>/pin/", views.note_pin, name="note-pin"),
    path("<int:pk>/merge/<int:source_pk>/", views.merge_confirm, name="merge"),
    path("<int:pk>/block/", views.block, name="block"),
    path("<int:pk>/unblock/", views.unblock, name="unblock"),
    path("<int:pk>/fields/", field_views.customer_fields_update, name="fields-update"),
    path("<int:pk>/privacy/", privacy_views.privacy_page, name="privacy"),
    path("<int:pk>/export/", privacy_views.export, name="export"),
    path("<int:pk>/erase/", privacy_views.erase, name="erase"),
]
