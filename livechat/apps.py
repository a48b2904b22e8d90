from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveChatConfig(AppConfig):
    name = "livechat"
    verbose_name = _("Live chat")

    def ready(self) -> None:
        from channels_in import registry
        from tickets import outbound, panels
        from tickets.signals import ticket_changed

        from .adapter import ChatAdapter
        from .ending import send_agent_reply
        from .offers import on_ticket_changed as offer_on_ticket_changed
        from .panel import render_chat_panel
        from .transfer import on_ticket_changed

        registry.register(ChatAdapter())
        # An agent's reply on a chat ticket is a delivery row (two when the chat turned into
        # an email conversation); the deliver queue pushes it.
        outbound.register_sender("chat", send_agent_reply)
        panels.register_panel("livechat", render_chat_panel, order=20)
        ticket_changed.connect(on_ticket_changed, dispatch_uid="livechat.transfer")
        ticket_changed.connect(offer_on_ticket_changed, dispatch_uid="livechat.offers")
