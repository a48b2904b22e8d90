from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveChatConfig(AppConfig):
    name = "livechat"
    verbose_name = _("Live chat")
