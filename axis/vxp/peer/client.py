"""The client side of the VXP wire, as the Java SDK (``com.vpcp.services``) speaks it.

What a VXP server reads is what vxp-protocol.md says the SDK sends: every
parameter as an ``XroadVnpt-<key>`` header, the same entries as a compact
JSON object in ``XroadVnpt-sign-header`` (keys in Java ``HashMap`` order,
strings escaped as Gson escapes them), their names in
``XroadVnpt-sign-header-key``, and the HMAC of the sign-header bytes (the
secret as a plain string) in ``XroadVnpt-hash-header``. sendEdoc's body is
the file plus CRLF, bound by the lossy ``hash-file``; the other operations
send an empty body or ``{}`` as the SDK does. Answers are read the way the
SDK reads them (:func:`axis.vxp.wire.read_answer`): the HTTP status says
nothing, the JSON does.

Unlike the SDK, each call builds its header map afresh (no keys carried over
from earlier calls) with the time of the call, and every call has a timeout.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from axis.vxp import wire
from axis.vxp.authentication import hmac_hex

logger = logging.getLogger(__name__)

PREFIX = "XroadVnpt-"
USER_AGENT = "JAVASDKAgent/1.0.0 XRoad/VPCP"
VERSION = "3.0.201608"
JSON = "application/json"
OCTETS = "application/octet-stream"
SERVICE_TYPE = "eDoc"
# updateStatus values of the SDK's example; "done" finishes a received document.
DONE = "done"


class VxpUnreachable(Exception):
    """No VXP answer: the platform could not be reached, timed out or answered no VXP JSON.

    The request may or may not have been processed: a caller retries.
    """

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class VxpFailed(Exception):
    """The platform answered ``FAIL`` with a non-``"0"`` ErrorCode."""

    def __init__(self, answer: wire.Answer, retry_after: float | None = None) -> None:
        super().__init__(f"VXP {answer.error_code}: {answer.description}")
        self.answer = answer
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Reply:
    answer: wire.Answer
    # The HTTP Retry-After, when the platform sent one (the axis's own FAIL 429 does).
    retry_after: float | None = None

    def required(self) -> wire.Answer:
        """The answer if it is a success, else :class:`VxpFailed`."""
        if not self.answer.ok:
            raise VxpFailed(self.answer, self.retry_after)
        return self.answer


@dataclass(frozen=True, slots=True)
class ReceivedItem:
    """One entry of getReceivedEdocList: the id to fetch and confirm it by."""

    doc_id: str
    message_type: str
    sender: str


# -- the SDK's header encoding ------------------------------------------------------------


def java_string_hash(text: str) -> int:
    """Java's ``String.hashCode`` over UTF-16 code units, as an unsigned 32-bit value."""
    value = 0
    units = text.encode("utf-16-be")
    for index in range(0, len(units), 2):
        value = (31 * value + int.from_bytes(units[index : index + 2], "big")) & 0xFFFFFFFF
    return value


def java_hashmap_order(keys: Sequence[str]) -> list[str]:
    """The iteration order of a default ``new HashMap<>()`` after inserting ``keys``.

    Capacity 16, doubled while the size passes 0.75 of it; buckets by the
    spread hash ``h ^ (h >>> 16)``, insertion order within a bucket.
    """
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2

    def bucket(key: str) -> int:
        h = java_string_hash(key)
        return (h ^ (h >> 16)) & (capacity - 1)

    return [key for _, _, key in sorted((bucket(k), i, k) for i, k in enumerate(keys))]


_GSON_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def gson_string(text: str) -> str:
    """A JSON string as Gson 2.2 writes it: HTML-safe escapes, control characters escaped."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char in "\u2028\u2029" or char in "<>&='" or ord(char) < 0x20:
            out.append(_GSON_NAMED.get(char, f"\\u{ord(char):04x}"))
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def sdk_timestamp(moment: datetime) -> str:
    """``ddMMyyyy'T'HHmmss+SSSS``: ``+`` literal, milliseconds padded to 4 digits."""
    return moment.strftime("%d%m%YT%H%M%S") + f"+{moment.microsecond // 1000:04d}"


def signed_headers(
    system_id: str, secret: str, content_type: str, parameters: Mapping[str, str], now: datetime
) -> list[tuple[str, str]]:
    """The request headers the SDK sends for one call, in its order."""
    entries: dict[str, str] = {
        "timestamp": sdk_timestamp(now),
        "systemid": system_id,
        "Content-Type": content_type,
        **parameters,
    }
    order = java_hashmap_order(list(entries))
    sign_header = (
        "{" + ",".join(f"{gson_string(PREFIX + k)}:{gson_string(entries[k])}" for k in order) + "}"
    )
    headers = [(PREFIX + key, entries[key]) for key in order]
    headers += [
        ("Content-Type", content_type),
        (PREFIX + "sign-header-key", ";".join(order)),
        (PREFIX + "sign-header", sign_header),
        (PREFIX + "hash-header", hmac_hex(secret, sign_header.encode("utf-8"))),
        ("User-Agent", USER_AGENT),
        (PREFIX + "version", VERSION),
    ]
    return headers


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


# -- the client ---------------------------------------------------------------------------


class VxpClient:
    """One VXP platform as one system (``system_id`` and its secret) reaches it.

    ``endpoint`` is the SDK's endpoint: the operation is appended after a
    ``/``, as is. The session belongs to the caller.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoint: str,
        system_id: str,
        secret: str,
        *,
        timeout: float = 30.0,
    ) -> None:
        self._session = session
        self._endpoint = endpoint
        self._system_id = system_id
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def call(
        self,
        operation: str,
        parameters: Mapping[str, str],
        *,
        body: bytes = b"",
        content_type: str = JSON,
    ) -> Reply:
        headers = signed_headers(
            self._system_id, self._secret, content_type, parameters, datetime.now()
        )
        url = self._endpoint + "/" + operation
        try:
            async with self._session.post(
                url,
                data=body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
                # Like the SDK's sendEdoc: answers come uncompressed (and the
                # relay road's session does not decompress).
                skip_auto_headers=("Accept-Encoding",),
            ) as response:
                content = await response.read()
                retry_after = _retry_after(response.headers)
                status = response.status
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise VxpUnreachable(f"{operation}: {type(error).__name__}: {error}") from error
        answer = wire.read_answer(content)
        if answer is None:
            raise VxpUnreachable(
                f"{operation}: HTTP {status} without a VXP answer", retry_after=retry_after
            )
        return Reply(answer, retry_after)

    async def send_edoc(
        self, data: bytes, *, sender: str, message_type: str, to: Sequence[str] = ()
    ) -> Reply:
        """sendEdoc: the file as is, plus the CRLF the SDK writes after it."""
        parameters = {
            "from": sender,
            "servicetype": SERVICE_TYPE,
            "messagetype": message_type,
            "hash-file": wire.lossy_hex_sha256(data),
        }
        if to:
            # The SDK sends ``to`` as the JSON text of its value.
            parameters["to"] = json.dumps(list(to), separators=(",", ":"))
        return await self.call("sendEdoc", parameters, body=data + b"\r\n", content_type=OCTETS)

    async def received(self, message_type: str) -> list[ReceivedItem]:
        answer = (
            await self.call(
                "getReceivedEdocList",
                {"servicetype": SERVICE_TYPE, "messagetype": message_type},
            )
        ).required()
        items = answer.extra.get("data")
        if not isinstance(items, list):
            return []
        return [
            ReceivedItem(
                str(item["docId"]),
                str(item.get("messageType") or message_type),
                str(item.get("from") or ""),
            )
            for item in items
            if isinstance(item, dict) and item.get("docId")
        ]

    async def get_edoc(self, doc_id: str) -> bytes:
        """The document's bytes: getEdoc's base64 decoded directly (no string round trip)."""
        answer = (await self.call("getEdoc", {"docId": doc_id}, body=b"{}")).required()
        data = answer.extra.get("data")
        try:
            return base64.b64decode(str(data or ""), validate=False)
        except (binascii.Error, ValueError) as error:
            raise VxpUnreachable(f"getEdoc {doc_id}: data is not base64: {error}") from error

    async def update_status(self, doc_id: str, status: str = DONE) -> None:
        (
            await self.call("updateStatus", {"docId": doc_id, "status": status}, body=b"{}")
        ).required()

    async def agencies(self) -> list[dict[str, Any]]:
        answer = (await self.call("getAgenciesList", {})).required()
        items = answer.extra.get("data")
        if not isinstance(items, list):
            return []
        return [item for item in items if isinstance(item, dict)]
