"""``axis archive``: monthly bundles of bodies and proof, and the purge that needs them.

``export --month YYYY-MM --out DIR`` writes one signed bundle for a month
that is over; ``verify BUNDLE`` checks a bundle alone (no database, no
settings) and names the first fault; ``restore BUNDLE`` brings a purged
month's bodies back; ``purge --month YYYY-MM --bundle BUNDLE`` drops the
bodies the retention policy lets go, refusing without a bundle that
verifies unless told ``--without-archive``; ``run`` applies the policy now,
as the daily task does. Each exits 0 when done and 2, with one sentence,
when refused; ``--json`` prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from axis.cli.agency import open_pool
from axis.cli.options import add_database_options, add_json_option
from axis.errors import CommandError
from axis.intake.sealing import seal_key_for
from axis.retention import bundle
from axis.retention.export import export_month
from axis.retention.months import Month
from axis.retention.policy import Policy
from axis.retention.purge import purge_month
from axis.retention.restore import restore
from axis.retention.task import Archiving, run_once

ACTOR = "operator"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser("archive", help="monthly archive bundles, purge and restore")
    commands = group.add_subparsers(dest="archive_command", required=True)

    export = commands.add_parser("export", help="write the signed bundle of a month that is over")
    add_database_options(export)
    add_json_option(export)
    export.add_argument("--month", required=True, type=Month.parse, help="YYYY-MM (UTC)")
    export.add_argument("--out", required=True, type=Path, help="folder to write the bundle to")
    export.set_defaults(handler=_export)

    verify = commands.add_parser(
        "verify", help="check a bundle alone (no database); exit 2 naming the first fault"
    )
    add_json_option(verify)
    verify.add_argument("bundle", type=Path, metavar="BUNDLE", help="the bundle's .tar file")
    verify.set_defaults(handler=_verify)

    restore_command = commands.add_parser(
        "restore", help="bring a purged month's bodies back from its bundle (never overwrites)"
    )
    add_database_options(restore_command)
    add_json_option(restore_command)
    restore_command.add_argument("bundle", type=Path, metavar="BUNDLE")
    restore_command.set_defaults(handler=_restore)

    purge = commands.add_parser(
        "purge", help="drop a month's bodies the policy lets go (needs its verified bundle)"
    )
    add_database_options(purge)
    add_json_option(purge)
    purge.add_argument("--month", required=True, type=Month.parse, help="YYYY-MM (UTC)")
    purge.add_argument("--bundle", type=Path, help="the month's bundle, verified again first")
    purge.add_argument(
        "--without-archive",
        action="store_true",
        help="purge with no bundle: the bodies are gone for good",
    )
    purge.set_defaults(handler=_purge)

    run = commands.add_parser("run", help="apply the retention policy now, as the daily task does")
    add_database_options(run)
    add_json_option(run)
    run.set_defaults(handler=_run)


def _print(args: argparse.Namespace, document: dict[str, Any], text: str) -> None:
    print(json.dumps(document, ensure_ascii=False, default=str) if args.json else text)


async def _export(args: argparse.Namespace) -> int:
    async with open_pool(args) as (settings, pool):
        exported = await export_month(
            pool, args.month, args.out, seal_key_for(settings), now=datetime.now(UTC), actor=ACTOR
        )
    document = {**asdict(exported), "path": str(exported.path),
                "manifest_sha256": exported.manifest_sha256.hex()}  # fmt: skip
    _print(
        args,
        document,
        f"{exported.path}: {exported.messages} messages, {exported.bodies} bodies "
        f"({exported.body_bytes} bytes), {exported.chain_entries} audit entries",
    )
    return 0


def _verify(args: argparse.Namespace) -> int:
    try:
        verified = bundle.verify(args.bundle)
    except bundle.BundleFault as fault:
        if args.json:
            print(json.dumps({"valid": False, "fault": fault.message}, ensure_ascii=False))
        raise CommandError(f"The bundle is not valid: {fault.message}") from None
    document = {
        "valid": True,
        "month": verified.month,
        "key_fingerprint": verified.key_fingerprint,
        "messages": verified.messages,
        "bodies": verified.bodies,
        "body_bytes": verified.body_bytes,
        "chain_entries": verified.chain_entries,
        "manifest_sha256": verified.manifest_sha256.hex(),
    }
    _print(
        args,
        document,
        f"The bundle of {verified.month} is valid: {verified.bodies} bodies match the "
        f"manifest, its signature and chain segment ({verified.chain_entries} entries) hold; "
        f"signed by the axis key {verified.key_fingerprint}.",
    )
    return 0


async def _restore(args: argparse.Namespace) -> int:
    async with open_pool(args) as (settings, pool):
        restored = await restore(
            pool, args.bundle, seal_key_for(settings), now=datetime.now(UTC), actor=ACTOR
        )
    _print(
        args,
        asdict(restored),
        f"{restored.month}: {restored.bodies} bodies restored ({restored.body_bytes} bytes), "
        f"{restored.already_held} were still held",
    )
    return 0


async def _purge(args: argparse.Namespace) -> int:
    if args.bundle is not None and args.without_archive:
        raise CommandError("Give --bundle or --without-archive, not both.")
    async with open_pool(args) as (settings, pool):
        purged = await purge_month(
            pool, args.month, Policy.from_settings(settings), now=datetime.now(UTC),
            actor=ACTOR, bundle_path=args.bundle, without_archive=args.without_archive,
        )  # fmt: skip
    _print(
        args,
        asdict(purged),
        f"{purged.month}: {purged.bodies} bodies purged ({purged.body_bytes} bytes); kept "
        f"{purged.kept_held} held, {purged.kept_unsettled} unsettled, "
        f"{purged.kept_not_due} not yet due",
    )
    return 0


async def _run(args: argparse.Namespace) -> int:
    async with open_pool(args) as (settings, pool):
        archiving = None
        if settings.archive_dir is not None:
            archiving = Archiving(settings.archive_dir, lambda: seal_key_for(settings))
        report = await run_once(
            pool, Policy.from_settings(settings), archiving, now=datetime.now(UTC), holder=ACTOR
        )
    _print(
        args,
        asdict(report),
        f"purged {[p.month for p in report.purged] or 'nothing'}; {report.body_bytes_held} "
        f"body bytes held; next purge {report.next_purge_month or 'not yet known'}"
        + ("" if report.next_purge_at is None else f" from {report.next_purge_at.isoformat()}"),
    )
    return 0
