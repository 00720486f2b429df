"""The HTTP surfaces' boundary: bad bytes are refused before any handler runs.

:func:`boundary_middleware` checks what every route receives, so a new route
is covered by construction: the path and each path parameter, every query
name and value, every header value and every field of a form body must be
UTF-8 without control characters and within a length (``axis.boundary``).
Handlers then read values through :func:`query_value`, :func:`path_value`
and :func:`json_body`, which add the rules of the field (an OrganId's
characters, a cursor's, a message id's length). A refusal is a 400 problem
``input.<rule>`` naming the field (``endpoints.problems``).

The VXP surface answers every request with its own FAIL shape, so its
handler is marked with :func:`own_boundary` and checks its inputs itself
(``axis.vxp``).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from aiohttp import web

from axis.boundary import (
    FORM_VALUE,
    HEADER,
    PATH_VALUE,
    QUERY_VALUE,
    Field,
    InputRefused,
    read_json,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_OWN_BOUNDARY = "__axis_own_boundary__"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A whole query string: many values of QUERY_VALUE's length would still be a lot of work.
MAX_QUERY_BYTES = 8192
# JSON bodies (acks, the admin's agencies, certificates and CRLs) are limited
# by the application's body size too; this bounds the work of checking them.
MAX_JSON_BYTES = 16 * 1024 * 1024
# Strings inside a JSON body: PEM certificates and CRLs have lines.
_JSON_TEXT = Field("body", MAX_JSON_BYTES, lines=True)


def own_boundary(handler: Handler) -> Handler:
    """Marks a handler that checks its own inputs and answers in its own shape."""
    setattr(handler, _OWN_BOUNDARY, True)
    return handler


def _check_target(request: web.Request) -> None:
    path, _, query = request.raw_path.partition("?")
    PATH_VALUE.decode(unquote_to_bytes(path))
    if len(query) > MAX_QUERY_BYTES:
        raise InputRefused("query string", "too_long", f"is over {MAX_QUERY_BYTES} bytes long.")
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        key = QUERY_VALUE.named("query parameter name").decode(unquote_to_bytes(name))
        QUERY_VALUE.named(key[:40] or "query value").decode(
            unquote_to_bytes(value.replace("+", " "))
        )
    for name, value in request.match_info.items():
        PATH_VALUE.named(name).check(value)


@functools.lru_cache(maxsize=256)
def _header_field(raw_name: bytes) -> Field:
    """The header's field, named once per header name, not once per request (bounded)."""
    return HEADER.named(f"header {raw_name.decode('latin-1')[:40]}")


def _check_headers(request: web.Request) -> None:
    for raw_name, raw_value in request.raw_headers:
        # Tab is allowed inside a header value (RFC 9110), nothing else below space.
        _header_field(raw_name).decode(raw_value.replace(b"\t", b" "))


async def _check_form(request: web.Request) -> None:
    if request.content_type not in _FORM_TYPES:
        return
    try:
        form = await request.post()
    except UnicodeDecodeError:
        raise InputRefused("form", "not_utf8", "is not valid UTF-8.") from None
    except ValueError:
        raise InputRefused("form", "malformed", "cannot be read as a form.") from None
    for name, value in form.items():
        field = FORM_VALUE.named(f"form field {name[:40]}")
        field.check(name)
        if isinstance(value, str):
            field.check(value)


@web.middleware
async def boundary_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not getattr(request.match_info.handler, _OWN_BOUNDARY, False):
        _check_target(request)
        _check_headers(request)
        await _check_form(request)
    return await handler(request)


def query_value(request: web.Request, name: str, field: Field) -> str | None:
    """The query value ``name`` by ``field``'s rules; None when absent or empty."""
    value = request.query.get(name, "")
    return field.named(name).check(value) if value else None


def path_value(request: web.Request, name: str, field: Field) -> str:
    """The path parameter ``name`` by ``field``'s rules."""
    return field.check(request.match_info[name])


async def json_body(request: web.Request, name: str = "body") -> Any:
    """The request body as JSON within the boundary's limits; None when empty."""
    raw = await request.read()
    if not raw.strip():
        return None
    return read_json(raw, _JSON_TEXT.named(name), max_bytes=MAX_JSON_BYTES)
