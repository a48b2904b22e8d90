from django.urls import path

from . import webhooks
from .mail.webhooks import inbound_mail
from .shops.views import shopify_webhook

app_name = "webhooks"
urlpatterns: list = [
    path("email/<slug:esp>/", inbound_mail, name="inbound_mail"),
    path("shopify/<slug:account_id>/", shopify_webhook, name="shopify"),
    path("media/<str:token>/<str:filename>", webhooks.media_link, name="media"),
    path("<slug:kind>/<int:account_id>/", webhooks.social_webhook, name="social"),
]
