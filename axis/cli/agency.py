"""``axis agency``: register agencies, list and show them, suspend, add certificates.

Every command applies pending migrations first (harmless when up to date),
so a fresh data folder works without a separate ``axis migrate``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from axis.cli.options import add_database_options, add_json_option, settings_from
from axis.errors import CommandError
from axis.registry import allowances
from axis.registry.agencies import AgencyCertificate, Registry
from axis.registry.secret_box import secret_box_for
from axis.settings import Settings
from axis.storage import database, migrator
from axis.storage.database import Pool


@contextlib.asynccontextmanager
async def open_pool(args: argparse.Namespace) -> AsyncIterator[tuple[Settings, Pool]]:
    """The settings and a small migrated pool for one command."""
    settings = settings_from(args)
    async with database.database_url(settings) as url:
        connection = await database.connect(url)
        try:
            await migrator.migrate(connection)
        finally:
            await connection.close()
        pool = await database.create_pool(url, 2)
        try:
            yield settings, pool
        finally:
            await pool.close()


@contextlib.asynccontextmanager
async def open_registry(args: argparse.Namespace) -> AsyncIterator[Registry]:
    async with open_pool(args) as (settings, pool):
        yield Registry(pool, secret_box_for(settings))


def read_file(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"The {what} file {path!r} cannot be read: {error.strerror}.") from None


def certificate_json(certificate: AgencyCertificate) -> dict[str, Any]:
    return {
        "fingerprint": certificate.fingerprint,
        "subject": certificate.subject,
        "not_before": certificate.not_before.isoformat(),
        "not_after": certificate.not_after.isoformat(),
    }


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    agency = subparsers.add_parser("agency", help="the agency registry")
    commands = agency.add_subparsers(dest="agency_command", required=True)

    add = commands.add_parser("add", help="register an agency and print its credentials once")
    add.add_argument("organ_id", metavar="ORGAN_ID")
    add.add_argument("--name", required=True)
    add.add_argument("--parent", metavar="ORGAN_ID", help="default: derived from the OrganId")
    add.add_argument(
        "--cert", action="append", default=[], metavar="PEM", help="signing certificate file"
    )
    add.add_argument("--endpoint", metavar="URL", help="push endpoint (without it: pull)")
    add.add_argument("--legacy-sha1", action="store_true", help="accept RSA-SHA1 signatures")
    add.add_argument("--system-id", metavar="ID", help="VXP systemId (default: the OrganId)")
    add.set_defaults(handler=_add)

    listing = commands.add_parser("list", help="list agencies in OrganId order")
    listing.add_argument("--parent", metavar="ORGAN_ID")
    listing.add_argument("--q", default="", help="OrganId or name prefix")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--cursor", help="next_cursor of the previous page")
    listing.set_defaults(handler=_list)

    show = commands.add_parser("show", help="one agency and its certificates (never its secret)")
    show.add_argument("organ_id", metavar="ORGAN_ID")
    show.set_defaults(handler=_show)

    changes = []
    for name, active in (("suspend", False), ("resume", True)):
        change = commands.add_parser(name, help=f"{name} an agency")
        change.add_argument("organ_id", metavar="ORGAN_ID")
        change.set_defaults(handler=_set_active, active=active)
        changes.append(change)

    setting = commands.add_parser("set", help="change an agency's settings")
    setting.add_argument("organ_id", metavar="ORGAN_ID")
    setting.add_argument(
        "--requests-per-minute",
        required=True,
        type=_allowance,
        metavar="N|default",
        help="its own fleet-wide allowance (busy ministries); 'default' for the axis's",
    )
    setting.set_defaults(handler=_set)
    changes.append(setting)

    cert = commands.add_parser("cert", help="agency signing certificates")
    cert_commands = cert.add_subparsers(dest="cert_command", required=True)
    cert_add = cert_commands.add_parser("add", help="add a signing certificate to an agency")
    cert_add.add_argument("organ_id", metavar="ORGAN_ID")
    cert_add.add_argument("pem", metavar="PEM")
    cert_add.set_defaults(handler=_cert_add)

    for parser in (add, listing, show, cert_add, *changes):
        add_database_options(parser)
        add_json_option(parser)


async def _add(args: argparse.Namespace) -> int:
    certificates = [read_file(path, "certificate") for path in args.cert]
    async with open_registry(args) as registry:
        credentials = await registry.add(
            args.organ_id,
            args.name,
            parent_id=args.parent,
            endpoint_url=args.endpoint,
            legacy_sha1=args.legacy_sha1,
            system_id=args.system_id,
            certificates=certificates,
        )
    shown = {
        "organ_id": credentials.organ_id,
        "system_id": credentials.system_id,
        "secret": credentials.secret,
    }
    if args.json:
        print(json.dumps(shown))
    else:
        for key, value in shown.items():
            print(f"{key:<10} {value}")
        print("The secret is shown only now: hand it to the agency over a safe channel.")
    return 0


async def _list(args: argparse.Namespace) -> int:
    async with open_registry(args) as registry:
        page = await registry.directory(
            q=args.q,
            parent_id=args.parent,
            limit=args.limit,
            cursor=args.cursor,
            include_suspended=True,
        )
    if args.json:
        items = [agency.as_json() for agency in page.items]
        print(json.dumps({"items": items, "next_cursor": page.next_cursor}, ensure_ascii=False))
        return 0
    for agency in page.items:
        state = "active" if agency.active else "suspended"
        print(f"{agency.organ_id:<24} {agency.delivery_mode:<5} {state:<9} {agency.name}")
    if page.next_cursor:
        print(f"(more: --cursor {page.next_cursor})")
    return 0


async def _show(args: argparse.Namespace) -> int:
    async with open_registry(args) as registry:
        agency = await registry.require(args.organ_id)
        certificates = await registry.certificates(args.organ_id)
    shown = {**agency.as_json(), "certificates": [certificate_json(c) for c in certificates]}
    if args.json:
        print(json.dumps(shown, ensure_ascii=False))
        return 0
    for key, value in shown.items():
        if key != "certificates":
            print(f"{key:<14} {'' if value is None else value}")
    for certificate in certificates:
        print(
            f"certificate    {certificate.fingerprint} {certificate.subject} "
            f"(valid {certificate.not_before:%Y-%m-%d} to {certificate.not_after:%Y-%m-%d})"
        )
    return 0


async def _set_active(args: argparse.Namespace) -> int:
    async with open_registry(args) as registry:
        await registry.set_active(args.organ_id, args.active)
    state = "active" if args.active else "suspended"
    if args.json:
        print(json.dumps({"organ_id": args.organ_id, "active": args.active}))
    else:
        print(f"{args.organ_id} is {state}")
    return 0


def _allowance(text: str) -> int | None:
    if text.strip().lower() == "default":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number or 'default', not {text!r}"
        ) from None
    if not 1 <= value <= allowances.MAX_REQUESTS_PER_MINUTE:
        raise argparse.ArgumentTypeError(
            f"must be from 1 to {allowances.MAX_REQUESTS_PER_MINUTE}, not {value}"
        )
    return value


async def _set(args: argparse.Namespace) -> int:
    async with open_pool(args) as (_, pool):
        await allowances.set_allowance(pool, args.organ_id, args.requests_per_minute)
    shown = "default" if args.requests_per_minute is None else args.requests_per_minute
    if args.json:
        print(json.dumps({"organ_id": args.organ_id, "requests_per_minute": shown}))
    else:
        print(f"{args.organ_id} may make {shown} requests per minute")
    return 0


async def _cert_add(args: argparse.Namespace) -> int:
    pem = read_file(args.pem, "certificate")
    async with open_registry(args) as registry:
        fingerprint = await registry.add_certificate(args.organ_id, pem)
    if args.json:
        print(json.dumps({"organ_id": args.organ_id, "fingerprint": fingerprint}))
    else:
        print(f"added certificate {fingerprint} to {args.organ_id}")
    return 0
