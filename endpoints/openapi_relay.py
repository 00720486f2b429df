"""The OpenAPI description of the federation surface: hops and transport events."""

from __future__ import annotations

from typing import Any

from endpoints.openapi_parts import errors, json_body, ref


def _header(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


RELAY_SCHEMAS: dict[str, Any] = {
    "TransportEvent": {
        "type": "object",
        "required": ["origin", "origin_message_id", "recipient", "state", "at"],
        "properties": {
            "origin": {"type": "string", "description": "The axis the message entered at."},
            "origin_message_id": {"type": "string", "description": "Its message id there."},
            "recipient": {"type": "string", "description": "The recipient's OrganId."},
            "state": {"enum": ["delivered", "acked", "dead"]},
            "at": {"type": "string", "format": "date-time"},
            "detail": {
                "type": ["string", "null"],
                "description": "For dead: the far end's code and detail.",
            },
        },
    },
    "TransportEvents": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {"type": "array", "items": ref("TransportEvent"), "maxItems": 1000}
        },
    },
    "EventsReceived": {
        "type": "object",
        "required": ["received", "applied"],
        "properties": {
            "received": {"type": "integer"},
            "applied": {
                "type": "integer",
                "description": "How many deliveries moved (a repeated or late event moves none).",
            },
        },
    },
}

RELAY_PATHS: dict[str, Any] = {
    "/api/v1/relay": {
        "post": {
            "summary": "A hop from a peer axis: the original envelope, checked like a "
            "submission, for the recipients this axis serves or routes onward.",
            "description": "The bearer is the secret this axis issued to the peer (axis peer "
            "add). Idempotent on (calling peer, X-Axis-Origin, X-Axis-Origin-Message-Id). "
            "403 relay.sender_not_served: the envelope's sender is not one the peer serves; "
            "508 relay.loop: this axis is on X-Axis-Path, or it has more than 8 names.",
            "parameters": [
                _header("X-Axis-Origin", "The axis where the message entered the federation."),
                _header("X-Axis-Origin-Message-Id", "Its message id there."),
                _header("X-Axis-Recipients", "Comma-separated OrganIds this hop carries."),
                _header("X-Axis-Path", "Comma-separated axes crossed, origin first."),
            ],
            "requestBody": {
                "required": True,
                "content": {"application/xml": {"schema": {"type": "string"}}},
            },
            "responses": {
                "202": json_body(ref("Submission"), "Accepted and stored."),
                "200": json_body(ref("Submission"), "A repeat of the same hop."),
                **errors(400, 401, 403, 409, 413, 422, 508),
            },
        }
    },
    "/api/v1/relay/events": {
        "post": {
            "summary": "Transport states (delivered, acked, dead) of recipients this axis "
            "relayed to the calling peer; passed on towards the origin.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("TransportEvents")}},
            },
            "responses": {
                "200": json_body(ref("EventsReceived"), "Taken."),
                **errors(400, 401),
            },
        }
    },
}
