"""The widget sockets of the live-chat benchmark (bench/chat.py): opened, said hello, and each
sender's chat started."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid

from bench.chat_support import ORIGIN, Visitor, tickets_for


async def open_widgets(hosts: list[str], data: dict, count: int, concurrency: int):
    """`count` widget sockets, alternating over the web processes, each past its `welcome`."""
    from websockets.asyncio.client import connect

    visitors: list[Visitor] = []
    failures = 0
    gate = asyncio.Semaphore(concurrency)

    async def open_one(index: int) -> None:
        nonlocal failures
        async with gate:
            try:
                ws = await connect(
                    f"ws://{hosts[index % len(hosts)]}/ws/chat/",
                    origin=ORIGIN,
                    open_timeout=60,
                    ping_interval=None,  # a busy machine must not close idle sockets
                )
                hello = {
                    "v": 1,
                    "type": "hello",
                    "channel": data["channel"],
                    "token": data["tokens"][index],
                    "lang": "ja",
                }
                await ws.send(json.dumps(hello))
                while json.loads(await asyncio.wait_for(ws.recv(), 60))["type"] != "welcome":
                    pass
            except Exception:  # noqa: BLE001 - counted, reported
                failures += 1
                return
            visitor = Visitor(ws, index)
            visitor.reader = asyncio.create_task(visitor.read())
            visitors.append(visitor)

    await asyncio.gather(*(open_one(i) for i in range(count)))
    return visitors, failures


async def send_message(visitor: Visitor, text: str) -> tuple[str, float]:
    client_id = uuid.uuid4().hex[:20]
    sent = time.perf_counter()
    await visitor.ws.send(json.dumps({"v": 1, "type": "message", "id": client_id, "text": text}))
    return client_id, sent


async def warm_up(senders: list[Visitor]) -> dict[int, int]:
    """Each sender opens its chat (a ticket); returns visitor index → ticket id."""
    gate = asyncio.Semaphore(8)

    async def warm(visitor: Visitor) -> None:
        async with gate:
            waiter = asyncio.get_running_loop().create_future()
            client_id, _ = await send_message(visitor, f"bench {visitor.index} こんにちは")
            visitor.ack_waiters[client_id] = waiter
            if client_id in visitor.acks:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, 60)

    await asyncio.gather(*(warm(v) for v in senders))
    first = {v.index: next(iter(v.acks.values())) for v in senders if v.acks}
    return await asyncio.to_thread(tickets_for, first)
