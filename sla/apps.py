from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("SLA and dashboards")

    def ready(self) -> None:
        from tickets.models import NotificationKind
        from tickets.notifications import register_summary
        from tickets.panels import register_panel
        from tickets.signals import connect_batch

        from .alerts import summarize_notices
        from .panel import panel_query, render_sla_panel
        from .receivers import on_ticket_changed, on_ticket_changes

        connect_batch(
            on_ticket_changed, batch=on_ticket_changes, dispatch_uid="sla.on_ticket_changed"
        )
        register_panel("sla", render_sla_panel, order=50, query=panel_query)
        register_summary(NotificationKind.SLA_WARNING, summarize_notices)
        register_summary(NotificationKind.SLA_BREACH, summarize_notices)
        # The tag rollups follow every change of a ticket's tags, also those no ticket event
        # announces (a merge adds the source's tags to the target).
        from django.db.models.signals import m2m_changed

        from tickets.models import Ticket

        from .rollups import mark_tags_changed

        m2m_changed.connect(
            mark_tags_changed, sender=Ticket.tags.through, dispatch_uid="sla.mark_tags_changed"
        )
        if apps.is_installed("feedback"):
            # CSAT counts in the dashboard rollups: a rating given, changed or erased dirties
            # its hour. Model signals because feedback must not know about sla (it is read only).
            from django.db.models.signals import post_delete, post_save

            from .rollup_days import mark_rating

            response = apps.get_model("feedback", "SurveyResponse")
            post_save.connect(mark_rating, sender=response, dispatch_uid="sla.mark_rating")
            post_delete.connect(mark_rating, sender=response, dispatch_uid="sla.unmark_rating")
