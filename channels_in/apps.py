from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsInConfig(AppConfig):
    name = "channels_in"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from functools import partial

        from tickets import outbound

        from . import registry, services
        from .adapters import email, web

        registry.register(email.EmailAdapter())
        registry.register(web.WebFormAdapter())
        # A web-form ticket is answered by mail to the address the customer gave.
        for channel in ("email", "web"):
            outbound.register_sender(channel, partial(services.queue_delivery, kind="email"))
