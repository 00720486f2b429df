"""``axis hold``: legal holds, which keep a document and what is linked to it from purge.

``place ID --reason TEXT`` holds a document (its revocations, updates,
replacements and statuses with it); ``lift ID --reason TEXT`` ends the
hold; ``list`` shows the active ones. Both changes are audited with the
reason. Exit 0 when done, 2 with one sentence when refused.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from axis.boundary import MESSAGE_ID
from axis.cli.agency import open_pool
from axis.cli.options import TEXT_ARGUMENT, add_database_options, add_json_option, text_of
from axis.retention import holds

ACTOR = "operator"
_MESSAGE_ID = text_of(MESSAGE_ID)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser("hold", help="legal holds: nothing held is purged")
    commands = group.add_subparsers(dest="hold_command", required=True)
    for name, handler, text in (
        ("place", _place, "hold a document and the documents and statuses linked to it"),
        ("lift", _lift, "lift a document's hold (kept on record)"),
    ):
        command = commands.add_parser(name, help=text)
        add_database_options(command)
        add_json_option(command)
        command.add_argument("message_id", metavar="ID", type=_MESSAGE_ID, help="the message id")
        command.add_argument("--reason", required=True, type=TEXT_ARGUMENT, help="why (audited)")
        command.set_defaults(handler=handler)
    listing = commands.add_parser("list", help="the active holds")
    add_database_options(listing)
    add_json_option(listing)
    listing.set_defaults(handler=_list)


async def _place(args: argparse.Namespace) -> int:
    async with open_pool(args) as (_, pool):
        placed = await holds.place(pool, args.message_id, args.reason, ACTOR, datetime.now(UTC))
    if args.json:
        print(json.dumps({"id": args.message_id, "held": True, "placed": placed}))
    else:
        print(f"{args.message_id} is held" + ("" if placed else " (it already was)"))
    return 0


async def _lift(args: argparse.Namespace) -> int:
    async with open_pool(args) as (_, pool):
        await holds.lift(pool, args.message_id, args.reason, ACTOR, datetime.now(UTC))
    if args.json:
        print(json.dumps({"id": args.message_id, "held": False}))
    else:
        print(f"{args.message_id} is no longer held")
    return 0


async def _list(args: argparse.Namespace) -> int:
    async with open_pool(args) as (_, pool):
        active = await holds.active(pool)
    if args.json:
        items = [
            {"id": h.message_id, "sender": h.sender_id, "document_id": h.document_id,
             "reason": h.reason, "placed_by": h.placed_by, "placed_at": h.placed_at.isoformat()}
            for h in active
        ]  # fmt: skip
        print(json.dumps({"items": items}, ensure_ascii=False))
        return 0
    if not active:
        print("no documents are held")
    for h in active:
        print(
            f"{h.message_id}\t{h.sender_id}\t{h.document_id}\t{h.placed_at.isoformat()}\t{h.reason}"
        )
    return 0
