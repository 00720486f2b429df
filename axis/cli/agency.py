"""``axis agency``: register agencies, list and show them, suspend, add certificates,
and let an agency that cannot sign yet in for a while (``--transition-until``).

Every command applies pending migrations first (harmless when up to date),
so a fresh data folder works without a separate ``axis migrate``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

from axis.cli.options import (
    CURSOR_ARGUMENT,
    ORGAN_ID_ARGUMENT,
    SEARCH_ARGUMENT,
    TEXT_ARGUMENT,
    add_database_options,
    add_json_option,
    settings_from,
)
from axis.errors import CommandError
from axis.intake.sealing import seal_key_for
from axis.registry import allowances, transition
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
    add.add_argument("--name", required=True, type=TEXT_ARGUMENT)
    add.add_argument(
        "--parent",
        metavar="ORGAN_ID",
        help="default: derived from the OrganId",
    )
    add.add_argument(
        "--cert", action="append", default=[], metavar="PEM", help="signing certificate file"
    )
    add.add_argument("--endpoint", metavar="URL", help="push endpoint (without it: pull)")
    add.add_argument("--legacy-sha1", action="store_true", help="accept RSA-SHA1 signatures")
    add.add_argument("--system-id", metavar="ID", help="VXP systemId (default: the OrganId)")
    _add_transition_option(add)
    add.set_defaults(handler=_add)

    listing = commands.add_parser("list", help="list agencies in OrganId order")
    listing.add_argument("--parent", metavar="ORGAN_ID", type=ORGAN_ID_ARGUMENT)
    listing.add_argument("--q", default="", type=SEARCH_ARGUMENT, help="OrganId or name prefix")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--cursor", type=CURSOR_ARGUMENT, help="next_cursor of the previous page")
    listing.set_defaults(handler=_list)

    show = commands.add_parser("show", help="one agency and its certificates (never its secret)")
    show.add_argument("organ_id", metavar="ORGAN_ID", type=ORGAN_ID_ARGUMENT)
    show.set_defaults(handler=_show)

    changes = []
    for name, active in (("suspend", False), ("resume", True)):
        change = commands.add_parser(name, help=f"{name} an agency")
        change.add_argument("organ_id", metavar="ORGAN_ID", type=ORGAN_ID_ARGUMENT)
        change.set_defaults(handler=_set_active, active=active)
        changes.append(change)

    changes.append(_register_set(commands))

    cert = commands.add_parser("cert", help="agency signing certificates")
    cert_commands = cert.add_subparsers(dest="cert_command", required=True)
    cert_add = cert_commands.add_parser("add", help="add a signing certificate to an agency")
    cert_add.add_argument("organ_id", metavar="ORGAN_ID")
    cert_add.add_argument("pem", metavar="PEM")
    cert_add.set_defaults(handler=_cert_add)

    for parser in (add, listing, show, cert_add, *changes):
        add_database_options(parser)
        add_json_option(parser)


def _register_set(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """``axis agency set``: an agency's rate allowance and its transition policy."""
    setting = commands.add_parser(
        "set", help="change an agency's settings: its rate allowance, its transition policy"
    )
    setting.add_argument("organ_id", metavar="ORGAN_ID")
    setting.add_argument(
        "--requests-per-minute",
        type=_allowance,
        # Absent when not given: None already means "back to the axis's default".
        default=argparse.SUPPRESS,
        metavar="N|default",
        help="its own fleet-wide allowance (busy ministries); 'default' for the axis's",
    )
    policy = setting.add_mutually_exclusive_group()
    _add_transition_option(policy)
    policy.add_argument(
        "--no-transition",
        action="store_true",
        help="end the transition now: unsigned envelopes are refused from now on",
    )
    setting.set_defaults(handler=_set)
    return setting


def _transition_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date YYYY-MM-DD, not {text!r}") from None


def _add_transition_option(parser: argparse.ArgumentParser | argparse._ActionsContainer) -> None:
    parser.add_argument(
        "--transition-until",
        type=_transition_date,
        metavar="DATE",
        help="accept envelopes without an XML signature through DATE (YYYY-MM-DD, inclusive), "
        "sealed by the axis and shown as unsigned; off by default",
    )


def _check_until(until: date | None) -> None:
    if until is not None and until < transition.today():
        raise CommandError(f"The transition end date {until.isoformat()} is already past.")


async def _let_in(settings: Settings, pool: Pool, organ_id: str, until: date) -> None:
    _check_until(until)
    # Refused now, not at the agency's first envelope: without a seal key the
    # axis could not seal what the policy lets in.
    seal_key_for(settings)
    await transition.set_transition(pool, organ_id, until)


async def _add(args: argparse.Namespace) -> int:
    certificates = [read_file(path, "certificate") for path in args.cert]
    _check_until(args.transition_until)
    async with open_pool(args) as (settings, pool):
        registry = Registry(pool, secret_box_for(settings))
        credentials = await registry.add(
            args.organ_id,
            args.name,
            parent_id=args.parent,
            endpoint_url=args.endpoint,
            legacy_sha1=args.legacy_sha1,
            system_id=args.system_id,
            certificates=certificates,
        )
        if args.transition_until is not None:
            await _let_in(settings, pool, args.organ_id, args.transition_until)
    shown = {
        "organ_id": credentials.organ_id,
        "system_id": credentials.system_id,
        "secret": credentials.secret,
    }
    if args.transition_until is not None:
        shown["transition_until"] = args.transition_until.isoformat()
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


async def _set_transition(settings: Settings, pool: Pool, args: argparse.Namespace) -> str:
    """Applies --transition-until / --no-transition; returns the sentence that says so."""
    await Registry(pool, secret_box_for(settings)).require(args.organ_id)
    if args.no_transition:
        await transition.clear_transition(pool, args.organ_id)
        return f"{args.organ_id} must sign: envelopes without an XML signature are refused"
    await _let_in(settings, pool, args.organ_id, args.transition_until)
    return (
        f"{args.organ_id} may send envelopes without an XML signature through "
        f"{args.transition_until.isoformat()}; the axis seals them and shows them as unsigned"
    )


async def _show(args: argparse.Namespace) -> int:
    async with open_pool(args) as (settings, pool):
        registry = Registry(pool, secret_box_for(settings))
        agency = await registry.require(args.organ_id)
        certificates = await registry.certificates(args.organ_id)
        policy = await transition.transition_of(pool, args.organ_id)
    shown = {
        **agency.as_json(),
        "transition_until": None if policy is None else policy.until.isoformat(),
        "certificates": [certificate_json(c) for c in certificates],
    }
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
    wants_allowance = hasattr(args, "requests_per_minute")
    wants_transition = args.transition_until is not None or args.no_transition
    if not wants_allowance and not wants_transition:
        raise CommandError(
            "Nothing to change: give --requests-per-minute, --transition-until or --no-transition."
        )
    shown: dict[str, object] = {"organ_id": args.organ_id}
    said = []
    async with open_pool(args) as (settings, pool):
        if wants_allowance:
            await allowances.set_allowance(pool, args.organ_id, args.requests_per_minute)
            allowance = "default" if args.requests_per_minute is None else args.requests_per_minute
            shown["requests_per_minute"] = allowance
            said.append(f"{args.organ_id} may make {allowance} requests per minute")
        if wants_transition:
            said.append(await _set_transition(settings, pool, args))
            until = None if args.no_transition else args.transition_until.isoformat()
            shown["transition_until"] = until
    if args.json:
        print(json.dumps(shown))
    else:
        print("\n".join(said))
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
