"""The OpenAPI description of the batch pull road (``endpoints.api_batch``, issue #19)."""

from __future__ import annotations

from typing import Any

from axis.delivery.pull.service import MAX_BATCH, MAX_BATCH_BYTES
from endpoints.openapi_parts import errors, json_body, ref

_IDS: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_BATCH,
    "items": {"type": "string"},
}

BATCH_SCHEMAS: dict[str, Any] = {
    "BatchFetch": {
        "type": "object",
        "required": ["ids"],
        "properties": {"ids": _IDS},
    },
    "BatchAck": {
        "type": "object",
        "required": ["acks"],
        "properties": {
            "acks": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_BATCH,
                "items": {
                    "allOf": [ref("Ack")],
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "string"}},
                },
            }
        },
    },
    "BatchAckAnswer": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "description": "One per ack asked, in order: the acknowledgement, or the "
                "problem (message.not_found) of an id not addressed to the caller.",
                "items": {
                    "anyOf": [
                        ref("Acknowledgement"),
                        {
                            "type": "object",
                            "required": ["id", "problem"],
                            "properties": {"id": {"type": "string"}, "problem": ref("Problem")},
                        },
                    ]
                },
            }
        },
    },
}

BATCH_PATHS: dict[str, Any] = {
    "/api/v1/inbox/fetch": {
        "post": {
            "summary": "The exact bytes of many messages in one answer; each counts as "
            "GET /api/v1/messages/{id} (a pull recipient's fetch marks it delivered).",
            "description": "An extension of api.md. The answer is multipart/mixed (RFC 2046), "
            "one part per distinct id in the order asked, each with Content-ID: <id> and "
            "Content-Length: an application/xml part holds the message's bytes untouched; "
            "an application/problem+json part says why not: message.not_found (404), or "
            f"batch.too_large (413) once the answer holds {MAX_BATCH_BYTES} bytes of "
            "messages, or for a body stored in several pieces or purged (that message is "
            "not marked delivered: fetch it alone).",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("BatchFetch")}},
            },
            "responses": {
                "200": {
                    "description": "One part per message.",
                    "content": {"multipart/mixed": {"schema": {"type": "string"}}},
                },
                **errors(401),
            },
        }
    },
    "/api/v1/inbox/ack": {
        "post": {
            "summary": "Acknowledge many messages in one request; each as "
            "POST /api/v1/messages/{id}/ack.",
            "description": "An extension of api.md. Acks are written through the same group "
            "commit as single acks; acking twice answers the first ack.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("BatchAck")}},
            },
            "responses": {
                "200": json_body(ref("BatchAckAnswer"), "One answer per ack."),
                **errors(401),
            },
        }
    },
}
