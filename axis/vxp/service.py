"""Dispatch of the thirteen VXP operations; every answer is HTTP 200.

The adapter hands over the operation name (last path segment), the raw
header pairs and the body; the answer is the bytes to send back. A request
that fails authentication gets a FAIL answer, never a document.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from axis.boundary import InputRefused
from axis.errors import AxisError
from axis.registry.channel_certificates import ChannelCertificates
from axis.runtime import Runtime
from axis.storage import database
from axis.storage.spool import Body
from axis.vxp import directory, documents, wire
from axis.vxp.authentication import Authenticator, Caller, VxpAuthenticationError

logger = logging.getLogger(__name__)

OPERATIONS = frozenset(
    {
        "sendEdoc",
        "getReceivedEdocList",
        "getEdoc",
        "downloadEdoc",
        "updateStatus",
        "getSentEdocList",
        "countReceiveEdoc",
        "countReceiveStatus",
        "getAgenciesList",
        "getAgenciesListQD20",
        "getSynchronizeUnit",
        "registerAgency",
        "deleteAgency",
    }
)
_DIRECTORY_LISTS = {
    "getAgenciesList": directory.agencies_list,
    "getAgenciesListQD20": directory.agencies_list_qd20,
    "getSynchronizeUnit": directory.synchronize_units,
}
_BY_LOWER = {name.lower(): name for name in OPERATIONS}
JSON = "application/json"
XML = "application/xml"


@dataclass(frozen=True, slots=True)
class Request:
    operation: str
    raw_headers: Sequence[tuple[bytes, bytes]]
    # sendEdoc's file arrives through the intake spool (a temporary file when large).
    body: Body
    too_large: bool = False
    # The DER of the caller's TLS client certificate, when the node asks for one.
    client_certificate: bytes | None = None


@dataclass(frozen=True, slots=True)
class Response:
    body: bytes
    content_type: str = JSON
    # A large file answered piece by piece instead of ``body`` (issue #17).
    file: documents.FileAnswer | None = None


def operation_of(path: str) -> str | None:
    """The operation named by the last segment of a path (duplicate slashes merged)."""
    segments = [segment for segment in path.split("/") if segment]
    if not segments:
        return None
    return _BY_LOWER.get(segments[-1].lower())


def strip_crlf(body: Body) -> Body:
    """sendEdoc bodies end with one CRLF the SDK adds after the file (a spooled body
    was received without it: ``Spool.receive(trailer=...)``)."""
    if not isinstance(body, bytes):
        return body
    return body[:-2] if body.endswith(b"\r\n") else body


def _failure_extras(operation: str) -> dict[str, object]:
    if operation == "sendEdoc":
        return {"DocId": ""}
    if operation == "getEdoc":
        return {"data": ""}
    if operation in ("countReceiveEdoc", "countReceiveStatus"):
        return {"count": 0}
    return {}


class VxpService:
    """The VXP operations on ``runtime``.

    ``status_of`` gives the status a refusal is answered with: the HTTP
    surface's table (``endpoints.problems.status_of``), handed in so both
    doors answer a refusal alike and VXP needs no table of its own.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        status_of: Callable[[AxisError], int],
        admit: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self._runtime = runtime
        self._status_of = status_of
        # The fleet-wide per-agency rate limit, handed in by the HTTP surface like
        # ``status_of``: it raises the surface's own "too many" signal, which the
        # surface answers in VXP's FAIL shape with Retry-After.
        self._admit = admit
        self._authenticator = Authenticator(runtime.registry)
        self._channel = ChannelCertificates(runtime.registry)
        self._directory = directory.DirectoryCache()

    async def _channel_agrees(self, request: Request, caller: Caller) -> bool:
        """mTLS: a presented client certificate must be the calling agency's (see
        ``axis.registry.channel_certificates``); without one, the HMAC alone."""
        mode = self._runtime.settings.tls_client_certificates
        if mode == "off":
            return True
        if request.client_certificate is None:
            return mode != "required"
        return await self._channel.speaks_for(request.client_certificate, caller.agency.organ_id)

    async def handle(self, request: Request) -> Response:
        operation = request.operation
        if operation not in OPERATIONS:
            answer = wire.failure(wire.NOT_FOUND, f"Unknown operation {operation!r}.")
            return Response(answer.encode())
        try:
            caller = await self._authenticator.authenticate(request.raw_headers)
        except VxpAuthenticationError as error:
            logger.info("vxp authentication failed", extra={"operation": operation})
            if operation == "downloadEdoc":
                return Response(b"", "application/octet-stream")
            answer = wire.failure(wire.UNAUTHORISED, str(error), **_failure_extras(operation))
            return Response(answer.encode())
        except Exception as error:
            # Looking the caller up needs the database: away, VXP's FAIL shape still.
            gone = database.away(error)
            if gone is None:
                raise
            return Response(self._database_away(operation, gone).encode())
        if not await self._channel_agrees(request, caller):
            answer = wire.failure(
                wire.UNAUTHORISED,
                "A TLS client certificate registered for "
                f"{caller.agency.organ_id} is required, and this is not one.",
                **_failure_extras(operation),
            )
            return Response(answer.encode())
        if self._admit is not None:
            await self._admit(caller.agency.organ_id)
        if request.too_large:
            limit = self._runtime.settings.max_message_bytes
            answer = wire.failure(
                wire.TOO_LARGE,
                f"The request body is over the limit of {limit} bytes.",
                **_failure_extras(operation),
            )
            return Response(answer.encode())
        return await self._operate(operation, caller, request.body)

    def _database_away(self, operation: str, gone: database.DatabaseAway) -> wire.Answer:
        """The native API's 503 ``database.unavailable``, in the SDK's shape."""
        logger.warning("vxp: the database is away", extra={"operation": operation})
        return wire.failure(str(self._status_of(gone)), gone.message, **_failure_extras(operation))

    async def _operate(self, operation: str, caller: Caller, body: Body) -> Response:
        """The operation for an authenticated caller; every failure in the SDK's shape."""
        try:
            if operation == "downloadEdoc":
                file = await documents.download(self._runtime.pull, caller)
                if isinstance(file, documents.FileAnswer):
                    return Response(b"", XML, file)
                return Response(file, XML)
            if operation == "getEdoc":
                got = await documents.get(self._runtime.pull, caller)
                if isinstance(got, documents.FileAnswer):
                    return Response(b"", JSON, got)
                return Response(got.encode())
            if operation in _DIRECTORY_LISTS:
                build = _DIRECTORY_LISTS[operation]
                return Response(await self._directory.answer(self._runtime.pool, operation, build))
            answer = await self._answer(operation, caller, body)
        except InputRefused as refused:
            # A value the boundary refuses: the SDK's FAIL shape, like every other answer.
            if operation == "downloadEdoc":
                return Response(b"", XML)
            answer = wire.failure(wire.BAD_REQUEST, str(refused), **_failure_extras(operation))
        except Exception as error:
            gone = database.away(error)
            if gone is None:
                logger.exception("vxp operation failed", extra={"operation": operation})
                answer = wire.failure(
                    wire.INTERNAL,
                    "The operation failed inside the axis.",
                    **_failure_extras(operation),
                )
            else:
                # The native API's 503 database.unavailable, in the SDK's shape.
                logger.warning(
                    "vxp operation: the database is away", extra={"operation": operation}
                )
                answer = wire.failure(
                    str(self._status_of(gone)), gone.message, **_failure_extras(operation)
                )
        return Response(answer.encode())

    async def _answer(self, operation: str, caller: Caller, body: Body) -> wire.Answer:
        pool = self._runtime.pool
        registry = self._runtime.registry
        match operation:
            case "sendEdoc":
                return await documents.send(
                    self._runtime.intake, caller, strip_crlf(body), self._status_of
                )
            case "getReceivedEdocList":
                return await documents.received_list(pool, caller)
            case "updateStatus":
                return await documents.update_status(self._runtime.pull, caller)
            case "getSentEdocList":
                return await documents.sent_list(pool, caller)
            case "countReceiveEdoc":
                return await documents.count_received(pool, caller, "edoc")
            case "countReceiveStatus":
                return await documents.count_received(pool, caller, "status")
            case "registerAgency":
                # Only sendEdoc's file is spooled; every other body is read whole.
                assert isinstance(body, bytes)
                return await directory.register(pool, registry, caller, body)
            case _:
                return await directory.delete(pool, registry, caller)
