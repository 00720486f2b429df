"""A client of the native API, as an agency system uses it.

Used by ``axis client``, the demo traffic, the benchmark and end-to-end
tests, so all of them exercise the API exactly as agencies do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

from axis.client.batches import FetchedBatch, read_batch
from axis.errors import AxisError


class ApiRefusal(AxisError):
    """The axis refused the request."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"The axis refused the request ({status} {code}): {detail}")
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Submission:
    status: int
    id: str
    kind: str
    document_id: str
    recipients: tuple[str, ...]


class AgencyClient:
    def __init__(self, base_url: str, secret: str, *, timeout: float = 60.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {secret}"},
            timeout=aiohttp.ClientTimeout(total=timeout),
        )

    async def __aenter__(self) -> AgencyClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._session.close()

    async def _json(self, response: aiohttp.ClientResponse) -> Any:
        if response.status >= 400:
            try:
                problem = await response.json(content_type=None)
                code, detail = str(problem.get("code")), str(problem.get("detail"))
            except (ValueError, aiohttp.ContentTypeError, AttributeError):
                code, detail = "http.error", (await response.text())[:200]
            raise ApiRefusal(response.status, code, detail)
        return await response.json(content_type=None)

    async def send(self, envelope: bytes) -> Submission:
        async with self._session.post(
            f"{self._base_url}/api/v1/messages",
            data=envelope,
            headers={"Content-Type": "application/xml"},
        ) as response:
            body = await self._json(response)
            return Submission(
                status=response.status,
                id=body["id"],
                kind=body["kind"],
                document_id=body["document_id"],
                recipients=tuple(body["recipients"]),
            )

    async def inbox(
        self,
        kind: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        *,
        wait: float | None = None,
    ) -> dict[str, Any]:
        """One inbox page; with ``wait``, an empty inbox answers when something arrives."""
        params: dict[str, str] = {"limit": str(limit)}
        if wait:
            params["wait"] = f"{wait:g}"
        if kind:
            params["kind"] = kind
        if cursor:
            params["cursor"] = cursor
        async with self._session.get(f"{self._base_url}/api/v1/inbox", params=params) as response:
            result: dict[str, Any] = await self._json(response)
            return result

    async def get(self, message_id: str) -> bytes:
        async with self._session.get(f"{self._base_url}/api/v1/messages/{message_id}") as response:
            if response.status >= 400:
                await self._json(response)
            return await response.read()

    async def ack(self, message_id: str, result: str = "done", reason: str = "") -> None:
        body = {"result": result, **({"reason": reason} if reason else {})}
        async with self._session.post(
            f"{self._base_url}/api/v1/messages/{message_id}/ack", json=body
        ) as response:
            await self._json(response)

    async def fetch_many(self, message_ids: Sequence[str]) -> FetchedBatch:
        """The bytes of up to 100 messages in one request (the batch pull road)."""
        async with self._session.post(
            f"{self._base_url}/api/v1/inbox/fetch", json={"ids": list(message_ids)}
        ) as response:
            if response.status >= 400:
                await self._json(response)
            return read_batch(response.headers.get("Content-Type", ""), await response.read())

    async def ack_many(
        self, message_ids: Sequence[str], result: str = "done", reason: str = ""
    ) -> list[dict[str, Any]]:
        """Acknowledges up to 100 messages in one request; one answer each, in order
        (an acknowledgement, or ``{"id", "problem"}``)."""
        extra = {"result": result, **({"reason": reason} if reason else {})}
        acks = [{"id": message_id, **extra} for message_id in message_ids]
        async with self._session.post(
            f"{self._base_url}/api/v1/inbox/ack", json={"acks": acks}
        ) as response:
            items: list[dict[str, Any]] = (await self._json(response))["items"]
            return items

    async def tracking(self, message_id: str) -> dict[str, Any]:
        async with self._session.get(
            f"{self._base_url}/api/v1/messages/{message_id}/tracking"
        ) as response:
            result: dict[str, Any] = await self._json(response)
            return result
