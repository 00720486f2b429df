"""The OpenAPI description of ``/api/v1/stats/...`` (merged into ``endpoints.openapi``)."""

from __future__ import annotations

from typing import Any

from endpoints.openapi_parts import TIME as _TIME
from endpoints.openapi_parts import errors as _errors
from endpoints.openapi_parts import query as _query
from endpoints.openapi_parts import ref as _ref

_SECONDS = {"type": ["number", "null"], "description": "Seconds; null when nothing to measure."}


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description + " With format=csv: the same rows as CSV.",
        "content": {
            "application/json": {"schema": schema},
            "text/csv": {"schema": {"type": "string", "description": "UTF-8 with BOM."}},
        },
    }


_PERIOD = [
    _query("from", {"type": "string", "format": "date"},
           "First local day (Asia/Ho_Chi_Minh); default 29 days before 'to'."),
    _query("to", {"type": "string", "format": "date"}, "Last local day; default today."),
]  # fmt: skip
_CSV = [
    _query("format", {"enum": ["json", "csv"], "default": "json"}, "csv: UTF-8 with BOM."),
    _query("labels", {"enum": ["keys", "vi"], "default": "keys"},
           "CSV headers: the JSON field names, or Vietnamese labels."),
]  # fmt: skip
_COUNT = {"type": "integer", "minimum": 0}

STATS_SCHEMAS: dict[str, Any] = {
    "StatsPeriod": {
        "type": "object",
        "properties": {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "time_zone": {"const": "Asia/Ho_Chi_Minh"},
        },
    },
    "StatsFigures": {
        "type": "object",
        "description": "Deliveries belong to the local day their document was sent. Times run "
        "from delivery to the recipient's first status at each stage, on the axis's clock "
        "(when the axis received the status); percentiles are observed values.",
        "properties": {
            "organ_id": {"type": "string"},
            "name": {"type": "string"},
            "parent_id": {"type": ["string", "null"]},
            "in_registry": {
                "type": "boolean",
                "description": "False for a parent named by units but never registered.",
            },
            "rollup": {"enum": ["subtree", "own"]},
            "agencies": {**_COUNT, "description": "Agencies the row counts."},
            "sent": {**_COUNT, "description": "Documents sent."},
            "received": {**_COUNT, "description": "Copies addressed to the row's agencies."},
            "delivered": {**_COUNT, "description": "Of those, fetched or pushed."},
            "answered": {**_COUNT, "description": "Answered at all (01 to 06, or 02)."},
            "accepted": {**_COUNT, "description": "Reached 03 or later."},
            "finished": {**_COUNT, "description": "Reached 06."},
            "rejected": {**_COUNT, "description": "Answered 02."},
            "rejected_share": {"type": ["number", "null"], "description": "rejected / delivered."},
            "overdue_receipt": {
                **_COUNT,
                "description": "No first status within the configured working days of delivery.",
            },
            "overdue_due_date": {
                **_COUNT,
                "description": "Not finished (06), rejected or recalled by the end of DueDate.",
            },
            "to_01_median_seconds": _SECONDS,
            "to_01_p90_seconds": _SECONDS,
            "to_03_median_seconds": _SECONDS,
            "to_03_p90_seconds": _SECONDS,
            "to_06_median_seconds": _SECONDS,
            "to_06_p90_seconds": _SECONDS,
            "silent_agencies": {
                **_COUNT,
                "description": "Agencies that had documents delivered in the period and never "
                "sent a single status.",
            },
        },
    },
    "StatsDay": {
        "type": "object",
        "properties": {
            "day": {"type": "string", "format": "date"},
            "sent": _COUNT,
            "received": _COUNT,
            "delivered": _COUNT,
        },
    },
    "OverdueDelivery": {
        "type": "object",
        "properties": {
            "delivery_id": {"type": "integer"},
            "message_id": {"type": "string"},
            "document_id": {"type": "string"},
            "code_number": {"type": "string"},
            "code_notation": {"type": "string"},
            "subject": {"type": "string"},
            "sender_id": {"type": "string"},
            "sender_name": {"type": "string"},
            "recipient_id": {"type": "string"},
            "recipient_name": {"type": "string"},
            "sent_at": {"type": "string", "format": "date-time"},
            "delivered_at": _TIME,
            "due_date": {"type": ["string", "null"], "format": "date"},
            "due_deadline": _TIME,
            "receipt_deadline": _TIME,
            "answered_at": _TIME,
            "accepted_at": _TIME,
            "overdue_since": {"type": "string", "format": "date-time"},
            "receipt_overdue": {"type": "boolean"},
            "due_date_overdue": {"type": "boolean"},
        },
    },
    "SilentAgency": {
        "type": "object",
        "properties": {
            "organ_id": {"type": "string"},
            "name": {"type": "string"},
            "parent_id": {"type": ["string", "null"]},
            "received": _COUNT,
            "delivered": _COUNT,
            "first_sent_at": {"type": "string", "format": "date-time"},
            "last_sent_at": {"type": "string", "format": "date-time"},
        },
    },
}

_FRESHNESS = {**_TIME, "description": "When the figures were last refreshed."}

STATS_PATHS: dict[str, Any] = {
    "/api/v1/stats/agencies": {
        "get": {
            "summary": "Accountability figures per agency: the roots (operators) or the "
            "caller's own agency, a parent's children, or every agency (flat). Operators "
            "see every agency, an agency its own subtree.",
            "parameters": [
                *_PERIOD,
                _query("parent", {"type": "string"}, "List this agency's children."),
                _query("flat", {"type": "boolean", "default": False},
                       "Every visible agency with its own figures (no rollup)."),
                _query("include_idle", {"type": "boolean", "default": False},
                       "Also rows with nothing sent or received."),
                _query("sort", {"enum": ["organ_id", "sent", "received", "to_01", "to_01_p90",
                                         "to_03", "to_06", "rejected", "overdue_receipt",
                                         "overdue_due_date", "silent"]},
                       "Ranking; worst first unless 'order' says otherwise."),
                _query("order", {"enum": ["asc", "desc"]}, "Sort direction."),
                *_CSV,
            ],
            "responses": {
                "200": _ok({"type": "object", "properties": {
                    "period": _ref("StatsPeriod"), "refreshed_at": _FRESHNESS,
                    "parent": {"type": ["string", "null"]},
                    "items": {"type": "array", "items": _ref("StatsFigures")},
                }}, "The rows."),
                **_errors(400, 401, 403, 404),
            },
        }
    },
    "/api/v1/stats/agencies/{organ_id}": {
        "get": {
            "summary": "One agency: its subtree's and its own figures, and its subtree's "
            "documents per day (the CSV export is the days).",
            "parameters": [
                {"name": "organ_id", "in": "path", "required": True, "schema": {"type": "string"}},
                *_PERIOD,
                *_CSV,
            ],
            "responses": {
                "200": _ok({"type": "object", "properties": {
                    "period": _ref("StatsPeriod"), "refreshed_at": _FRESHNESS,
                    "organ_id": {"type": "string"}, "subtree": _ref("StatsFigures"),
                    "own": _ref("StatsFigures"),
                    "days": {"type": "array", "items": _ref("StatsDay")},
                }}, "The agency."),
                **_errors(400, 401, 403, 404),
            },
        }
    },
    "/api/v1/stats/overdue": {
        "get": {
            "summary": "Deliveries overdue now (a deadline passed, still open), earliest first. "
            "An agency sees those its subtree sent (side=sent) or must answer (side=received).",
            "parameters": [
                _query("side", {"enum": ["sent", "received"], "default": "sent"},
                       "For agencies: which end of the delivery is theirs."),
                _query("sender", {"type": "string"}, "Only this sender."),
                _query("recipient", {"type": "string"}, "Only this recipient."),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000,
                                 "default": 100}, "Page size (ignored for CSV)."),
                _query("cursor", {"type": "string"}, "next_cursor of the previous page."),
                *_CSV,
            ],
            "responses": {
                "200": _ok({"type": "object", "properties": {
                    "refreshed_at": _FRESHNESS, "total": _COUNT, "receipt_overdue": _COUNT,
                    "due_date_overdue": _COUNT,
                    "items": {"type": "array", "items": _ref("OverdueDelivery")},
                    "next_cursor": {"type": ["string", "null"]},
                }}, "One page."),
                **_errors(400, 401, 403, 404),
            },
        }
    },
    "/api/v1/stats/silent": {
        "get": {
            "summary": "Agencies that had documents delivered in the period and have never "
            "sent a single status.",
            "parameters": [*_PERIOD, *_CSV],
            "responses": {
                "200": _ok({"type": "object", "properties": {
                    "period": _ref("StatsPeriod"), "refreshed_at": _FRESHNESS,
                    "items": {"type": "array", "items": _ref("SilentAgency")},
                }}, "The agencies, most documents first."),
                **_errors(400, 401),
            },
        }
    },
}  # fmt: skip
