"""``axis envelope inspect FILE [--json]``: parse, validate and summarise one message.

No server, no database. A valid message prints its summary and exits 0; anything refused
(hostile, malformed, not edXML, or invalid) exits non-zero with one sentence on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from axis.errors import CommandError
from envelope import Document, EnvelopeError, ResponseFor, Status, parse_valid


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "inspect", help="parse and validate an edXML message and print its summary"
    )
    parser.add_argument("file", metavar="FILE", help="the edXML file ('-' for stdin)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=inspect)


def inspect(args: argparse.Namespace) -> int:
    path: str = args.file
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from error
    try:
        message = parse_valid(data)
    except EnvelopeError as error:
        reason = error.message[:1].lower() + error.message[1:]
        raise CommandError(f"{path} is refused ({error.code}): {reason}") from error
    summary = summarize(message)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(_as_text(summary))
    return 0


def _response_for(item: ResponseFor) -> dict[str, Any]:
    date = item.promulgation_date
    return {
        "organ_id": item.organ_id,
        "document_id": item.document_id,
        "code": item.code,
        "promulgation_date": None if date is None else date.isoformat(),
    }


def summarize(message: Document | Status) -> dict[str, Any]:
    """The fields the CLI contract names, as JSON-ready values."""
    signature = message.signature
    summary: dict[str, Any] = {
        "kind": message.kind,
        "from": None if message.sender is None else message.sender.organ_id,
        "to": [],
        "document_id": None,
        "code": None,
        "subject": None,
        "priority": None,
        "priority_name": None,
        "business_type": None,
        "status_code": None,
        "status_name": None,
        "response_for": [],
        "attachments": [],
        "signature": {
            "present": signature is not None,
            "algorithm": None if signature is None else signature.algorithm,
            "in_signature_namespace": None
            if signature is None
            else signature.in_signature_namespace,
        },
    }
    if isinstance(message, Document):
        business_type = message.business_type
        summary.update(
            to=[recipient.organ_id for recipient in message.recipients],
            document_id=message.document_id,
            code=None if message.code is None else str(message.code),
            subject=message.subject,
            priority=int(message.priority),
            priority_name=message.priority.vietnamese_name,
            business_type=None if business_type is None else int(business_type),
            response_for=[_response_for(item) for item in message.response_for],
            attachments=[
                {
                    "name": attachment.name,
                    "content_type": attachment.content_type,
                    "size": attachment.size,
                    "content_id": attachment.content_id,
                    "zip": attachment.is_zip,
                }
                for attachment in message.attachments
            ],
        )
    else:
        code = message.status_code
        summary.update(
            status_code=None if code is None else code.value,
            status_name=None if code is None else code.vietnamese_name,
            response_for=[]
            if message.response_for is None
            else [_response_for(message.response_for)],
        )
    return summary


def _as_text(summary: dict[str, Any]) -> str:
    lines = []
    for key, value in summary.items():
        if key == "attachments":
            lines.append(f"attachments: {len(value)}")
            lines.extend(
                f"  - {item['name']} ({item['content_type']}, {item['size']} bytes"
                f"{', zip' if item['zip'] else ''})"
                for item in value
            )
        elif key == "response_for":
            lines.append(f"response_for: {len(value)}")
            lines.extend(
                f"  - {item['organ_id']} {item['document_id']} ({item['code']}, "
                f"{item['promulgation_date']})"
                for item in value
            )
        elif key == "signature":
            shown = "absent"
            if value["present"]:
                shown = f"present, algorithm {value['algorithm']}"
                if not value["in_signature_namespace"]:
                    shown += " (malformed: not in the XML-Signature namespace)"
            lines.append(f"signature: {shown}")
        elif isinstance(value, list):
            lines.append(f"{key}: {', '.join(str(item) for item in value)}")
        else:
            lines.append(f"{key}: {'' if value is None else value}")
    return "\n".join(lines)
