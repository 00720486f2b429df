"""Errors as ``application/problem+json`` (RFC 9457) with a stable ``code``.

Handlers raise :class:`Problem`; the middleware turns it, and any broker
error that carries an HTTP mapping, into the JSON body agencies script
against. ``detail`` says what was wrong and where in plain words.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web

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
