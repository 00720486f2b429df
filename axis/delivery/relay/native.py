"""The native hop: ``POST {peer url}/api/v1/relay`` with the federation headers.

The body is the original envelope's bytes, untouched, so the far end
verifies the sender's own signature. ``202``/``200`` is relayed; a problem
answer of 4xx other than 408/429 is a permanent refusal with the peer's
``code`` and ``detail``; network errors, timeouts, 408, 429 and 5xx are
retried (federation.md, "The hop").
"""

from __future__ import annotations

import asyncio
import json

import aiohttp

from axis.delivery.push.backoff import retry_after_seconds
from axis.delivery.relay.hop import Hop, HopOutcome

RELAY_PATH = "/api/v1/relay"
EVENTS_PATH = "/api/v1/relay/events"
_RETRYABLE_STATUSES = frozenset({408, 429})
_TEXT_LIMIT = 300


def hop_headers(hop: Hop, secret: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {secret}",
        "Content-Type": "application/xml",
        "X-Axis-Origin": hop.origin,
        "X-Axis-Origin-Message-Id": hop.origin_message_id,
        "X-Axis-Recipients": ",".join(hop.recipients),
        "X-Axis-Path": ",".join(hop.path),
    }


def _problem(status: int, reason: str, text: str) -> tuple[str, str]:
    """The peer's problem code and detail, or the HTTP status when it sent no problem."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        return body["code"], str(body.get("detail", ""))[:_TEXT_LIMIT]
    return f"http.{status}", " ".join(f"HTTP {status} {reason} {text}".split())[:_TEXT_LIMIT]


def classify(status: int, reason: str, text: str, retry_after: str | None) -> HopOutcome:
    if status in (200, 202):
        return HopOutcome.relayed()
    code, detail = _problem(status, reason, text)
    if status >= 500 or status in _RETRYABLE_STATUSES or status < 400:
        return HopOutcome.retry(
            f"HTTP {status} {code}: {detail}"[:_TEXT_LIMIT],
            retry_after=retry_after_seconds(retry_after),
            peer_failed=status != 429,
        )
    return HopOutcome.refused(code, detail)


class NativeTransport:
    """Hops to a peer that speaks this axis's own API."""

    def __init__(self, session: aiohttp.ClientSession, time_limit: float) -> None:
        self._session = session
        self._time_limit = time_limit

    async def send(self, hop: Hop) -> HopOutcome:
        """Sends once; never raises for what the peer or the network does."""
        secret = hop.peer.outbound_secret
        if secret is None:
            return HopOutcome.retry("no secret set for this peer (axis peer set-secret)")
        try:
            async with self._session.post(
                hop.peer.url + RELAY_PATH,
                data=hop.body,
                headers=hop_headers(hop, secret),
                timeout=aiohttp.ClientTimeout(total=self._time_limit),
                allow_redirects=False,
            ) as answer:
                text = await answer.text(errors="replace")
                return classify(
                    answer.status, answer.reason or "", text, answer.headers.get("Retry-After")
                )
        except TimeoutError:
            return HopOutcome.retry(f"timeout after {self._time_limit:g} s")
        except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as error:
            return HopOutcome.retry(" ".join(f"{type(error).__name__}: {error}".split()))
