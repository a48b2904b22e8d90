"""REST API v1, mounted at /api/v1/ (names under the `api` namespace)."""

from django.urls import path, re_path

from customers.api import CustomerDetailApi, CustomerListApi, CustomerOrdersApi
from tickets.api import (
    AttachmentDownloadApi,
    TicketDetailApi,
    TicketListApi,
    TicketMessagesApi,
)

from .api import api_not_found

app_name = "api"
urlpatterns = [
    path("tickets/", TicketListApi.as_view(), name="ticket-list"),
    path("tickets/<int:pk>/", TicketDetailApi.as_view(), name="ticket-detail"),
    path("tickets/<int:pk>/messages/", TicketMessagesApi.as_view(), name="ticket-messages"),
    path("attachments/<int:pk>/", AttachmentDownloadApi.as_view(), name="attachment-download"),
    path("customers/", CustomerListApi.as_view(), name="customer-list"),
    path("customers/<int:pk>/", CustomerDetailApi.as_view(), name="customer-detail"),
    path("customers/<int:pk>/orders/", CustomerOrdersApi.as_view(), name="customer-orders"),
    # Last: anything else under /api/v1/ answers with JSON, not the HTML 404 page.
    re_path(r"^.*$", api_not_found),
]
