"""One push: ``POST <endpoint>`` with the exact message bytes and HMAC headers.

The signature lets an endpoint tell the axis from an impostor: HMAC-SHA256
with the recipient agency's secret over
``<timestamp>.<message id>.<sha256 hex of body>``. The answer is classified
as delivered, worth retrying (network errors, timeouts, 408, 429, 5xx) or
permanent (any other 4xx, and anything else unexpected).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum

import aiohttp

from axis.delivery.push.backoff import retry_after_seconds

_RETRYABLE_STATUSES = frozenset({408, 429})
_ERROR_TEXT_LIMIT = 200


class PushResult(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class PushOutcome:
    result: PushResult
    error: str | None = None
    retry_after: float | None = None
    # Whether the endpoint itself misbehaved (counts against its circuit).
    endpoint_failed: bool = False


@dataclass(frozen=True, slots=True)
class Push:
    endpoint_url: str
    message_id: str
    kind: str
    sender_id: str
    body: bytes
    body_sha256_hex: str
    # Accepted from an agency in transition without an XML signature, sealed by the axis.
    sealed: bool = False
    # A large body (issue #17): ``body`` is its first piece, ``pieces()`` all of it
    # anew for each attempt, one piece in memory at a time, ``size`` its length.
    pieces: Callable[[], AsyncIterator[bytes]] | None = None
    size: int | None = None

    def content(self) -> tuple[bytes | AsyncIterator[bytes], dict[str, str]]:
        """What to POST and the headers that go with it beside the signature's."""
        if self.pieces is None:
            return self.body, {}
        size = len(self.body) if self.size is None else self.size
        # With a Content-Length aiohttp sends the stream as is, not chunked.
        return self.pieces(), {"Content-Length": str(size)}


def signature(secret: str, timestamp: str, message_id: str, body_sha256_hex: str) -> str:
    signed = f"{timestamp}.{message_id}.{body_sha256_hex}".encode()
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def push_headers(push: Push, secret: str, timestamp: str | None = None) -> dict[str, str]:
    stamp = timestamp if timestamp is not None else str(int(time.time()))
    return {
        "Content-Type": "application/xml",
        "X-Axis-Message-Id": push.message_id,
        "X-Axis-Kind": push.kind,
        "X-Axis-From": push.sender_id,
        "X-Axis-Timestamp": stamp,
        "X-Axis-Signature": signature(secret, stamp, push.message_id, push.body_sha256_hex),
        **({"X-Axis-Signature-State": "sealed"} if push.sealed else {}),
    }


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _ERROR_TEXT_LIMIT else text[: _ERROR_TEXT_LIMIT - 1] + "…"


def classify(status: int, reason: str, retry_after: str | None) -> PushOutcome:
    if 200 <= status < 300:
        return PushOutcome(PushResult.DELIVERED)
    error = _short(f"HTTP {status} {reason}".strip())
    if status >= 500 or status in _RETRYABLE_STATUSES:
        return PushOutcome(
            PushResult.RETRY,
            error,
            retry_after=retry_after_seconds(retry_after),
            endpoint_failed=status != 429,
        )
    return PushOutcome(PushResult.DEAD, error)


async def send(
    session: aiohttp.ClientSession, push: Push, secret: str, time_limit: float
) -> PushOutcome:
    """Pushes once; never raises for what the endpoint or the network does."""
    data, length = push.content()
    try:
        async with session.post(
            push.endpoint_url,
            data=data,
            headers={**push_headers(push, secret), **length},
            timeout=aiohttp.ClientTimeout(total=time_limit),
            allow_redirects=False,
        ) as answer:
            # Read (and drop) the body so the connection can be reused.
            await answer.read()
            return classify(answer.status, answer.reason or "", answer.headers.get("Retry-After"))
    except TimeoutError:
        return PushOutcome(
            PushResult.RETRY, f"timeout after {time_limit:g} s", endpoint_failed=True
        )
    except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as error:
        detail = _short(f"{type(error).__name__}: {error}")
        return PushOutcome(PushResult.RETRY, detail, endpoint_failed=True)
