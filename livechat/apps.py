from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveChatConfig(AppConfig):
    name = "livechat"
    verbose_name = _("Live chat")

    def ready(self) -> None:
        from functools import partial

        from channels_in import registry
        from channels_in.services import queue_delivery
        from tickets import outbound, panels

        from .adapter import ChatAdapter
        from .panel import render_chat_panel

        registry.register(ChatAdapter())
        # An agent's reply on a chat ticket is a delivery row; the deliver queue pushes it.
        outbound.register_sender("chat", partial(queue_delivery, kind="chat"))
        panels.register_panel("livechat", render_chat_panel, order=20)
