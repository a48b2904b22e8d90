"""Mounted at the site root: public answer pages under /survey/, staff pages under
/agent/feedback/."""

from django.urls import path

from . import nps_public, nps_views, public_views, views

app_name = "feedback"
urlpatterns = [
    path("survey/followup/<str:token>/", public_views.followup_page, name="followup"),
    path("survey/updates/<str:token>/stop/", public_views.opt_out_page, name="opt_out"),
    path("survey/nps/<str:token>/", nps_public.nps_answer_page, name="nps_answer"),
    path("survey/nps/<str:token>/stop/", nps_public.nps_opt_out_page, name="nps_opt_out"),
    path("survey/<str:token>/", public_views.survey_page, name="survey"),
    path("agent/feedback/", views.csat_report, name="report"),
    path("agent/feedback/settings/", views.settings_list, name="settings"),
    path("agent/feedback/settings/<str:channel>/", views.settings_edit, name="settings_edit"),
    path("agent/feedback/templates/new/", views.template_edit, name="template_create"),
    path("agent/feedback/templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("agent/feedback/nps/", nps_views.campaign_list, name="nps_list"),
    path("agent/feedback/nps/new/", nps_views.campaign_edit, name="nps_create"),
    path("agent/feedback/nps/<int:pk>/", nps_views.campaign_detail, name="nps"),
    path("agent/feedback/nps/<int:pk>/edit/", nps_views.campaign_edit, name="nps_edit"),
    path("agent/feedback/nps/<int:pk>/preview/", nps_views.campaign_preview, name="nps_preview"),
    path("agent/feedback/nps/<int:pk>/action/", nps_views.campaign_action, name="nps_action"),
    path("agent/feedback/nps/<int:pk>/export.csv", nps_views.campaign_export, name="nps_export"),
    path("agent/feedback/items/", views.item_list, name="items"),
    path("agent/feedback/items/new/", views.item_create, name="item_create"),
    path("agent/feedback/items/<int:pk>/", views.item_detail, name="item"),
    path(
        "agent/feedback/items/<int:pk>/links/<int:link_id>/delete/",
        views.item_unlink,
        name="item_unlink",
    ),
    path(
        "agent/feedback/tickets/<int:ticket_id>/followups/",
        views.followup_create,
        name="followup_create",
    ),
    path(
        "agent/feedback/tickets/<int:ticket_id>/items/",
        views.ticket_item_link,
        name="ticket_item_link",
    ),
    path(
        "agent/feedback/followups/<int:pk>/cancel/", views.followup_cancel, name="followup_cancel"
    ),
]
