"""REST API v1, mounted at /api/v1/ (names under the `api` namespace)."""

from django.urls import path, re_path

from customers.api import CustomerDetailApi, CustomerListApi, CustomerOrdersApi
from feedback.api import SurveyDetailApi, SurveyListApi
from knowledge.api import ArticleDetailApi, ArticleListApi
from tickets.api import (
    AttachmentDownloadApi,
    TicketDetailApi,
    TicketListApi,
    TicketMessagesApi,
)
from tickets.api_workspace import MacroDetailApi, MacroListApi, ViewDetailApi, ViewListApi

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
    path("articles/", ArticleListApi.as_view(), name="article-list"),
    path("articles/<int:pk>/", ArticleDetailApi.as_view(), name="article-detail"),
    path("surveys/", SurveyListApi.as_view(), name="survey-list"),
    path("surveys/<int:pk>/", SurveyDetailApi.as_view(), name="survey-detail"),
    path("views/", ViewListApi.as_view(), name="view-list"),
    path("views/<int:pk>/", ViewDetailApi.as_view(), name="view-detail"),
    path("macros/", MacroListApi.as_view(), name="macro-list"),
    path("macros/<int:pk>/", MacroDetailApi.as_view(), name="macro-detail"),
    # Last: anything else under /api/v1/ answers with JSON, not the HTML 404 page.
    re_path(r"^[\s\S]*$", api_not_found),
]
