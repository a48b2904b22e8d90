# ruff: noqa: F811 (fixtures imported from the per-platform test modules)
"""Pictures and videos on X replies: the chunked upload (INIT / APPEND / FINALIZE / STATUS)
against a fake X that checks every command as documented, then the media ids on the post/DM."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from channels_in import x_media
from channels_in.models import DeliveryStatus, OutboundDelivery
from tests.channels_in.social.provider import JPEG, Reply
from tests.channels_in.social.test_x import dm, mention, x_api  # noqa: F401 (fixture)
from tickets import services as ticket_services
from tickets.inbound import IncomingAttachment
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
PICTURE = JPEG + b"\x01" * (96 - len(JPEG))


def multipart(recorded) -> dict[str, bytes]:
    head = f"Content-Type: {recorded.headers['Content-Type']}\r\n\r\n".encode()
    parsed = BytesParser(policy=HTTP).parsebytes(head + recorded.body)
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in parsed.iter_parts()
    }


class FakeUpload:
    """POST/GET /2/media/upload as docs.x.com describes the chunked flow."""

    def __init__(self, provider, *, processing=()):
        self.sessions: dict[str, dict] = {}
        # STATUS answers, in order, for uploads whose FINALIZE says processing is pending.
        self.processing = list(processing)
        self.status_calls = 0
        provider.route("POST", "/2/media/upload", self.post)
        provider.route("GET", "/2/media/upload", self.status)

    def post(self, req, match):
        if req.headers.get("Authorization") != "Bearer x-oauth2-user-token":
            return Reply(401, {"title": "Unauthorized", "status": 401})
        if not req.headers.get("Content-Type", "").startswith("multipart/form-data"):
            return Reply(400, {"errors": [{"message": "multipart/form-data expected"}]})
        form = multipart(req)
        command = form.get("command", b"").decode()
        if command == "INIT":
            media_id = str(1880028106020515840 + len(self.sessions))
            self.sessions[media_id] = {
                "type": form["media_type"].decode(),
                "category": form["media_category"].decode(),
                "total": int(form["total_bytes"]),
                "chunks": {},
                "final": False,
            }
            return Reply(
                202,
                {
                    "data": {
                        "id": media_id,
                        "media_key": f"3_{media_id}",
                        "expires_after_secs": 86400,
                    }
                },
            )
        session = self.sessions.get(form.get("media_id", b"").decode())
        if session is None:
            return Reply(400, {"errors": [{"message": "Invalid or expired media_id"}]})
        if command == "APPEND":
            chunk = form["media"]
            if len(chunk) > 5 * 1024 * 1024:
                return Reply(400, {"errors": [{"message": "Segment too large"}]})
            session["chunks"][int(form["segment_index"])] = chunk
            return Reply(204, b"")
        if command == "FINALIZE":
            data = b"".join(session["chunks"][i] for i in sorted(session["chunks"]))
            if len(data) != session["total"] or sorted(session["chunks"]) != list(
                range(len(session["chunks"]))
            ):
                return Reply(400, {"errors": [{"message": "File size does not match"}]})
            session["final"], session["data"] = True, data
            body = {"id": form["media_id"].decode(), "size": len(data)}
            if session["type"].startswith("video/"):
                body["processing_info"] = {"state": "pending", "check_after_secs": 1}
            return Reply(200, {"data": body})
        return Reply(400, {"errors": [{"message": f"unknown command {command}"}]})

    def status(self, req, match):
        assert req.query["command"] == ["STATUS"]
        self.status_calls += 1
        media_id = req.query["media_id"][0]
        state = self.processing.pop(0) if self.processing else "succeeded"
        info = {"state": state, "check_after_secs": 2, "progress_percent": 50}
        if state == "failed":
            info["error"] = {"code": 1, "name": "InvalidMedia", "message": "Unsupported video"}
        return Reply(200, {"data": {"id": media_id, "processing_info": info}})


@pytest.fixture
def upload(provider, monkeypatch):
    slept = []
    monkeypatch.setattr(x_media, "_sleep", slept.append)
    fake = FakeUpload(provider)
    fake.slept = slept
    return fake


def file(name, kind, content):
    return IncomingAttachment(filename=name, content_type=kind, content=content)


def send(ticket, agent, capture, text="", files=()):
    with translation.override("en"), capture(execute=True):
        return ticket_services.reply(ticket=ticket, author=agent, body_text=text, attachments=files)


def test_dm_picture_is_uploaded_in_chunks_and_attached(
    make_account,
    post_webhook,
    x_api,
    upload,
    agent,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    monkeypatch.setattr(x_media, "CHUNK_BYTES", 40)  # 96 bytes → chunks of 40, 40, 16
    post_webhook(make_account("x"), dm())
    picture = PICTURE
    message = send(
        Ticket.objects.get(),
        agent,
        django_capture_on_commit_callbacks,
        "写真です",
        [file("写真.jpg", "image/jpeg", picture)],
    )
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.SENT, delivery.last_error
    ((media_id, session),) = upload.sessions.items()
    assert session["category"] == "dm_image" and session["type"] == "image/jpeg"
    assert session["total"] == 96 and [len(c) for c in session["chunks"].values()] == [40, 40, 16]
    assert session["data"] == picture  # reassembled byte for byte
    assert upload.status_calls == 0  # no processing_info: ready at once
    (call,) = x_api.sent("POST", "/2/dm_conversations/with/12345/messages")
    assert call.json() == {"text": "写真です", "attachments": [{"media_id": media_id}]}


def test_chunk_boundary_exactly_at_the_end_sends_no_empty_chunk(
    make_account,
    post_webhook,
    x_api,
    upload,
    agent,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    monkeypatch.setattr(x_media, "CHUNK_BYTES", 32)  # 96 = 3 × 32
    post_webhook(make_account("x"), dm())
    send(
        Ticket.objects.get(),
        agent,
        django_capture_on_commit_callbacks,
        "",
        [file("a.jpg", "image/jpeg", PICTURE)],
    )
    ((_media_id, session),) = upload.sessions.items()
    assert sorted(session["chunks"]) == [0, 1, 2]
    (call,) = x_api.sent("POST", "/2/dm_conversations/with/12345/messages")
    assert "text" not in call.json()  # a file alone is a valid DM


def test_video_waits_for_processing_through_status(
    make_account, post_webhook, x_api, upload, agent, django_capture_on_commit_callbacks
):
    upload.processing = ["in_progress", "succeeded"]
    post_webhook(make_account("x"), mention())
    message = send(
        Ticket.objects.get(),
        agent,
        django_capture_on_commit_callbacks,
        "動画をご覧ください",
        [file("howto.mp4", "video/mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)],
    )
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.SENT, delivery.last_error
    ((media_id, session),) = upload.sessions.items()
    assert session["category"] == "tweet_video"
    assert upload.status_calls == 2
    assert upload.slept == [1.0, 2.0]  # check_after_secs of FINALIZE, then of STATUS
    (call,) = x_api.sent("POST", "/2/tweets")
    assert call.json()["media"] == {"media_ids": [media_id]}
    assert call.json()["reply"] == {"in_reply_to_tweet_id": "1870000000000000001"}


def test_still_processing_is_retried_later_without_uploading_again(
    make_account,
    post_webhook,
    x_api,
    upload,
    agent,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    monkeypatch.setattr(x_media, "MAX_PROCESSING_WAIT", 3)
    upload.processing = ["in_progress", "in_progress", "succeeded"]
    post_webhook(make_account("x"), mention())
    message = send(
        Ticket.objects.get(),
        agent,
        django_capture_on_commit_callbacks,
        "動画",
        [file("howto.mp4", "video/mp4", b"\x00" * 300)],
    )
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.QUEUED and "processing" in delivery.last_error
    assert not x_api.sent("POST", "/2/tweets")

    from channels_in import services

    services.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(upload.sessions) == 1  # the same upload, not a second one
    assert len(x_api.sent("POST", "/2/tweets")) == 1


def test_processing_failure_fails_the_delivery_with_xs_reason(
    make_account, post_webhook, x_api, upload, agent, django_capture_on_commit_callbacks
):
    upload.processing = ["failed"]
    post_webhook(make_account("x"), dm())
    message = send(
        Ticket.objects.get(),
        agent,
        django_capture_on_commit_callbacks,
        "動画",
        [file("broken.mp4", "video/mp4", b"\x00" * 100)],
    )
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.FAILED
    assert "Unsupported video" in delivery.last_error
    assert not x_api.sent("POST", r"/2/dm_conversations/.*")


def test_several_pictures_in_a_dm_go_one_per_message(
    make_account, post_webhook, x_api, upload, agent, django_capture_on_commit_callbacks
):
    post_webhook(make_account("x"), dm())
    send(
        Ticket.objects.get(),
        agent,
        django_capture_on_commit_callbacks,
        "2枚あります",
        [file("a.jpg", "image/jpeg", JPEG), file("b.png", "image/png", b"\x89PNG" + b"\0" * 9)],
    )
    first, second = upload.sessions
    calls = [c.json() for c in x_api.sent("POST", "/2/dm_conversations/with/12345/messages")]
    assert calls == [
        {"text": "2枚あります", "attachments": [{"media_id": first}]},
        {"attachments": [{"media_id": second}]},
    ]


@pytest.mark.parametrize(
    ("files", "public", "refusal"),
    [
        ([("a.pdf", "application/pdf", b"%PDF-1.4")], False, "X cannot receive the file"),
        ([("big.jpg", "image/jpeg", b"\0" * (5 * 1024 * 1024 + 1))], False, "too large for X"),
        ([("a.jpg", "image/jpeg", JPEG)] * 5, True, "at most 4 pictures"),
        ([("a.jpg", "image/jpeg", JPEG), ("v.mp4", "video/mp4", b"\0")], True, "not both"),
    ],
    ids=["pdf", "big-picture", "five-pictures", "video-and-picture"],
)
def test_files_x_would_refuse_are_refused_before_anything_is_sent(
    make_account,
    post_webhook,
    x_api,
    upload,
    agent,
    django_capture_on_commit_callbacks,
    files,
    public,
    refusal,
):
    post_webhook(make_account("x"), mention() if public else dm())
    with pytest.raises(ValidationError) as refused:
        send(
            Ticket.objects.get(),
            agent,
            django_capture_on_commit_callbacks,
            "x",
            [file(*f) for f in files],
        )
    assert refusal in refused.value.messages[0]
    assert not upload.sessions
    assert not x_api.sent("POST", "/2/tweets")
