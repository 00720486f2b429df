"""Errors as ``application/problem+json`` (RFC 9457) with a stable ``code``.

Handlers raise :class:`Problem` for what they decide themselves and let the
broker's errors through; the middleware turns both into the JSON body
agencies script against, a broker error through :data:`PROBLEMS`, the one
table of error class -> HTTP status. ``detail`` says what was wrong and
where in plain words.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus

import asyncpg
from aiohttp import web

from axis import boundary
from axis.delivery import dead_letters
from axis.delivery.pull import inbox
from axis.delivery.pull.service import MessagePurged
from axis.errors import AxisError, DatabaseUnavailable
from axis.intake import refusals
from axis.registry import agencies as registry
from axis.registry import trust
from axis.stats import deadlines
from axis.stats import figures as stats
from axis.storage import database

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://axis.example/problems/"


class Problem(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        title: str | None = None,
        retry_after: int | None = None,
        fields: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        # Members beside the standard ones (RFC 9457 extensions), e.g. where a
        # purged body was archived.
        self.fields = dict(fields or {})
        self.status = int(status)
        self.code = code
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.retry_after = retry_after

    def response(self) -> web.Response:
        body = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            **self.fields,
        }
        headers = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
        return web.Response(
            status=self.status,
            body=json.dumps(body, ensure_ascii=False).encode(),
            content_type=PROBLEM_CONTENT_TYPE,
            charset="utf-8",
            headers=headers,
        )


# Every broker error a handler lets through, as an HTTP status: the one place
# the native API's statuses are decided (the VXP surface uses it too, through
# ``status_of``). The most specific class listed wins; the code is the error's own.
PROBLEMS: Mapping[type[AxisError], HTTPStatus] = {
    boundary.InputRefused: HTTPStatus.BAD_REQUEST,
    refusals.MalformedMessage: HTTPStatus.BAD_REQUEST,
    refusals.Unauthenticated: HTTPStatus.UNAUTHORIZED,
    refusals.Forbidden: HTTPStatus.FORBIDDEN,
    refusals.ConflictingMessage: HTTPStatus.CONFLICT,
    refusals.MessageTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    refusals.InvalidMessage: HTTPStatus.UNPROCESSABLE_ENTITY,
    refusals.StatusNotAllowed: HTTPStatus.UNPROCESSABLE_ENTITY,
    registry.AgencyExists: HTTPStatus.CONFLICT,
    registry.AgencyNotFound: HTTPStatus.NOT_FOUND,
    registry.InvalidOrganId: HTTPStatus.UNPROCESSABLE_ENTITY,
    registry.InvalidEndpoint: HTTPStatus.UNPROCESSABLE_ENTITY,
    registry.InvalidAgency: HTTPStatus.UNPROCESSABLE_ENTITY,
    registry.InvalidCertificate: HTTPStatus.UNPROCESSABLE_ENTITY,
    registry.UntrustedCertificate: HTTPStatus.UNPROCESSABLE_ENTITY,
    registry.CertificateExists: HTTPStatus.CONFLICT,
    registry.InvalidCursor: HTTPStatus.BAD_REQUEST,
    trust.InvalidTrustCertificate: HTTPStatus.UNPROCESSABLE_ENTITY,
    trust.TrustCertificateExists: HTTPStatus.CONFLICT,
    trust.InvalidCrl: HTTPStatus.UNPROCESSABLE_ENTITY,
    trust.CrlNotTrusted: HTTPStatus.UNPROCESSABLE_ENTITY,
    trust.CrlNotNewer: HTTPStatus.CONFLICT,
    stats.InvalidPeriod: HTTPStatus.BAD_REQUEST,
    stats.UnknownAgency: HTTPStatus.NOT_FOUND,
    stats.OutsideSubtree: HTTPStatus.FORBIDDEN,
    deadlines.InvalidCursor: HTTPStatus.BAD_REQUEST,
    inbox.BadCursor: HTTPStatus.BAD_REQUEST,
    inbox.MessageNotFound: HTTPStatus.NOT_FOUND,
    MessagePurged: HTTPStatus.GONE,
    dead_letters.DeliveryNotFound: HTTPStatus.NOT_FOUND,
    dead_letters.DeliveryNotDead: HTTPStatus.CONFLICT,
    dead_letters.DeliveryBodyPurged: HTTPStatus.CONFLICT,
    DatabaseUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
}

# Seconds a client is asked to wait before trying again (``Retry-After``):
# a PostgreSQL restart or a failover to the synchronous standby takes about
# one to a few seconds, so asking for more only delays documents.
RETRY_AFTER_DATABASE = 2
RETRY_AFTER: Mapping[type[AxisError], int] = {
    DatabaseUnavailable: RETRY_AFTER_DATABASE,
}


def _listed(error: AxisError, table: Mapping[type[AxisError], object]) -> type[AxisError] | None:
    """The most specific class of ``error`` that ``table`` lists."""
    for kind in type(error).__mro__:
        if kind in table:
            return kind
    return None


def status_of(error: AxisError) -> HTTPStatus:
    """The HTTP status ``error`` is answered with; 400 for an error the table does not list."""
    kind = _listed(error, PROBLEMS)
    return HTTPStatus.BAD_REQUEST if kind is None else PROBLEMS[kind]


def problem_for(error: AxisError) -> Problem:
    """``error`` as the problem the table maps it to."""
    kind = _listed(error, RETRY_AFTER)
    retry_after = None if kind is None else RETRY_AFTER[kind]
    fields = error.problem_fields if isinstance(error, MessagePurged) else None
    return Problem(
        status_of(error), error.code, error.message, retry_after=retry_after, fields=fields
    )


def whole_number(
    request: web.Request, name: str, default: int, low: int, high: int, code: str
) -> int:
    """The query value ``name`` as a whole number from ``low`` to ``high``; 400 ``code`` if not."""
    text = request.query.get(name, "")
    if text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise Problem(400, code, f"'{name}' must be a whole number, not {text!r}.") from None
    if not low <= value <= high:
        raise Problem(400, code, f"'{name}' must be from {low} to {high}, not {value}.")
    return value


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as problem:
        return problem.response()
    except AxisError as error:
        return problem_for(error).response()
    except web.HTTPRequestEntityTooLarge as error:
        return Problem(
            413, "message.too_large", f"The request body is larger than allowed: {error.text}."
        ).response()
    except web.HTTPException as error:
        if error.status < 400 or not request.path.startswith("/api/"):
            raise
        code = "http." + HTTPStatus(error.status).phrase.lower().replace(" ", "_")
        return Problem(error.status, code, error.reason).response()
    except (asyncpg.DataError, asyncpg.ProgramLimitExceededError) as error:
        # The net under the boundary: a value it let through that the database
        # refuses is still the caller's bad input, not the axis failing; logged,
        # because the boundary should have caught it (tell us which field).
        logger.warning(
            "the database refused a value the boundary let through",
            extra={"path": request.path, "sqlstate": error.sqlstate},
        )
        return Problem(
            400,
            "input.refused_by_database",
            "A value in the request cannot be stored or looked up.",
        ).response()
    except Exception as error:
        # A connection refused, reset or shut down under the request: the
        # database is away (restart, failover), which the client may retry.
        unavailable = database.away(error)
        if unavailable is None:
            raise
        # DEBUG: one line per refused request would flood the log during a
        # failover; the pool's reconnect warnings and /readyz say it already.
        logger.debug("database unavailable", extra={"path": request.path, "reason": str(error)})
        return problem_for(unavailable).response()
