from django.urls import path

from . import views

app_name = "automations"
urlpatterns = [
    path("", views.automation_list, name="automations"),
    path("new/", views.automation_edit, name="automation-new"),
    path("<int:pk>/", views.automation_edit, name="automation-edit"),
    path("<int:pk>/delete/", views.automation_delete, name="automation-delete"),
    path("routing/", views.routing_list, name="routing"),
    path("routing/new/", views.routing_edit, name="routing-new"),
    path("routing/<int:pk>/", views.routing_edit, name="routing-edit"),
    path("routing/<int:pk>/delete/", views.routing_delete, name="routing-delete"),
    path("move/<str:kind>/<int:pk>/<str:direction>/", views.move, name="move"),
    path("assignment/", views.assignment, name="assignment"),
    path("assignment/teams/<int:team_id>/", views.team_assignment_edit, name="team-edit"),
    path("assignment/agents/<int:user_id>/", views.agent_edit, name="agent-edit"),
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_edit, name="product-new"),
    path("products/<int:pk>/", views.product_edit, name="product-edit"),
    path("products/<int:pk>/delete/", views.product_delete, name="product-delete"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_edit, name="webhook-new"),
    path("webhooks/<int:pk>/", views.webhook_edit, name="webhook-edit"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook-delete"),
    path("log/", views.run_log, name="log"),
]
