"""``axis envelope inspect FILE [--json]``: parse, validate and summarise one message.

No server, no database. A valid message prints its summary and exits 0; anything refused
(hostile, malformed, not edXML, or invalid) exits non-zero with one sentence on stderr.

``axis envelope inspect --compat FILE_OR_DIR... [--json]``: the compatibility report. For
each file (a folder is read for every file in it) it says whether the axis would accept
it, under which policy (``signed``, or ``transition``: sealed by the axis, when the
operator lets the agency submit unsigned envelopes), and what to change if not.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import signing
from axis.errors import CommandError
from envelope import Document, EnvelopeError, EnvelopeInvalid, ResponseFor, Status, parse_valid


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "inspect", help="parse and validate an edXML message and print its summary"
    )
    parser.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        help="the edXML file ('-' for stdin); with --compat, files and folders",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--compat",
        action="store_true",
        help="say per file whether the axis will accept it, under which policy, "
        "and what to change if not",
    )
    parser.set_defaults(handler=inspect)


def inspect(args: argparse.Namespace) -> int:
    if args.compat:
        return compatibility_report(args.files, as_json=args.json)
    if len(args.files) != 1:
        raise CommandError("inspect reads one FILE; --compat reads several")
    path: str = args.files[0]
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
        "acts_on": [],
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
            acts_on=[
                {
                    "document_id": acted.document_id,
                    "named_in": acted.named_in,
                    "organ_ids": list(acted.organ_ids),
                }
                for acted in message.acts_on
            ],
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
        elif key == "acts_on":
            lines.append(f"acts_on: {len(value)}")
            lines.extend(
                f"  - {item['document_id']} (named in {item['named_in'].rsplit('/', 2)[-2]}"
                f"{', for ' + ', '.join(item['organ_ids']) if item['organ_ids'] else ''})"
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


# The compatibility report.

SIGNED = "signed"
TRANSITION = "transition"
_SUFFIXES = frozenset({".edxml", ".xml", ".EDXML", ".XML"})
_UNSIGNED = (signing.MissingSignatureError, signing.MisplacedSignatureError)
_SIGN_HINT = (
    "sign it with a W3C XML Signature (namespace http://www.w3.org/2000/09/xmldsig#) as "
    "the last element of edXMLHeader, SHA-256 or stronger, e.g. with `axis envelope sign`"
)


def _files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            # A folder of an agency's files holds other things too: read its XML.
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
            )
        else:
            found.append(path)
    return found


def _verdict(
    accepted: bool, policy: str | None, code: str | None, change: list[str], **more: Any
) -> dict[str, Any]:
    return {"accepted": accepted, "policy": policy, "code": code, "change": change, **more}


def _signature_verdict(data: bytes, sender: str) -> dict[str, Any]:
    """Which policy the signature allows; trust (chain, registration) is the server's."""
    trust = (
        f"the signing certificate must chain to a trust anchor the operator configured "
        f"and be registered for {sender or 'the sender'} (`axis agency add --cert`)"
    )
    try:
        checked = signing.check_signature(data)
    except signing.AlgorithmNotAllowedError as error:
        try:
            checked = signing.check_signature(
                data, profile=signing.VerificationProfile().with_sha1()
            )
        except signing.SignatureError:
            return _verdict(False, None, error.code, [_SIGN_HINT], reason=str(error))
        legacy = "the operator marks the agency legacy SHA-1 (`axis agency add --legacy-sha1`)"
        return _verdict(
            True, SIGNED, None, [], conditions=[legacy, trust],
            algorithm=checked.signature_algorithm,
        )  # fmt: skip
    except _UNSIGNED as error:
        return _verdict(
            True, TRANSITION, error.code, [_SIGN_HINT], reason=str(error),
            conditions=[
                f"sealed, if the operator lets {sender or 'the agency'} submit unsigned "
                f"envelopes (policy {TRANSITION}); refused otherwise with {error.code}"
            ],
        )  # fmt: skip
    except signing.SignatureError as error:
        return _verdict(False, None, error.code, [_SIGN_HINT], reason=str(error))
    return _verdict(
        True, SIGNED, None, [], conditions=[trust], algorithm=checked.signature_algorithm
    )


def _file_verdict(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as error:
        return _verdict(False, None, "file.unreadable", [], reason=str(error.strerror or error))
    try:
        message = parse_valid(data)
    except EnvelopeInvalid as error:
        changes = [
            f"{problem.path}{'' if problem.line is None else f' (line {problem.line})'}: "
            f"{problem.message} [{problem.code}]"
            for problem in error.problems
        ]
        return _verdict(False, None, error.code, changes, reason=error.message)
    except EnvelopeError as error:
        return _verdict(False, None, error.code, [], reason=error.message)
    sender = "" if message.sender is None else message.sender.organ_id
    verdict = _signature_verdict(data, sender)
    verdict["kind"] = message.kind
    verdict["from"] = sender
    if isinstance(message, Document):
        verdict["business_type"] = (
            None if message.business_type is None else int(message.business_type)
        )
        verdict["acts_on"] = [acted.document_id for acted in message.acts_on]
    return verdict


def compatibility_report(paths: list[str], *, as_json: bool) -> int:
    """Exit 0: every file accepted signed; 1: some only under the transition policy;
    2: some refused under every policy."""
    report = [{"file": str(path), **_file_verdict(path)} for path in _files(paths)]
    if not report:
        raise CommandError("no files to read")
    if as_json:
        print(json.dumps({"files": report}, ensure_ascii=False, indent=2))
    else:
        print("\n".join(_compat_text(entry) for entry in report))
    if any(not entry["accepted"] for entry in report):
        return 2
    return 1 if any(entry["policy"] == TRANSITION for entry in report) else 0


def _compat_text(entry: dict[str, Any]) -> str:
    if not entry["accepted"]:
        head = f"{entry['file']}: refused ({entry['code']}): {entry.get('reason', '')}"
    elif entry["policy"] == TRANSITION:
        head = f"{entry['file']}: accepted only under policy {TRANSITION}"
    else:
        head = f"{entry['file']}: accepted, policy {SIGNED}"
    lines = [head]
    lines.extend(f"  if: {condition}" for condition in entry.get("conditions", []))
    lines.extend(f"  change: {change}" for change in entry["change"])
    return "\n".join(lines)
