from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = _("Routing and automations")

    def ready(self) -> None:
        from tickets.panels import register_panel
        from tickets.signals import connect_batch, ticket_changed

        from . import clocks
        from .engine import on_ticket_changed
        from .panel import panel_query, render_ticket_panel

        # Clocks first: time conditions of the automations below read them.
        connect_batch(
            clocks.on_ticket_changed,
            batch=clocks.on_ticket_changes,
            dispatch_uid="automations.clocks",
        )
        ticket_changed.connect(on_ticket_changed, dispatch_uid="automations.on_ticket_changed")
        register_panel("automations", render_ticket_panel, order=80, query=panel_query)
