"""``axis audit verify``: walks the hash-chained audit log.

Exits 0 when every sealed row follows the one before it; otherwise refuses
(exit 2) naming the first row that was changed, inserted, reordered or that
follows a removed row. Either way it says how far sealing lags: how many
entries wait for the sealer, and for how long the oldest has.
"""

from __future__ import annotations

import argparse
import json

from axis.audit import chain as audit
from axis.audit import sealer
from axis.cli.agency import open_pool
from axis.cli.options import add_database_options, add_json_option
from axis.errors import CommandError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser("audit", help="the hash-chained audit log")
    commands = group.add_subparsers(dest="audit_command", required=True)
    verify = commands.add_parser(
        "verify", help="walk the chain; exit non-zero naming the first changed or removed row"
    )
    add_database_options(verify)
    add_json_option(verify)
    verify.set_defaults(handler=_verify)


async def _verify(args: argparse.Namespace) -> int:
    async with open_pool(args) as (_, pool), pool.acquire() as connection:
        report = await audit.verify_chain(connection)
        state = await sealer.status(connection)
    age = report.oldest_unsealed_age
    if args.json:
        print(
            json.dumps(
                {
                    "intact": report.intact,
                    "rows_checked": report.rows_checked,
                    "first_broken_id": report.first_broken_id,
                    "reason": report.reason,
                    "unsealed": report.unsealed,
                    "oldest_unsealed_seconds": None if age is None else age.total_seconds(),
                    "sealer": state.holder,
                    "last_sealed_at": state.sealed_at and state.sealed_at.isoformat(),
                }
            )
        )
    if not report.intact:
        raise CommandError(f"The audit chain is broken: {report.reason}.")
    if not args.json:
        print(f"The audit chain is intact ({report.rows_checked} rows checked).")
        lag = "" if age is None else f", the oldest for {age.total_seconds():.1f} s"
        holder = state.holder or "none yet"
        print(f"{report.unsealed} entries wait to be sealed{lag} (sealer: {holder}).")
    return 0
