"""The chat widget's socket on hostile frames: junk text, binary, wrong versions, every frame
type with fields of the wrong type, size or shape. The server answers with `error` frames (or
the frame's normal answer) and the socket keeps working: a `ping` after the junk still gets its
`pong` — no frame may crash the consumer or close the visitor's connection."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livechat.consumers import ChatConsumer
from livechat.models import ChatChannel

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "https://shop.example"
TYPES = [*ChatConsumer.handlers, "pong", "", "welcome"]
FIELDS = ["id", "text", "attachments", "typing", "preview", "upto", "name", "email", "rating",
          "comment", "token", "since", "channel", "lang", "page", "identity", "v", "type"]  # fmt: skip

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
    st.sampled_from(["m1", "a" * 65, "x@example.com", "not-an-email", "5", "-1", "😀" * 10]),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
typed_frames = st.builds(
    lambda kind, fields, v: json.dumps({"v": v, "type": kind, **fields}),
    st.sampled_from(TYPES),
    st.dictionaries(st.sampled_from(FIELDS[:-2]), values, max_size=4),
    st.sampled_from([1, 1, 1, 2, "1", None]),
)
frames = st.one_of(
    typed_frames,
    typed_frames,
    st.text(max_size=200),
    values.map(json.dumps),
    st.just("x" * 17_000),
    st.binary(max_size=50),
)


@pytest.fixture
def channel(monkeypatch):
    monkeypatch.setattr("livechat.availability.presence.agents_online", lambda **kw: [1])
    channel = ChatChannel(name="Shop", allowed_origins=ORIGIN, ask_name="off", ask_email="off")
    channel.set_secret("secret")
    channel.save()
    return channel


async def _exchange(channel: ChatChannel, junk: list) -> list[dict]:
    from helpdesk.asgi import application

    socket = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", ORIGIN.encode())])
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"v": 1, "type": "hello", "channel": channel.public_key})
    assert (await socket.receive_json_from(timeout=5))["type"] == "welcome"
    for frame in junk:
        kind = "bytes" if isinstance(frame, bytes) else "text"
        await socket.send_input({"type": "websocket.receive", kind: frame})
    await socket.send_json_to({"v": 1, "type": "ping"})
    answers = []
    while True:
        output = await socket.receive_output(timeout=10)
        assert output["type"] == "websocket.send", output  # never a close
        answer = json.loads(output["text"])
        answers.append(answer)
        if answer["type"] == "pong":
            break
    await socket.disconnect()
    return answers


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(junk=st.lists(frames, min_size=1, max_size=4))
def test_no_frame_crashes_the_chat_socket(channel, junk):
    cache.clear()  # per-IP and per-visitor rate limits: each example is a fresh visitor
    answers = async_to_sync(_exchange)(channel, junk)
    for answer in answers:
        assert answer.get("v") == 1 and isinstance(answer.get("type"), str)
        if answer["type"] == "error":
            assert answer["code"] and answer["error"]
