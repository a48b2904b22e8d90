"""Profile pictures: fetched after the message is filed, from each platform's documented
profile API, checked and re-encoded before anyone sees them; bad pictures never stop a message."""

from __future__ import annotations

import io

import pytest
from celery.exceptions import Retry
from PIL import Image

from channels_in import social_avatars, social_http
from customers import avatars
from customers.models import Identity
from tests.channels_in.social.conftest import TOKENS
from tests.channels_in.social.provider import Reply
from tests.factories import STAFF_PASSWORD, UserFactory
from tests.tickets.page import ticket_page_html
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

LINE_USER = "U0123456789abcdef0123456789abcdef"
BOT = f"/bot{TOKENS['telegram']}"


def picture(fmt="PNG", size=(300, 200), color=(200, 30, 30, 255), mode="RGBA") -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        mode = "RGB"
    Image.new(mode, size, color if mode == "RGBA" else color[:3]).save(out, format=fmt)
    return out.getvalue()


def line_event(text="こんにちは", event_id="01JAVATAREVENT0000000000001"):
    return {
        "destination": "Ubot0000",
        "events": [
            {
                "type": "message",
                "mode": "active",
                "timestamp": 1767225600000,
                "webhookEventId": event_id,
                "deliveryContext": {"isRedelivery": False},
                "source": {"type": "user", "userId": LINE_USER},
                "replyToken": "r-token",
                "message": {"id": event_id[-6:], "type": "text", "text": text},
            }
        ],
    }


@pytest.fixture
def line_profile(provider):
    """GET /v2/bot/profile/{userId} naming a picture on the fake CDN, which a test fills."""
    state = {"picture": "/cdn/profile/a.png"}
    cdn: dict[str, Reply] = {}

    def profile(req, match):
        body = {"displayName": "山田 花子", "userId": match[1], "language": "ja"}
        if state["picture"]:
            body["pictureUrl"] = provider.url + state["picture"]
        return Reply(200, body)

    provider.route("GET", r"/v2/bot/profile/(\w+)", profile)
    provider.route("GET", r"/cdn/profile/(.+)", lambda req, m: cdn.get(m[1], Reply(404, b"")))
    return state, cdn


def stored_picture(identity: Identity) -> Image.Image:
    identity.refresh_from_db()
    with identity.avatar.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def test_line_picture_is_stored_as_our_own_small_jpeg_and_shown_to_staff(
    make_account, post_webhook, line_profile, client
):
    _state, cdn = line_profile
    cdn["a.png"] = Reply(200, picture(), {"Content-Type": "image/png"})
    account = make_account("line")
    assert post_webhook(account, line_event()).status_code == 200
    ticket = Ticket.objects.get()
    identity = ticket.identity
    image = stored_picture(identity)
    assert image.format == "JPEG" and image.size == (avatars.SIZE, avatars.SIZE)
    assert image.getpixel((48, 48))[0] > 180  # the red picture, centre-cropped
    assert identity.avatar_source.endswith("/cdn/profile/a.png")

    # The ticket page shows it from our own origin; only staff can load it.
    avatar_path = f"/agent/customers/identities/{identity.pk}/avatar/"
    assert client.get(avatar_path).status_code in (302, 401, 403)
    agent = UserFactory(role="agent")
    client.login(email=agent.email, password=STAFF_PASSWORD)
    page = ticket_page_html(client, ticket.pk)
    assert f'src="{avatar_path}?v=' in page
    assert "/cdn/profile/" not in page  # never a hotlink to the platform
    response = client.get(avatar_path)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    customer_page = client.get(f"/agent/customers/{ticket.customer_id}/").content.decode()
    assert f'src="{avatar_path}?v=' in customer_page


def test_same_picture_is_not_fetched_again_and_a_new_one_replaces_the_old_file(
    make_account, post_webhook, line_profile, provider
):
    state, cdn = line_profile
    cdn["a.png"] = Reply(200, picture(), {"Content-Type": "image/png"})
    account = make_account("line")
    post_webhook(account, line_event())
    identity = Identity.objects.get(kind="line")
    first_file = identity.avatar.name
    assert social_avatars.fetch_avatar("line", LINE_USER, account.pk) == "current"
    assert len(provider.sent("GET", "/cdn/profile/a.png")) == 1

    # The customer changes their picture: the new one replaces the old, whose file goes.
    state["picture"] = "/cdn/profile/b.jpg"
    cdn["b.jpg"] = Reply(200, picture("JPEG", color=(20, 20, 220, 255)), {})

    assert social_avatars.fetch_avatar("line", LINE_USER, account.pk) == "stored"
    image = stored_picture(identity)
    assert image.getpixel((10, 10))[2] > 180  # blue now
    assert identity.avatar.name != first_file

    # The user removes their picture: LINE's profile has no pictureUrl, ours goes too.
    state["picture"] = ""
    assert social_avatars.fetch_avatar("line", LINE_USER, account.pk) == "none"
    identity.refresh_from_db()
    assert not identity.avatar


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (Reply(200, b"\x89PNG" + b"\x00" * (avatars.MAX_SOURCE_BYTES + 10), {}), "refused"),
        (
            Reply(200, b"<html><script>alert(1)</script></html>", {"Content-Type": "text/html"}),
            "refused",
        ),
        (Reply(200, b"GIF89a this is not really a gif", {"Content-Type": "image/gif"}), "refused"),
        (Reply(404, b""), "gone"),
    ],
    ids=["oversized", "html", "broken", "404"],
)
def test_bad_or_missing_pictures_are_refused_and_the_message_still_arrives(
    make_account, post_webhook, line_profile, reply, why
):
    _state, cdn = line_profile
    cdn["a.png"] = reply
    account = make_account("line")
    assert post_webhook(account, line_event(text="届いてますか")).status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.messages.get().body_text == "届いてますか"
    assert ticket.customer.name == "山田 花子"
    assert not ticket.identity.avatar
    assert social_avatars.fetch_avatar("line", LINE_USER, account.pk).startswith(why)


def test_a_picture_claiming_enormous_dimensions_is_not_decoded():
    # A 1 × 1 file whose header says 20,000 × 20,000 pixels: refused before decoding.
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, format="PNG")
    data = bytearray(out.getvalue())
    data[16:24] = (20000).to_bytes(4, "big") * 2  # IHDR width and height
    with pytest.raises(avatars.AvatarRefused):
        avatars.normalized_avatar(bytes(data), "image/png")


def test_transparent_pictures_are_flattened_on_white():
    data = avatars.normalized_avatar(picture(color=(0, 0, 0, 0)), "image/png")
    image = Image.open(io.BytesIO(data))
    assert image.getpixel((5, 5)) >= (250, 250, 250)


def test_platform_down_is_retried_by_the_task_and_never_fails_the_message(
    make_account, post_webhook, line_profile, provider
):
    _state, cdn = line_profile
    cdn["a.png"] = Reply(503, b"busy")
    account = make_account("line")
    assert post_webhook(account, line_event()).status_code == 200
    assert Ticket.objects.get().messages.count() == 1
    assert not Identity.objects.get(kind="line").avatar
    # The task asks Celery to try again later (with backoff) instead of giving up.
    from channels_in.tasks import fetch_identity_avatar

    with pytest.raises(Retry, match="Retry in 60s"):
        fetch_identity_avatar.apply(args=("line", LINE_USER, account.pk, None))
    with pytest.raises(social_http.ProviderUnavailable):
        social_avatars.fetch_avatar("line", LINE_USER, account.pk)


def test_telegram_picture_via_get_user_profile_photos_and_get_file(
    make_account, post_webhook, provider
):
    from tests.channels_in.social.test_telegram import update

    sizes = [
        {"file_id": "p-small", "file_unique_id": "u-small", "width": 160, "height": 160},
        {"file_id": "p-big", "file_unique_id": "u-big", "width": 640, "height": 640},
    ]
    provider.route(
        "GET",
        f"{BOT}/getUserProfilePhotos",
        lambda req, m: Reply(200, {"ok": True, "result": {"total_count": 1, "photos": [sizes]}}),
    )
    provider.route(
        "GET",
        f"{BOT}/getFile",
        lambda req, m: Reply(
            200,
            {
                "ok": True,
                "result": {
                    "file_id": req.query["file_id"][0],
                    "file_unique_id": "u-small",
                    "file_size": 5000,
                    "file_path": "profile_photos/file_7.jpg",
                },
            },
        ),
    )
    provider.route(
        "GET",
        f"/file{BOT}/profile_photos/file_7.jpg",
        lambda req, m: Reply(200, picture("JPEG"), {"Content-Type": "image/jpeg"}),
    )
    account = make_account("telegram")
    assert post_webhook(account, update(text="こんにちは")).status_code == 200
    identity = Identity.objects.get(kind="telegram")
    assert stored_picture(identity).size == (avatars.SIZE, avatars.SIZE)
    (photos,) = provider.sent("GET", f"{BOT}/getUserProfilePhotos")
    assert photos.query["user_id"] == ["4242"] and photos.query["limit"] == ["1"]
    (get_file,) = provider.sent("GET", f"{BOT}/getFile")
    assert get_file.query["file_id"] == ["p-small"]  # 160 px is enough for an avatar
    assert identity.avatar_source == "tg-file:u-small"  # not the hourly file path
    # The next message within the hour asks nothing again.
    post_webhook(account, update(10002, text="もう一通"))
    assert len(provider.sent("GET", f"{BOT}/getUserProfilePhotos")) == 1


def test_telegram_user_without_photos_gets_no_avatar(make_account, post_webhook, provider):
    from tests.channels_in.social.test_telegram import update

    provider.route(
        "GET",
        f"{BOT}/getUserProfilePhotos",
        lambda req, m: Reply(200, {"ok": True, "result": {"total_count": 0, "photos": []}}),
    )
    account = make_account("telegram")
    post_webhook(account, update(text="hi"))
    identity = Identity.objects.get(kind="telegram")
    assert not identity.avatar and identity.avatar_source == social_avatars.NO_PICTURE
    assert not provider.sent("GET", f"{BOT}/getFile")


def test_messenger_profile_pic(make_account, post_webhook, provider):
    provider.route(
        "GET",
        r"/(\d+)",
        lambda req, m: Reply(
            200,
            {
                "first_name": "Taro",
                "last_name": "Yamada",
                "profile_pic": provider.url + "/platform-lookaside/pic.jpg",
                "id": m[1],
            },
        ),
    )
    provider.route(
        "GET",
        "/platform-lookaside/pic.jpg",
        lambda req, m: Reply(200, picture("JPEG"), {"Content-Type": "image/jpeg"}),
    )
    account = make_account("messenger")
    body = {
        "object": "page",
        "entry": [
            {
                "id": account.external_id,
                "time": 1767225600000,
                "messaging": [
                    {
                        "sender": {"id": "300000000000009"},
                        "recipient": {"id": account.external_id},
                        "timestamp": 1767225600000,
                        "message": {"mid": "m_AVATAR1", "text": "hello"},
                    }
                ],
            }
        ],
    }
    assert post_webhook(account, body).status_code == 200
    (profile,) = provider.sent("GET", r"/300000000000009")
    assert "profile_pic" in profile.query["fields"][0]
    identity = Identity.objects.get(kind="messenger")
    assert stored_picture(identity).format == "JPEG"


def test_x_dm_sender_picture_uses_the_larger_documented_variant(
    make_account, post_webhook, provider
):
    from tests.channels_in.social.test_x import dm

    body = dm()
    body["users"]["12345"]["profile_image_url_https"] = (
        provider.url + "/profile_images/1/me_normal.jpg"
    )
    provider.route(
        "GET",
        "/profile_images/1/me_bigger.jpg",
        lambda req, m: Reply(200, picture("JPEG", size=(73, 73)), {"Content-Type": "image/jpeg"}),
    )
    account = make_account("x")
    assert post_webhook(account, body).status_code == 200
    identity = Identity.objects.get(kind="x")
    assert stored_picture(identity).size == (avatars.SIZE, avatars.SIZE)
    assert not provider.sent("GET", "/profile_images/1/me_normal.jpg")


def test_x_sender_without_picture_field_is_looked_up(make_account, post_webhook, provider):
    from tests.channels_in.social.test_x import dm

    provider.route(
        "GET",
        r"/2/users/12345",
        lambda req, m: Reply(
            200,
            {
                "data": {
                    "id": "12345",
                    "name": "Hanako",
                    "username": "hanako_s",
                    "profile_image_url": provider.url + "/profile_images/2/x_normal.png",
                }
            },
        ),
    )
    # Only the original size exists: the larger variant 404s and the original is used.
    provider.route(
        "GET",
        "/profile_images/2/x_normal.png",
        lambda req, m: Reply(200, picture(), {"Content-Type": "image/png"}),
    )
    account = make_account("x")
    post_webhook(account, dm())
    (lookup,) = provider.sent("GET", "/2/users/12345")
    assert lookup.query["user.fields"] == ["profile_image_url"]
    identity = Identity.objects.get(kind="x")
    assert identity.avatar
    assert provider.sent("GET", "/profile_images/2/x_bigger.png")  # tried first


def test_deleting_an_identity_deletes_its_picture_file(
    make_account, post_webhook, line_profile, django_capture_on_commit_callbacks
):
    _state, cdn = line_profile
    cdn["a.png"] = Reply(200, picture(), {"Content-Type": "image/png"})
    post_webhook(make_account("line"), line_event())
    identity = Identity.objects.get(kind="line")
    storage, name = identity.avatar.storage, identity.avatar.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        identity.delete()
    assert not storage.exists(name)
