"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 description of the native API."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from endpoints.openapi_batch import BATCH_PATHS, BATCH_SCHEMAS
from endpoints.openapi_parts import TIME as _TIME
from endpoints.openapi_parts import errors as _errors
from endpoints.openapi_parts import json_body as _json
from endpoints.openapi_parts import path_parameter
from endpoints.openapi_parts import ref as _ref
from endpoints.openapi_registry import REGISTRY_PATHS, REGISTRY_SCHEMAS
from endpoints.openapi_relay import RELAY_PATHS, RELAY_SCHEMAS
from endpoints.openapi_stats import STATS_PATHS, STATS_SCHEMAS

_ID = path_parameter("id")

# What later documents did to a recipient's copy: in the inbox item and in tracking.
_COPY_STATE: dict[str, Any] = {
    "revoked": {
        "type": "boolean",
        "description": "This copy was revoked (thu hồi) by a later document.",
    },
    "revoked_by": {
        "type": ["string", "null"],
        "description": "The id of the revocation (BussinessDocType 1) of this copy.",
    },
    "replaced_by": {
        "type": ["string", "null"],
        "description": "The id of the latest replacement (3) of this copy.",
    },
    "updated_by": {
        "type": ["string", "null"],
        "description": "The id of the latest update (2) of this copy.",
    },
}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {
                "type": "string",
                "description": "Stable machine-readable reason, e.g. envelope.malformed, "
                "signature.invalid, sender.mismatch, certificate.not_registered, "
                "recipient.unknown, recipient.suspended, status.unknown_document, "
                "status.not_participant, status.not_allowed, business.unknown_document, "
                "message.conflict, message.too_large, message.not_found, auth.missing, "
                "auth.invalid; a value refused at the boundary (any route, status 400): "
                "input.not_utf8, input.control_character, input.too_long, input.malformed, "
                "input.not_json, input.too_deep, and the detail names the field; "
                "message.purged (410): the body went by retention.",
            },
            "purged_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "message.purged only: when the body was purged.",
            },
            "archived_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "message.purged only: when its archive bundle was written.",
            },
            "bundle": {
                "type": ["string", "null"],
                "description": "message.purged only: the archive bundle holding the body "
                "(null: purged without an archive).",
            },
        },
    },
    "Submission": {
        "type": "object",
        "required": ["id", "kind", "document_id", "from", "recipients"],
        "properties": {
            "id": {"type": "string", "description": "Opaque message id chosen by the axis."},
            "kind": {"enum": ["edoc", "status"]},
            "document_id": {
                "type": "string",
                "description": "The DocumentId; for a status, the document it answers.",
            },
            "from": {"type": "string"},
            "recipients": {
                "type": "array",
                "items": {"type": "string"},
                "description": "OrganIds the message is routed to: the document's "
                "recipients; for a status, the original sender (or, for a recall 13, "
                "the recipients asked).",
            },
        },
    },
    "InboxItem": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "kind": {"enum": ["edoc", "status"]},
            "from": {"type": "string"},
            "document_id": {"type": "string"},
            "subject": {"type": "string"},
            "status_code": {"type": ["string", "null"]},
            "priority": {"type": "integer", "minimum": 0, "maximum": 4},
            "received_at": {"type": "string", "format": "date-time"},
            "size": {"type": "integer"},
            "sha256": {"type": "string", "description": "Hex SHA-256 of the exact bytes."},
            **_COPY_STATE,
            "signature": _ref("SignatureState"),
        },
    },
    "SignatureState": {
        "type": "object",
        "required": ["state"],
        "description": "How the message is vouched for. 'signed': its sender's XML signature, "
        "verified by the axis. 'sealed': NOT signed; its sender is an agency in transition, "
        "authenticated by its channel credentials alone, and the axis sealed the exact bytes "
        "(a JWS, EdDSA, checkable with 'axis envelope verify-seal' and the axis's seal "
        "certificate; see docs/http-api.md).",
        "properties": {
            "state": {"enum": ["signed", "sealed"]},
            "seal": {
                "type": "string",
                "description": "Only when sealed: the compact JWS whose payload names the "
                "SHA-256 of the bytes, the agency, the channel and the time.",
            },
        },
    },
    "InboxPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref("InboxItem")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as cursor for the next page; null on the last page.",
            },
        },
    },
    "Ack": {
        "type": "object",
        "properties": {
            "result": {"enum": ["done", "fail"], "default": "done"},
            "reason": {"type": "string"},
        },
    },
    "Acknowledgement": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "organ_id": {"type": "string"},
            "transport_state": {"const": "acked"},
            "acked_at": {"type": "string", "format": "date-time"},
            "result": {"enum": ["done", "fail"]},
        },
    },
    "StatusEntry": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "01-06, 13, 15, 16."},
            "description": {"type": "string"},
            "at": {
                "type": "string",
                "format": "date-time",
                "description": "The status's own Timestamp (or when the axis received it).",
            },
            "received_at": {"type": "string", "format": "date-time"},
            "from": {"type": "string"},
            "message_id": {"type": "string", "description": "The status message's id."},
        },
    },
    "RecipientTracking": {
        "type": "object",
        "properties": {
            "organ_id": {"type": "string"},
            "transport_state": {
                "enum": ["queued", "relayed", "delivered", "acked", "retrying", "dead"]
            },
            "via": {
                "type": ["string", "null"],
                "description": "The peer axis a recipient beyond this one is relayed through.",
            },
            "attempts": {"type": "integer"},
            "last_error": {"type": ["string", "null"]},
            "delivered_at": _TIME,
            "acked_at": _TIME,
            "business_status": {
                "type": ["string", "null"],
                "description": "The latest status code this recipient sent.",
            },
            "statuses": {
                "type": "array",
                "items": _ref("StatusEntry"),
                "description": "The recipient's statuses, and the sender's recalls (13), "
                "oldest first.",
            },
            **_COPY_STATE,
        },
    },
    "DocumentLink": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "document_id": {"type": "string"},
            "business_type": {"enum": ["revocation", "update", "replacement", None]},
            "accepted_at": {"type": "string", "format": "date-time"},
            "recipients": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Whose copies the acting document acts on.",
            },
        },
    },
    "StoryEvent": {
        "type": "object",
        "properties": {
            "event": {"enum": ["status", "revocation", "update", "replacement"]},
            "code": {
                "type": ["string", "null"],
                "description": "For a status: 13 (recall asked), 15 (agreed), 16 (refused).",
            },
            "description": {"type": "string"},
            "from": {"type": ["string", "null"]},
            "message_id": {"type": "string"},
            "document_id": {"type": "string"},
            "recipients": {"type": "array", "items": {"type": "string"}},
            "at": {"type": "string", "format": "date-time"},
        },
        "required": ["event", "message_id", "at"],
    },
    "Tracking": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "kind": {"enum": ["edoc", "status"]},
            "document_id": {"type": "string"},
            "accepted_at": {"type": "string", "format": "date-time"},
            "business_type": {"enum": ["new", "revocation", "update", "replacement", None]},
            "signature": _ref("SignatureState"),
            "recipients": {"type": "array", "items": _ref("RecipientTracking")},
            "acts_on": {
                "oneOf": [_ref("DocumentLink"), {"type": "null"}],
                "description": "For a revocation (1), update (2) or replacement (3): the "
                "(first) document it acts on, named by Bussiness/DocumentId, else by the "
                "message's own DocumentId (1, 2), else by ReplacementInfo/DocumentId (3).",
            },
            "acts_on_documents": {
                "type": "array",
                "items": _ref("DocumentLink"),
                "description": "Every document it acts on (a replacement may name several), "
                "each with the recipients whose copies it acts on.",
            },
            "acted_on_by": {
                "type": "array",
                "items": _ref("DocumentLink"),
                "description": "Later revocations, updates and replacements of this document.",
            },
            "story": {
                "type": "array",
                "items": _ref("StoryEvent"),
                "description": "The recall dialogue (13, 15, 16) and the revocations, updates "
                "and replacements of this document, as one timeline, oldest first.",
            },
        },
    },
}

SCHEMAS.update(REGISTRY_SCHEMAS)
SCHEMAS.update(STATS_SCHEMAS)
SCHEMAS.update(RELAY_SCHEMAS)
SCHEMAS.update(BATCH_SCHEMAS)

DESCRIPTION: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "axis native API",
        "version": "1",
        "description": "Inter-agency edXML document exchange. Errors are "
        "application/problem+json with a stable code.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": SCHEMAS,
        "responses": {
            "Problem": {
                "description": "Refused; see code.",
                "content": {"application/problem+json": {"schema": _ref("Problem")}},
            }
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/messages": {
            "post": {
                "summary": "Submit a signed edXML document or status message.",
                "requestBody": {
                    "required": True,
                    "content": {"application/xml": {"schema": {"type": "string"}}},
                },
                "responses": {
                    "202": _json(_ref("Submission"), "Accepted and stored."),
                    "200": _json(_ref("Submission"), "An identical resubmission."),
                    **_errors(400, 401, 403, 409, 413, 422),
                },
            }
        },
        "/api/v1/inbox": {
            "get": {
                "summary": "Messages addressed to the caller, not yet acknowledged, urgent "
                "first (priority 4 down to 0), oldest first within a priority.",
                "description": "A pass over the pages lists each message once. A message "
                "that arrives during a pass and ranks before the cursor (an urgent one "
                "after routine pages were read) is not lost: the next pass, from the "
                "first page, lists it.",
                "parameters": [
                    {"name": "kind", "in": "query", "schema": {"enum": ["edoc", "status"]}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
                    },
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "wait",
                        "in": "query",
                        "schema": {"type": "number", "minimum": 0, "maximum": 30, "default": 0},
                        "description": "Long poll: when nothing is waiting, answer as soon as "
                        "a message for the caller arrives, or after this many seconds with an "
                        "empty page. An extension of api.md; without it, the answer is at once.",
                    },
                ],
                "responses": {"200": _json(_ref("InboxPage"), "One page."), **_errors(400, 401)},
            }
        },
        "/api/v1/messages/{id}": {
            "get": {
                "summary": "The exact bytes the sender signed; for its sender and recipients. "
                "A pull recipient's fetch marks its delivery delivered.",
                "parameters": [_ID],
                "responses": {
                    "200": {
                        "description": "The message.",
                        "content": {"application/xml": {"schema": {"type": "string"}}},
                    },
                    # 410 message.purged: the body went by retention; the problem
                    # adds purged_at, archived_at and bundle.
                    **_errors(401, 404, 410),
                },
            }
        },
        "/api/v1/messages/{id}/ack": {
            "post": {
                "summary": "The recipient confirms it has the message; acking twice is harmless.",
                "parameters": [_ID],
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": _ref("Ack")}},
                },
                "responses": {
                    "200": _json(_ref("Acknowledgement"), "Acknowledged."),
                    **_errors(400, 401, 404),
                },
            }
        },
        "/api/v1/messages/{id}/tracking": {
            "get": {
                "summary": "For the sender: what became of the message, per recipient.",
                "parameters": [_ID],
                "responses": {"200": _json(_ref("Tracking"), "Tracking."), **_errors(401, 404)},
            }
        },
        **REGISTRY_PATHS,
        **STATS_PATHS,
        **RELAY_PATHS,
        **BATCH_PATHS,
    },
}


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(DESCRIPTION)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/openapi.json", openapi)
