"""``axis client``: the native API from the command line, for agencies and scripts."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from axis.client.agency_client import AgencyClient
from axis.client.receipts import compose_receipt
from axis.errors import CommandError
from envelope import Document, EnvelopeError, Organization, StatusCode, build, parse
from signing import SignatureError, SigningAlgorithm, sign

_ALGORITHMS = {
    "rsa-sha256": SigningAlgorithm.RSA_SHA256,
    "ecdsa-sha256": SigningAlgorithm.ECDSA_SHA256,
    "rsa-sha1": SigningAlgorithm.RSA_SHA1,
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    client = subparsers.add_parser("client", help="use the native API as an agency")
    commands = client.add_subparsers(dest="client_command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=help_text)
        parser.add_argument("--url", help="axis base URL (AXIS_URL)")
        parser.add_argument("--organ-id", help="this agency's OrganId (AXIS_ORGAN_ID)")
        parser.add_argument("--secret", help="this agency's secret (AXIS_SECRET)")
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        return parser

    def signer_options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--key", type=Path, help="private key (PEM) to sign with")
        parser.add_argument("--cert", type=Path, help="certificate (PEM) of that key")
        parser.add_argument("--algorithm", choices=sorted(_ALGORITHMS), default="rsa-sha256")

    send = command("send", "submit an edXML file (signed here when --key and --cert are given)")
    send.add_argument("file", type=Path)
    signer_options(send)
    send.set_defaults(handler=_send)

    inbox = command("inbox", "list messages not yet acknowledged")
    inbox.add_argument("--kind", choices=("edoc", "status"))
    inbox.add_argument("--limit", type=int, default=100)
    inbox.set_defaults(handler=_inbox)

    get = command("get", "download a message exactly as its sender signed it")
    get.add_argument("id")
    get.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    get.set_defaults(handler=_get)

    _pull_commands(command)

    status = command("status", "answer a received document with a status code (receipt)")
    status.add_argument("id", help="message id of the received document")
    status.add_argument("code", help="status code, e.g. 01, 03, 06")
    status.add_argument("--description", default="")
    signer_options(status)
    status.set_defaults(handler=_status)

    tracking = command("tracking", "where each copy of a sent document stands")
    tracking.add_argument("id")
    tracking.set_defaults(handler=_tracking)


def _pull_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    fetch = command("fetch", "download many messages in one request (the batch pull road)")
    fetch.add_argument("ids", nargs="+", metavar="id", help="up to 100 message ids")
    fetch.add_argument(
        "-d", "--directory", type=Path, default=Path("."), help="where to write ID.xml files"
    )
    fetch.set_defaults(handler=_fetch)

    ack = command("ack", "confirm messages were received (several: in one request)")
    ack.add_argument("ids", nargs="+", metavar="id")
    ack.add_argument("--result", choices=("done", "fail"), default="done")
    ack.add_argument("--reason", default="")
    ack.set_defaults(handler=_ack)


def _option(args: argparse.Namespace, name: str, variable: str) -> str:
    value = getattr(args, name, None) or os.environ.get(variable)
    if not value:
        flag = "--" + name.replace("_", "-")
        raise CommandError(f"The option {flag} (or {variable}) is required.")
    return str(value)


def _client(args: argparse.Namespace) -> AgencyClient:
    return AgencyClient(_option(args, "url", "AXIS_URL"), _option(args, "secret", "AXIS_SECRET"))


def _print(args: argparse.Namespace, value: Any, text: str) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2) if args.json else text)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from None


def _sign_if_asked(args: argparse.Namespace, data: bytes, *, required: bool) -> bytes:
    if args.key is None and args.cert is None:
        if required:
            raise CommandError("The options --key and --cert are required to sign.")
        return data
    if args.key is None or args.cert is None:
        raise CommandError("Give both --key and --cert to sign, or neither.")
    try:
        key = load_pem_private_key(_read(args.key), password=None)
        certificate = x509.load_pem_x509_certificate(_read(args.cert))
    except ValueError as error:
        raise CommandError(f"The key or certificate cannot be read: {error}.") from None
    try:
        return sign(data, key, certificate, algorithm=_ALGORITHMS[args.algorithm])
    except (SignatureError, ValueError) as error:
        raise CommandError(f"The envelope cannot be signed: {error}.") from None


async def _send(args: argparse.Namespace) -> int:
    envelope = _sign_if_asked(args, _read(args.file), required=False)
    async with _client(args) as client:
        submission = await client.send(envelope)
    verb = "accepted" if submission.status == 202 else "already accepted"
    _print(args, asdict(submission), f"{verb}: {submission.id} ({submission.kind})")
    return 0


async def _inbox(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        page = await client.inbox(args.kind, args.limit)
    lines = [
        f"{item['id']}  {item['kind']:6}  from {item['from']}  {item.get('document_id') or ''}"
        for item in page["items"]
    ]
    _print(args, page, "\n".join(lines) or "the inbox is empty")
    return 0


async def _get(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        body = await client.get(args.id)
    if args.output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    else:
        args.output.write_bytes(body)
    return 0


async def _fetch(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        batch = await client.fetch_many(args.ids)
    args.directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for message_id, body in batch.messages.items():
        # Ids are the axis's own (hex today); a path separator would be refused here.
        target = args.directory / f"{Path(message_id).name}.xml"
        target.write_bytes(body)
        lines.append(f"{message_id}  {len(body)} bytes  {target}")
    lines += [f"{message_id}  {problem['code']}" for message_id, problem in batch.problems.items()]
    report = {
        "written": {message_id: len(body) for message_id, body in batch.messages.items()},
        "problems": batch.problems,
    }
    _print(args, report, "\n".join(lines))
    return 0 if not batch.problems else 1


async def _ack(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        if len(args.ids) == 1:
            await client.ack(args.ids[0], args.result, args.reason)
            _print(args, {"id": args.ids[0], "acked": True, "result": args.result},
                   f"acknowledged {args.ids[0]}")  # fmt: skip
            return 0
        answers = await client.ack_many(args.ids, args.result, args.reason)
    lines = [
        f"{answer['id']}  {answer['problem']['code']}" if "problem" in answer
        else f"acknowledged {answer['id']}"
        for answer in answers
    ]  # fmt: skip
    _print(args, {"items": answers}, "\n".join(lines))
    return 0 if all("problem" not in answer for answer in answers) else 1


async def _status(args: argparse.Namespace) -> int:
    try:
        code = StatusCode(args.code)
    except ValueError:
        known = ", ".join(item.value for item in StatusCode)
        raise CommandError(f"Unknown status code {args.code!r}; known codes: {known}.") from None
    organ_id = _option(args, "organ_id", "AXIS_ORGAN_ID")
    async with _client(args) as client:
        try:
            document = parse(await client.get(args.id))
        except EnvelopeError as error:
            raise CommandError(f"Message {args.id} cannot be read: {error.message}") from None
        if not isinstance(document, Document):
            raise CommandError(f"Message {args.id} is a status, not a document to answer.")
        receipt = compose_receipt(document, Organization(organ_id=organ_id), code, args.description)
        submission = await client.send(_sign_if_asked(args, build(receipt), required=True))
    _print(args, asdict(submission), f"status {code.value} sent: {submission.id}")
    return 0


async def _tracking(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        tracking = await client.tracking(args.id)
    lines = [f"{tracking['id']}  {tracking.get('document_id', '')}"]
    for row in tracking["recipients"]:
        codes = ", ".join(status["code"] for status in row.get("statuses", []))
        lines.append(f"  {row['organ_id']}: {row['transport_state']}  statuses: {codes or '-'}")
    _print(args, tracking, "\n".join(lines))
    return 0
