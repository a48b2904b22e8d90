from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Help center")

    def ready(self) -> None:
        # tickets cannot import knowledge: the help center follows ticket events instead.
        from tickets.panels import register_panel
        from tickets.signals import ticket_changed

        # Connect the cached help tree, search rankings and sections' reading lists to the
        # writes that change them.
        from . import related, search_cache, structure  # noqa: F401
        from .deflection import on_ticket_changed
        from .link_panel import render_link_panel

        ticket_changed.connect(on_ticket_changed, dispatch_uid="knowledge.deflection")
        # The ticket page: search the help center, insert an article's link into the reply.
        register_panel("knowledge-links", render_link_panel, order=70)
