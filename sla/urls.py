from django.urls import path

from . import settings_views, views

app_name = "sla"
urlpatterns = [
    path("", views.now, name="now"),
    path("performance/", views.performance, name="performance"),
    path("performance.csv", views.performance_csv, name="performance-csv"),
    path("settings/", settings_views.policy_list, name="settings"),
    path("settings/policies/new/", settings_views.policy_edit, name="policy-new"),
    path("settings/policies/<int:pk>/", settings_views.policy_edit, name="policy-edit"),
    path("settings/policies/<int:pk>/delete/", settings_views.policy_delete, name="policy-delete"),
    path("settings/calendars/", settings_views.calendar_list, name="calendars"),
    path("settings/calendars/new/", settings_views.calendar_edit, name="calendar-new"),
    path("settings/calendars/<int:pk>/", settings_views.calendar_edit, name="calendar-edit"),
    path(
        "settings/calendars/<int:pk>/delete/",
        settings_views.calendar_delete,
        name="calendar-delete",
    ),
]
