"""A real aiohttp endpoint on loopback that receives pushes, for tests.

It records every push (headers and body), checks the HMAC signature with
the agency secret it is given, and can be told to answer with a status (500,
429 with Retry-After, 400), to hang, or to follow a script of answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True, slots=True)
class ReceivedPush:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool

    @property
    def message_id(self) -> str:
        return self.headers.get("X-Axis-Message-Id", "")


@dataclass(slots=True)
class Answer:
    status: int = 200
    retry_after: str | None = None
    delay: float = 0.0


@dataclass
class PushEndpoint:
    """Set ``secret`` to verify signatures; ``answers`` is consumed first, then ``default``."""

    secret: str | None = None
    default: Answer = field(default_factory=Answer)
    answers: list[Answer] = field(default_factory=list)
    received: list[ReceivedPush] = field(default_factory=list)
    # (monotonic time, message id) of each answer, in order, after any delay.
    answered: list[tuple[float, str]] = field(default_factory=list)
    base_url: str = ""
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return self.base_url + "/inbound"

    def pushes_per_message(self) -> Counter[str]:
        return Counter(push.message_id for push in self.received)

    def _verify(self, headers: dict[str, str], body: bytes) -> bool:
        if self.secret is None:
            return False
        signed = ".".join(
            (
                headers.get("X-Axis-Timestamp", ""),
                headers.get("X-Axis-Message-Id", ""),
                hashlib.sha256(body).hexdigest(),
            )
        ).encode()
        expected = "sha256=" + hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, headers.get("X-Axis-Signature", ""))

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        self.received.append(ReceivedPush(request.path, headers, body, self._verify(headers, body)))
        self._arrived.set()
        answer = self.answers.pop(0) if self.answers else self.default
        if answer.delay:
            # A slow endpoint is the behaviour under test: it must take this long.
            await asyncio.sleep(answer.delay)
        self.answered.append((time.monotonic(), headers.get("X-Axis-Message-Id", "")))
        self._arrived.set()
        extra = {"Retry-After": answer.retry_after} if answer.retry_after is not None else {}
        return web.Response(status=answer.status, text="ok", headers=extra)

    async def start(self) -> PushEndpoint:
        app = web.Application()
        app.router.add_post("/inbound", self._receive)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, condition: Callable[[], bool], within: float = 15.0) -> None:
        """Waits (bounded) until ``condition`` holds, checking as pushes arrive."""
        async with asyncio.timeout(within):
            while not condition():
                self._arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), 0.1)
