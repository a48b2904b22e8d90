"""X (Twitter): direct messages and public mentions through the Account Activity webhook.

Contract (docs.x.com, Account Activity API):
- CRC: GET ?crc_token=… → `{"response_token": "sha256=<base64 HMAC-SHA256(consumer secret,
  crc_token)>"}`; POSTs carry `X-Twitter-Webhooks-Signature: sha256=<base64 HMAC-SHA256(
  consumer secret, raw body)>`;
- body `{"for_user_id", "direct_message_events": [{"type": "message_create", "id",
  "message_create": {"sender_id", "message_data": {"text", "attachment"}}}], "users": {…}}` or
  `{"for_user_id", "tweet_create_events": [{"id_str", "text", "user": {…}}]}`;
- replies: a DM by POST /2/dm_conversations/with/{participant_id}/messages `{"text"}`, a public
  reply by POST /2/tweets `{"text", "reply": {"in_reply_to_tweet_id"}}`. A mention is answered
  in public, a DM in private: the form of the customer's last message decides.
"""

from __future__ import annotations

import base64
import logging

from django.core.cache import cache
from django.http import JsonResponse
from django.utils.translation import gettext as _

from tickets.inbound import IncomingMessage

from .. import social_http, x_media
from ..models import InboundEvent, OutboundDelivery, SocialAccount
from ..registry import MalformedPayload, PermanentDeliveryError
from ..social_avatars import request_avatar
from ..social_common import (
    ConnectionCheck,
    SocialAdapter,
    access_token,
    account_for_ticket,
    bearer,
    decode_json,
    fetched_attachment,
    from_millis,
    hash_key,
    hmac_sha256,
    inbound_event_of,
    last_customer_message,
    refuse,
    same,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.x.com"
MAX_TWEET = 280
MAX_DM = 10000


def crc_response_token(consumer_secret: str, crc_token: str) -> str:
    digest = hmac_sha256(consumer_secret, crc_token.encode("utf-8"))
    return "sha256=" + base64.b64encode(digest).decode("ascii")


class XAdapter(SocialAdapter):
    kind = "x"
    kept_headers = ("Content-Type", "X-Twitter-Webhooks-Signature")

    def handshake(self, request, account: SocialAccount):
        crc_token = request.GET.get("crc_token", "")
        if not crc_token:
            return JsonResponse({"error": "crc_token is missing"}, status=400)
        return JsonResponse({"response_token": crc_response_token(account.get_secret(), crc_token)})

    def verify(self, request, body: bytes, account: SocialAccount) -> bool:
        expected = "sha256=" + base64.b64encode(hmac_sha256(account.get_secret(), body)).decode()
        return same(request.headers.get("X-Twitter-Webhooks-Signature", ""), expected)

    def events(self, data):
        if not isinstance(data, dict):
            raise MalformedPayload("an Account Activity body is an object")
        users = data.get("users") or {}
        for item in data.get("direct_message_events") or []:
            if not isinstance(item, dict):
                raise MalformedPayload("a DM event is an object")
            yield (
                f"dm:{item.get('id') or hash_key(item)}",
                {
                    "dm": item,
                    "users": users,
                    "for_user_id": data.get("for_user_id"),
                },
            )
        for item in data.get("tweet_create_events") or []:
            if not isinstance(item, dict):
                raise MalformedPayload("a tweet event is an object")
            yield (
                f"tweet:{item.get('id_str') or hash_key(item)}",
                {
                    "tweet": item,
                    "for_user_id": data.get("for_user_id"),
                },
            )

    def parse_item(self, item: dict, account: SocialAccount, event: InboundEvent):
        ours = str(item.get("for_user_id") or account.external_id)
        if "dm" in item:
            return self._dm(item, ours, account)
        return self._tweet(item["tweet"], ours, account)

    def _dm(self, item: dict, ours: str, account: SocialAccount):
        dm = item["dm"]
        create = dm.get("message_create") or {}
        sender = str(create.get("sender_id", ""))
        if dm.get("type") != "message_create" or not sender or sender == ours:
            return []  # our own DMs echoed back
        data = create.get("message_data") or {}
        attachments, notes = [], []
        media = (data.get("attachment") or {}).get("media") or {}
        if media.get("media_url_https"):
            got, note = fetched_attachment(
                media["media_url_https"],
                stem=f"x-{media.get('type', 'media')}",
                headers=bearer(account.get_access_token()),
            )
            attachments += [got] if got else []
            notes += [note] if note else []
        user = item["users"].get(sender) or {}
        request_avatar(kind="x", handle=sender, account=account, url=_x_picture(user))
        return [
            IncomingMessage(
                channel="x",
                identity_kind="x",
                handle=sender,
                display_name=_x_name(user),
                body_text="\n".join(p for p in [data.get("text", ""), *notes] if p),
                external_id=f"x:dm:{dm.get('id')}",
                attachments=tuple(attachments),
                sent_at=from_millis(dm.get("created_timestamp")),
            )
        ]

    def _tweet(self, tweet: dict, ours: str, account: SocialAccount):
        user = tweet.get("user") or {}
        author = str(user.get("id_str", ""))
        if not author or author == ours or tweet.get("retweeted_status"):
            return []  # our own posts and plain retweets are not questions
        request_avatar(kind="x", handle=author, account=account, url=_x_picture(user))
        text = (tweet.get("extended_tweet") or {}).get("full_text") or tweet.get("text", "")
        attachments = []
        for media in (tweet.get("extended_entities") or tweet.get("entities") or {}).get(
            "media"
        ) or []:
            if media.get("media_url_https"):
                got, _note = fetched_attachment(media["media_url_https"], stem="x-photo")
                attachments += [got] if got else []
        return [
            IncomingMessage(
                channel="x",
                identity_kind="x",
                handle=author,
                display_name=_x_name(user),
                body_text=text,
                external_id=f"x:tweet:{tweet.get('id_str')}",
                replies_to=(f"x:tweet:{tweet['in_reply_to_status_id_str']}",)
                if tweet.get("in_reply_to_status_id_str")
                else (),
                attachments=tuple(attachments),
            )
        ]

    # --- outbound ---------------------------------------------------------------------------

    def _public_target(self, ticket) -> tuple[str, str] | None:
        """(tweet id, @screen_name) when the customer's last message was a public mention."""
        last = last_customer_message(ticket)
        if last is None or not last.external_id.startswith("x:tweet:"):
            return None
        screen_name = ""
        event = inbound_event_of(last)
        if event is not None:
            key = event.headers.get("madoguchi-event", "")
            for item_key, item in self.keyed_events(decode_json(bytes(event.payload))):
                if item_key == key and "tweet" in item:
                    screen_name = (item["tweet"].get("user") or {}).get("screen_name", "")
        return last.external_id.removeprefix("x:tweet:"), screen_name

    def check_reply(self, message) -> None:
        super().check_reply(message)
        target = self._public_target(message.ticket)
        x_media.check_files(message, public=target is not None)
        if target is not None and len(_public_text(message.body_text, target[1])) > MAX_TWEET:
            refuse(
                _(
                    "This reply goes out as a public post on X, which holds at most %(n)s "
                    "characters (including the @name). Shorten it."
                )
                % {"n": MAX_TWEET}
            )

    def deliver(self, delivery: OutboundDelivery) -> str:
        ticket = delivery.message.ticket
        account = account_for_ticket(ticket, self.kind)
        headers = bearer(access_token(account))
        base = social_http.base_url(account)
        target = self._public_target(ticket)
        media_ids = x_media.upload_files(
            base=base,
            headers=headers,
            delivery_id=delivery.pk,
            message=delivery.message,
            public=target is not None,
        )
        if target is not None:
            tweet_id, screen_name = target
            payload = {
                "text": _public_text(delivery.message.body_text, screen_name),
                "reply": {"in_reply_to_tweet_id": tweet_id},
            }
            if media_ids:
                payload["media"] = {"media_ids": media_ids}
            response = social_http.request(
                "POST", f"{base}/2/tweets", json=payload, headers=headers
            )
            if not response.ok:
                raise PermanentDeliveryError(_x_error(response))
            return f"tweet:{(response.body.get('data') or {}).get('id', '')}"
        # A DM carries one file: the text goes with the first, each further file in a DM of
        # its own. A retry skips the DMs an earlier attempt already sent.
        text = delivery.message.body_text.strip()[:MAX_DM]
        bodies = [{"text": text}] if text else []
        for number, media_id in enumerate(media_ids):
            attachment = {"attachments": [{"media_id": media_id}]}
            if number == 0 and bodies:
                bodies[0].update(attachment)
            else:
                bodies.append(attachment)
        sent = []
        for number, body in enumerate(bodies):
            key = f"x-dm-sent:{delivery.pk}:{number}"
            earlier = cache.get(key)
            if earlier:
                sent.append(earlier)
                continue
            response = social_http.request(
                "POST",
                f"{base}/2/dm_conversations/with/{delivery.recipient}/messages",
                json=body,
                headers=headers,
            )
            if not response.ok:
                raise PermanentDeliveryError(_x_error(response))
            sent.append(f"dm:{(response.body.get('data') or {}).get('dm_event_id', '')}")
            cache.set(key, sent[-1], timeout=24 * 60 * 60)
        return " ".join(sent)

    def test_connection(self, account: SocialAccount) -> ConnectionCheck:
        try:
            response = social_http.request(
                "GET",
                f"{social_http.base_url(account)}/2/users/me",
                headers=bearer(account.get_access_token()),
            )
        except social_http.ProviderUnavailable as exc:
            return ConnectionCheck(False, _("X could not be reached: %(e)s") % {"e": exc})
        if not response.ok:
            return ConnectionCheck(False, _x_error(response))
        user = response.body.get("data") or {}
        if not account.external_id and user.get("id"):
            account.external_id = str(user["id"])
        return ConnectionCheck(
            True, _("Connected to X as @%(name)s.") % {"name": user.get("username", "")}
        )


def _public_text(text: str, screen_name: str) -> str:
    text = text.strip()
    mention = f"@{screen_name}"
    if screen_name and not text.lower().startswith(mention.lower()):
        text = f"{mention} {text}"
    return text


def _x_picture(user: dict) -> str | None:
    """The profile picture URL of a v1.1 user object (or the v2 field polling copies in);
    None when the event does not say (the avatar task asks X)."""
    if "profile_image_url_https" not in user and "profile_image_url" not in user:
        return None
    url = user.get("profile_image_url_https") or user.get("profile_image_url") or ""
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else ""


def _x_name(user: dict) -> str:
    name, screen = user.get("name", ""), user.get("screen_name", "")
    return f"{name} (@{screen})" if name and screen else name or (f"@{screen}" if screen else "")


def _x_error(response: social_http.ProviderResponse) -> str:
    body = response.body
    detail = body.get("detail") or body.get("title") or response.text[:300]
    errors = body.get("errors") or []
    if errors and isinstance(errors[0], dict):
        detail = errors[0].get("message") or detail
    if response.status == 401:
        return _("X refused the access token (%(detail)s): update it in Settings.") % {
            "detail": detail
        }
    return _("X refused the message (HTTP %(status)s): %(detail)s") % {
        "status": response.status,
        "detail": detail,
    }
