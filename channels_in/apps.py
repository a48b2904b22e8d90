from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsInConfig(AppConfig):
    name = "channels_in"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from tickets import outbound

        from . import registry
        from .adapters import email, web
        from .shops import wiring as shops_wiring

        registry.register(email.EmailAdapter())
        registry.register(web.WebFormAdapter())
        shops_wiring.connect()  # shop order webhooks/polling; raw events in privacy requests
        # A web-form ticket is answered by mail to the address the customer gave; replies by
        # mail copy the ticket's followers (the people a customer's mail was Cc'd to).
        from tickets import panels as ticket_panels
        from tickets.signals import ticket_changed

        from .mail import followers, followers_views

        for channel in ("email", "web"):
            outbound.register_sender(channel, followers.queue_mail_delivery)
        ticket_changed.connect(followers.on_ticket_changed, dispatch_uid="mail_followers")
        ticket_panels.register_panel(
            "followers", followers_views.render_panel, order=30, query=followers_views.panel_query
        )
        self._connect_social(registry, outbound)

    def _connect_social(self, registry, outbound) -> None:
        """LINE, Messenger, Instagram, WhatsApp, X, Telegram, SMS and phone (calls)."""
        from tickets import panels

        from . import social_common, social_panel
        from .adapters import line, meta, telegram, twilio, whatsapp, x

        social = [
            line.LineAdapter(),
            meta.messenger_adapter(),
            meta.instagram_adapter(),
            whatsapp.WhatsAppAdapter(),
            x.XAdapter(),
            telegram.TelegramAdapter(),
            twilio.SmsAdapter(),
        ]
        for adapter in social:
            registry.register(adapter)
            outbound.register_sender(adapter.kind, social_common.sender_for(adapter.kind))
        # Calls are logged, not sent: no sender, so phone tickets take internal notes only.
        registry.register(twilio.VoiceAdapter())
        panels.register_panel(
            "social", social_panel.render_panel, order=40, query=social_panel.panel_query
        )
