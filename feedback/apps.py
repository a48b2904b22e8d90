from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from customers.erasure import register_personal_data_handler
        from customers.models import CustomerMerge
        from tickets.panels import register_panel
        from tickets.signals import ticket_changed

        from .nps_merge import on_customer_merged
        from .panel import panel_query, render_ticket_panel
        from .privacy import FeedbackPersonalData
        from .receivers import on_ticket_changed

        ticket_changed.connect(on_ticket_changed, dispatch_uid="feedback.on_ticket_changed")
        register_panel("feedback", render_ticket_panel, order=60, query=panel_query)
        # CSAT comments are the customer's own words: exported, erased and expired with them.
        register_personal_data_handler(FeedbackPersonalData())
        # NPS answers follow a merged customer (see nps_merge for why not the generic move).
        post_save.connect(
            on_customer_merged, sender=CustomerMerge, dispatch_uid="feedback.nps_customer_merged"
        )
