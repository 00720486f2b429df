"""Building blocks shared by the OpenAPI descriptions of each group of routes."""

from __future__ import annotations

from typing import Any

PROBLEM = {"$ref": "#/components/responses/Problem"}
TIME = {"type": ["string", "null"], "format": "date-time"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*statuses: int) -> dict[str, Any]:
    """The problems a route answers: 400 always, since every route refuses bad input
    at the boundary (``endpoints.boundary``) before its handler runs."""
    # Any route may answer 429 (rate.limited, with Retry-After): see endpoints.rate_limits.
    return {**{str(status): PROBLEM for status in sorted({400, *statuses})}, "429": PROBLEM}


def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


def path_parameter(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}
