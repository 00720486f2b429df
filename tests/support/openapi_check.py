"""Every JSON answer of the native API is checked against the served OpenAPI document.

The description at ``/api/v1/openapi.json`` is what agencies build their
clients from, so a test that receives a JSON answer from an ``/api/v1/...``
route also checks it against the schema declared there for that route,
method and status. :func:`install` does it by construction: it wraps
``aiohttp.ClientSession._request`` (which ``TestClient`` uses too), so no
test can forget it. An answer whose route, method, status or content type
the document does not describe is a failure, like one that breaks its schema.

Schemas are JSON Schema Draft 2020-12 (OpenAPI 3.1); ``$ref`` resolves
against the document itself, so ``#/components/schemas/...`` works as served.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from endpoints import openapi

API_PREFIX = "/api/v1/"
DOCUMENT_PATH = "/api/v1/openapi.json"
_DOCUMENT_URI = "urn:axis:openapi"
_JSON_TYPES = ("application/json", "application/problem+json")


class UndescribedAnswer(AssertionError):
    """The answer breaks, or is missing from, the served OpenAPI document."""


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass(frozen=True)
class ServedDescription:
    document: dict[str, Any]

    @functools.cached_property
    def _registry(self) -> Registry[Any]:
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        registry: Registry[Any] = Registry().with_resource(_DOCUMENT_URI, resource)
        return registry

    @functools.cached_property
    def _templates(self) -> list[tuple[re.Pattern[str], str]]:
        # Literal segments before templated ones: /agencies/search wins over /agencies/{id}.
        paths = sorted(self.document["paths"], key=lambda path: (path.count("{"), path))
        return [
            (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"), path)
            for path in paths
        ]

    def route_of(self, path: str) -> str | None:
        return next((route for pattern, route in self._templates if pattern.match(path)), None)

    def _at(self, pointer: str) -> Any:
        target: Any = self.document
        for part in pointer.split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return target

    def _response_at(self, pointer: str) -> tuple[str, dict[str, Any]]:
        """The response object at ``pointer`` and where it really is (``$ref``s followed)."""
        response: dict[str, Any] = self._at(pointer)
        while "$ref" in response:
            pointer = response["$ref"].removeprefix("#/")
            response = self._at(pointer)
        return pointer, response

    def check(self, method: str, path: str, status: int, content_type: str, body: bytes) -> None:
        """Raises :class:`UndescribedAnswer` unless the answer is as the document says."""
        where = f"{method} {path} -> {status} {content_type}"
        route = self.route_of(path)
        if route is None:
            raise UndescribedAnswer(f"{where}: no path of the OpenAPI document matches")
        operation = self.document["paths"][route].get(method.lower())
        if operation is None:
            raise UndescribedAnswer(f"{where}: {route} describes no {method}")
        responses = operation.get("responses", {})
        status_key = str(status) if str(status) in responses else "default"
        if status_key not in responses:
            raise UndescribedAnswer(f"{where}: {method} {route} describes no {status} answer")
        at, response = self._response_at(
            _pointer("paths", route, method.lower(), "responses", status_key)
        )
        media = response.get("content", {}).get(content_type)
        if media is None or "schema" not in media:
            raise UndescribedAnswer(f"{where}: {status} of {route} declares no {content_type}")
        # Validated through the document, so the schema's own $refs resolve as served.
        schema_at = at + "/" + _pointer("content", content_type, "schema")
        validator = Draft202012Validator(
            {"$ref": f"{_DOCUMENT_URI}#/{schema_at}"}, registry=self._registry
        )
        errors = sorted(validator.iter_errors(json.loads(body)), key=lambda error: error.path)
        if errors:
            details = "; ".join(
                f"at {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
                for error in errors[:5]
            )
            raise UndescribedAnswer(f"{where}: answer breaks {route}'s schema: {details}")


_Request = Callable[..., Awaitable[aiohttp.ClientResponse]]
_served: list[ServedDescription] = []
# How many answers were checked, so a test can show the check is really on.
checked_answers = [0]


async def served_description() -> ServedDescription:
    """The document as ``GET /api/v1/openapi.json`` serves it (fetched once).

    Fetched from an application holding only that route, since many tests
    build applications with just the routes they exercise.
    """
    if not _served:
        app = web.Application()
        openapi.add_routes(app)
        async with TestClient(TestServer(app)) as client, client.get(DOCUMENT_PATH) as answer:
            assert answer.status == 200, f"{DOCUMENT_PATH} answered {answer.status}"
            _served.append(ServedDescription(await answer.json()))
    return _served[0]


def install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks every JSON answer from ``/api/v1/...`` of any aiohttp session until undone."""
    original: _Request = aiohttp.ClientSession._request

    async def checked(
        session: aiohttp.ClientSession, method: str, url: Any, *args: Any, **kwargs: Any
    ) -> aiohttp.ClientResponse:
        answer = await original(session, method, url, *args, **kwargs)
        path = answer.url.path
        if (
            not path.startswith(API_PREFIX)
            or path == DOCUMENT_PATH
            or answer.method == "HEAD"
            or answer.content_type not in _JSON_TYPES
        ):
            return answer
        body = await answer.read()  # kept by the answer: the test reads it again
        description = await served_description()
        checked_answers[0] += 1
        try:
            description.check(answer.method, path, answer.status, answer.content_type, body)
        except UndescribedAnswer:
            answer.release()
            raise
        return answer

    monkeypatch.setattr(aiohttp.ClientSession, "_request", checked)
