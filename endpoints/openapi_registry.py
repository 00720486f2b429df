"""The OpenAPI description of the directory and the operators' administration routes.

Merged into ``endpoints.openapi``. Operator routes take the operator token
(``AXIS_OPERATOR_TOKEN``) as a bearer token; the directory also takes an
agency's secret.
"""

from __future__ import annotations

from typing import Any

from endpoints.openapi_parts import errors, json_body, path_parameter, query, ref

_ORGAN_ID = path_parameter("organ_id")
_LIMIT = {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
_PAGE = [
    query("q", {"type": "string"}, "Words of the name or the start of the OrganId."),
    query("parent", {"type": "string"}, "Only the units directly under this OrganId."),
    query("limit", _LIMIT, "Page size."),
    query("cursor", {"type": "string"}, "next_cursor of the previous page."),
]
_NULLABLE_TEXT = {"type": ["string", "null"]}

_TIME = {"type": "string", "format": "date-time"}
_COUNT = {"type": "integer", "minimum": 0}

REGISTRY_SCHEMAS: dict[str, Any] = {
    "Node": {
        "type": "object",
        "description": "A running axis process on this database, as its heartbeat shows it.",
        "required": [
            "node_id",
            "host",
            "pid",
            "role",
            "status",
            "started_at",
            "last_beat_at",
            "stopped_at",
            "seen_seconds_ago",
            "leases",
            "endpoints",
            "roles_held",
        ],
        "properties": {
            "node_id": {"type": "string", "description": "Also the lease owner of its pushes."},
            "host": {"type": "string"},
            "pid": {"type": "integer"},
            "role": {"enum": ["api", "work", "all"]},
            "status": {
                "enum": ["live", "dead", "stopped"],
                "description": "dead: silent for longer than dead_after_seconds.",
            },
            "started_at": _TIME,
            "last_beat_at": _TIME,
            "stopped_at": {**_TIME, "type": ["string", "null"]},
            "seen_seconds_ago": {"type": "number", "minimum": 0},
            "leases": {**_COUNT, "description": "Pushes it holds in flight."},
            "endpoints": {**_COUNT, "description": "Push endpoints those go to."},
            "roles_held": {
                "type": ["array", "null"],
                "items": {"type": "string"},
                "description": "Fleet-wide duties it holds (e.g. the audit sealer); null: none.",
            },
        },
    },
    "DirectoryEntry": {
        "type": "object",
        "required": ["organ_id", "name", "parent_id", "delivery_mode", "served_by"],
        "properties": {
            "organ_id": {"type": "string"},
            "name": {"type": "string"},
            "parent_id": _NULLABLE_TEXT,
            "delivery_mode": {
                "enum": ["push", "pull", "relay"],
                "description": "relay: a remote agency, reached through a peer axis.",
            },
            "served_by": {
                **_NULLABLE_TEXT,
                "description": (
                    "The axis that serves a remote agency (its AXIS_NAME, from a synced "
                    "peer directory); null for an agency registered here."
                ),
            },
            "active": {
                "type": "boolean",
                "description": "Only in GET /api/v1/agencies/{organ_id}.",
            },
        },
    },
    "DirectoryPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref("DirectoryEntry")},
            "next_cursor": _NULLABLE_TEXT,
        },
    },
    "Agency": {
        "type": "object",
        "description": "What operators see of an agency; never its secret.",
        "properties": {
            "organ_id": {"type": "string"},
            "name": {"type": "string"},
            "parent_id": _NULLABLE_TEXT,
            "system_id": {"type": "string"},
            "delivery_mode": {"enum": ["push", "pull"]},
            "endpoint_url": _NULLABLE_TEXT,
            "legacy_sha1": {"type": "boolean"},
            "active": {"type": "boolean"},
            "certificates": {
                "type": "array",
                "description": "Only in GET /api/v1/admin/agencies/{organ_id}.",
                "items": {
                    "type": "object",
                    "properties": {
                        "fingerprint": {"type": "string", "description": "SHA-256, hex."},
                        "subject": {"type": "string"},
                        "not_before": {"type": "string", "format": "date-time"},
                        "not_after": {"type": "string", "format": "date-time"},
                    },
                },
            },
        },
    },
    "AgencyPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref("Agency")},
            "next_cursor": _NULLABLE_TEXT,
        },
    },
    "NewAgency": {
        "type": "object",
        "required": ["organ_id", "name"],
        "properties": {
            "organ_id": {"type": "string"},
            "name": {"type": "string"},
            "parent_id": {"type": "string"},
            "endpoint_url": {"type": "string", "description": "Push here; absent: pull."},
            "legacy_sha1": {"type": "boolean", "default": False},
            "system_id": {"type": "string", "description": "Chosen by the axis if absent."},
            "email": {"type": "string"},
            "certificates": {"type": "array", "items": {"type": "string"}, "description": "PEM."},
        },
    },
    "AgencyCredentials": {
        "type": "object",
        "description": "Shown once: the axis keeps only the secret's ciphertext.",
        "properties": {
            "organ_id": {"type": "string"},
            "system_id": {"type": "string"},
            "secret": {"type": "string"},
        },
    },
    "Pem": {
        "type": "object",
        "required": ["pem"],
        "properties": {
            "pem": {"type": "string"},
            "intermediate": {"type": "boolean", "description": "Trust anchors only."},
        },
    },
    "TrustCertificate": {
        "type": "object",
        "properties": {
            "fingerprint": {"type": "string"},
            "role": {"enum": ["anchor", "intermediate"]},
            "subject": {"type": "string"},
            "not_after": {"type": "string", "format": "date-time"},
        },
    },
    "Crl": {
        "type": "object",
        "properties": {
            "issuer": {"type": "string"},
            "this_update": {"type": "string", "format": "date-time"},
            "next_update": {"type": ["string", "null"], "format": "date-time"},
            "revoked": {"type": "integer"},
        },
    },
    "Delivery": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "message_id": {"type": "string"},
            "recipient": {"type": "string"},
            "kind": {"enum": ["edoc", "status"]},
            "mode": {"enum": ["push", "pull"]},
            "transport_state": {
                "enum": ["queued", "delivered", "acked", "retrying", "dead", "discarded"]
            },
            "priority": {"type": "integer", "minimum": 0, "maximum": 4},
            "attempts": {"type": "integer"},
            "last_error": _NULLABLE_TEXT,
            "created_at": {"type": "string", "format": "date-time"},
            "next_attempt_at": {"type": "string", "format": "date-time"},
            "delivered_at": {"type": ["string", "null"], "format": "date-time"},
            "endpoint_url": _NULLABLE_TEXT,
        },
    },
}


def _agency_change(summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [_ORGAN_ID],
            "responses": {"200": json_body(ref("Agency"), "The agency now."), **errors(401, 404)},
        }
    }


def _delivery_change(summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [path_parameter("delivery_id", {"type": "integer"})],
            "responses": {
                "200": json_body(
                    {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "transport_state": {"enum": ["queued", "discarded"]},
                        },
                    },
                    "Changed.",
                ),
                **errors(401, 404, 409),
            },
        }
    }


REGISTRY_PATHS: dict[str, Any] = {
    "/api/v1/agencies": {
        "get": {
            "summary": (
                "The directory of active agencies, in OrganId order (operators: all), with "
                "the remote agencies of synced peer directories; readable by agencies, "
                "operators and peer axes."
            ),
            "parameters": _PAGE,
            "responses": {"200": json_body(ref("DirectoryPage"), "One page."), **errors(400, 401)},
        }
    },
    "/api/v1/agencies/{organ_id}": {
        "get": {
            "summary": "One agency of the directory, local or remote.",
            "parameters": [_ORGAN_ID],
            "responses": {"200": json_body(ref("DirectoryEntry"), "Found."), **errors(401, 404)},
        }
    },
    "/api/v1/admin/agencies": {
        "get": {
            "summary": "Operators: every agency, suspended ones too.",
            "parameters": _PAGE,
            "responses": {"200": json_body(ref("AgencyPage"), "One page."), **errors(400, 401)},
        },
        "post": {
            "summary": "Operators: register an agency; its secret is shown this once.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("NewAgency")}},
            },
            "responses": {
                "201": json_body(ref("AgencyCredentials"), "Registered."),
                **errors(400, 401, 409, 422),
            },
        },
    },
    "/api/v1/admin/agencies/{organ_id}": {
        "get": {
            "summary": "Operators: one agency with its certificates.",
            "parameters": [_ORGAN_ID],
            "responses": {"200": json_body(ref("Agency"), "Found."), **errors(401, 404)},
        }
    },
    "/api/v1/admin/agencies/{organ_id}/suspend": _agency_change(
        "Operators: suspend; the agency can no longer send nor be sent to."
    ),
    "/api/v1/admin/agencies/{organ_id}/resume": _agency_change("Operators: make active again."),
    "/api/v1/admin/agencies/{organ_id}/certificates": {
        "post": {
            "summary": "Operators: register one more signing certificate (it must chain to "
            "a trust anchor).",
            "parameters": [_ORGAN_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("Pem")}},
            },
            "responses": {
                "201": json_body(
                    {
                        "type": "object",
                        "properties": {
                            "organ_id": {"type": "string"},
                            "fingerprint": {"type": "string"},
                        },
                    },
                    "Registered.",
                ),
                **errors(400, 401, 404, 409, 422),
            },
        }
    },
    "/api/v1/admin/trust": {
        "get": {
            "summary": "Operators: trust anchors, intermediates and revocation lists.",
            "responses": {
                "200": json_body(
                    {
                        "type": "object",
                        "properties": {
                            "certificates": {"type": "array", "items": ref("TrustCertificate")},
                            "crls": {"type": "array", "items": ref("Crl")},
                        },
                    },
                    "Everything trusted.",
                ),
                **errors(401),
            },
        },
        "post": {
            "summary": "Operators: trust a CA certificate.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("Pem")}},
            },
            "responses": {
                "201": json_body(ref("TrustCertificate"), "Trusted."),
                **errors(400, 401, 409, 422),
            },
        },
    },
    "/api/v1/admin/crls": {
        "post": {
            "summary": "Operators: a revocation list (PEM or DER) from a trusted issuer; only "
            "a newer one replaces the stored one.",
            "requestBody": {
                "required": True,
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            },
            "responses": {"201": json_body(ref("Crl"), "Stored."), **errors(401, 409, 422)},
        }
    },
    "/api/v1/admin/deliveries": {
        "get": {
            "summary": "Operators: deliveries by state (dead by default), oldest first.",
            "parameters": [
                query(
                    "state",
                    {
                        "enum": [
                            "queued",
                            "delivered",
                            "acked",
                            "retrying",
                            "dead",
                            "discarded",
                            "all",
                        ],
                        "default": "dead",
                    },
                    "Which deliveries.",
                ),
                query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "Page size."),
                query("cursor", {"type": "string"}, "next_cursor of the previous page."),
            ],
            "responses": {
                "200": json_body(
                    {
                        "type": "object",
                        "properties": {
                            "items": {"type": "array", "items": ref("Delivery")},
                            "next_cursor": _NULLABLE_TEXT,
                        },
                    },
                    "One page.",
                ),
                **errors(400, 401),
            },
        }
    },
    "/api/v1/admin/nodes": {
        "get": {
            "summary": "Operators: the nodes, live first, then those dead or stopped "
            "in the last hour, with what each holds.",
            "responses": {
                "200": json_body(
                    {
                        "type": "object",
                        "required": ["items", "beat_seconds", "dead_after_seconds"],
                        "properties": {
                            "items": {"type": "array", "items": ref("Node")},
                            "beat_seconds": {"type": "number"},
                            "dead_after_seconds": {"type": "number"},
                        },
                    },
                    "The fleet.",
                ),
                **errors(401),
            },
        }
    },
    "/api/v1/admin/deliveries/{delivery_id}/retry": _delivery_change(
        "Operators: queue a dead delivery again, with a fresh retry budget."
    ),
    "/api/v1/admin/deliveries/{delivery_id}/discard": _delivery_change(
        "Operators: give up on a dead delivery; it stays listed as discarded."
    ),
}
