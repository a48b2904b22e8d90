from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from customers.signals import customer_changed

        from .access import check_visibility_setting
        from .search_index import refresh_for_customer_change

        # Tickets index their customer's name, email and handles: keep those copies current.
        customer_changed.connect(refresh_for_customer_change, dispatch_uid="tickets-search")
        checks.register(check_visibility_setting)
        _connect_customer_ports()


def _connect_customer_ports() -> None:
    """Tickets' share of privacy requests, and the "order this ticket is about" panel."""
    from customers.erasure import register_personal_data_handler
    from customers.panels import render_order_panel
    from customers.selectors import order_picker_sql

    from .panels import CUSTOMER_ID, TICKET_ID, PanelQuery, register_panel
    from .privacy import TicketPersonalData

    def order_panel_query() -> PanelQuery:
        return PanelQuery(*order_picker_sql(TICKET_ID, CUSTOMER_ID))

    register_personal_data_handler(TicketPersonalData())
    register_panel("customer-order", render_order_panel, order=30, query=order_panel_query)
