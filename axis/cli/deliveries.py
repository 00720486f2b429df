"""``axis delivery list|retry|discard``: what operators do with dead deliveries."""

from __future__ import annotations

import argparse
import json

from axis.cli.options import add_database_options, add_json_option, settings_from
from axis.delivery import dead_letters
from axis.errors import CommandError
from axis.storage import database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    delivery = subparsers.add_parser("delivery", help="push deliveries: list, retry, discard")
    commands = delivery.add_subparsers(dest="delivery_command", required=True)

    listing = commands.add_parser("list", help="list deliveries (dead ones by default)")
    add_database_options(listing)
    add_json_option(listing)
    listing.add_argument(
        "--state",
        default="dead",
        choices=(*dead_letters.STATES, "all"),
        help="transport state to list (default dead)",
    )
    listing.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    listing.set_defaults(handler=_list)

    for name, handler, text in (
        ("retry", _retry, "send a dead delivery back to the queue (attempts kept)"),
        ("discard", _discard, "give up on a dead delivery (kept on record, audited)"),
    ):
        command = commands.add_parser(name, help=text)
        add_database_options(command)
        add_json_option(command)
        command.add_argument("delivery_id", metavar="ID", type=int, help="the delivery's id")
        command.set_defaults(handler=handler)


async def _list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CommandError("The --limit must be at least 1.")
    settings = settings_from(args)
    async with database.database_url(settings) as url:
        pool = await database.create_pool(url, 2)
        try:
            state = None if args.state == "all" else args.state
            rows = await dead_letters.list_deliveries(pool, state, 0, args.limit)
        finally:
            await pool.close()
    if args.json:
        print(json.dumps({"items": [row.as_json() for row in rows]}, ensure_ascii=False))
        return 0
    if not rows:
        print(f"no {args.state} deliveries")
        return 0
    for row in rows:
        print(
            f"{row.id}\t{row.transport_state}\t{row.message_id}\t-> {row.recipient_id}"
            f"\tattempts={row.attempts}\t{row.last_error or ''}"
        )
    return 0


async def _change(args: argparse.Namespace, action: str) -> int:
    settings = settings_from(args)
    async with database.database_url(settings) as url:
        pool = await database.create_pool(url, 2)
        try:
            if action == "retry":
                await dead_letters.retry(pool, args.delivery_id)
            else:
                await dead_letters.discard(pool, args.delivery_id)
        except (dead_letters.DeliveryNotFound, dead_letters.DeliveryNotDead) as error:
            raise CommandError(error.message) from None
        finally:
            await pool.close()
    state = "queued" if action == "retry" else "discarded"
    if args.json:
        print(json.dumps({"id": args.delivery_id, "transport_state": state}))
    else:
        print(f"delivery {args.delivery_id} is {state}")
    return 0


async def _retry(args: argparse.Namespace) -> int:
    return await _change(args, "retry")


async def _discard(args: argparse.Namespace) -> int:
    return await _change(args, "discard")
