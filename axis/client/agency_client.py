"""A client of the native API, as an agency system uses it.

Used by ``axis client``, the demo traffic, the benchmark and end-to-end
tests, so all of them exercise the API exactly as agencies do.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

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

    async def tracking(self, message_id: str) -> dict[str, Any]:
        async with self._session.get(
            f"{self._base_url}/api/v1/messages/{message_id}/tracking"
        ) as response:
            result: dict[str, Any] = await self._json(response)
            return result
