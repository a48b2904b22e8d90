from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = _("Routing and automations")

    def ready(self) -> None:
        from tickets.panels import register_panel
        from tickets.signals import ticket_changed

        from .engine import on_ticket_changed
        from .panel import render_ticket_panel

        ticket_changed.connect(on_ticket_changed, dispatch_uid="automations.on_ticket_changed")
        register_panel("automations", render_ticket_panel, order=80)
