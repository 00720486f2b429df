"""Errors as ``application/problem+json`` (RFC 9457) with a stable ``code``.

Handlers raise :class:`Problem`; the middleware turns it, and any broker
error that carries an HTTP mapping, into the JSON body agencies script
against. ``detail`` says what was wrong and where in plain words.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus

from aiohttp import web

from axis.errors import AxisError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://axis.example/problems/"


class Problem(Exception):
    def __init__(self, status: int, code: str, detail: str, title: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase

    def response(self) -> web.Response:
        body = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        return web.Response(
            status=self.status,
            body=json.dumps(body, ensure_ascii=False).encode(),
            content_type=PROBLEM_CONTENT_TYPE,
            charset="utf-8",
        )


# A surface's broker errors as HTTP: error class -> (status, stable code).
ProblemTable = Mapping[type[AxisError], tuple[int, str]]


def problem_for(error: AxisError, table: ProblemTable) -> Problem:
    """The problem ``table`` maps ``error`` to (its first matching class); else 400."""
    for kind, (status, code) in table.items():
        if isinstance(error, kind):
            return Problem(status, code, error.message)
    return Problem(400, "request.refused", error.message)


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
    except web.HTTPRequestEntityTooLarge as error:
        return Problem(
            413, "message.too_large", f"The request body is larger than allowed: {error.text}."
        ).response()
    except web.HTTPException as error:
        if error.status < 400 or not request.path.startswith("/api/"):
            raise
        code = "http." + HTTPStatus(error.status).phrase.lower().replace(" ", "_")
        return Problem(error.status, code, error.reason).response()
