"""The ``axis`` command line.

Each command group lives in its own module exposing ``register(subparsers)``;
this module only assembles them and turns refusals into one sentence on
stderr and a non-zero exit code. A handler takes the parsed arguments and
returns an exit code, or a coroutine that returns one.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
from collections.abc import Sequence

from axis.cli import (
    agency,
    archive,
    audit,
    bench,
    client,
    deliveries,
    envelope_inspect,
    envelope_seal,
    envelope_signing,
    holds,
    pki,
    server,
    stats,
    trust,
    users,
)
from axis.errors import AxisError

EXIT_REFUSED = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="axis", description="The inter-agency electronic document exchange axis."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    server.register(commands)
    agency.register(commands)
    audit.register(commands)
    archive.register(commands)
    holds.register(commands)
    trust.register(commands)
    deliveries.register(commands)
    stats.register(commands)
    pki.register(commands)
    users.register(commands)
    client.register(commands)
    bench.register(commands)
    envelope = commands.add_parser("envelope", help="edXML envelope tools (no server needed)")
    envelope_commands = envelope.add_subparsers(dest="envelope_command", required=True)
    envelope_inspect.register(envelope_commands)
    envelope_signing.register(envelope_commands)
    envelope_seal.register(envelope_commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        # Inside: an argument the boundary refuses (axis.boundary) is one sentence too.
        args = parser.parse_args(argv)
        outcome = args.handler(args)
        if inspect.iscoroutine(outcome):
            outcome = asyncio.run(outcome)
        return int(outcome)
    except AxisError as error:
        print(f"axis: {error.message}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130
