"""``axis peer``: other axes this one relays to (federation.md, "Command line").

``add`` registers a peer and prints, once, the secret it must present when
it calls this axis; ``set-secret`` stores the one it issued to this axis;
``sync`` copies peers' directories now (the background task does it hourly).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from axis.cli.agency import open_pool
from axis.cli.options import add_database_options, add_json_option
from axis.errors import CommandError
from axis.process.composition import directory_sources
from axis.registry.directory_sync import sync_peer
from axis.registry.peers import Peer, PeerProtocol, Peers
from axis.registry.secret_box import secret_box_for


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    peer = subparsers.add_parser("peer", help="peer axes this one relays to")
    commands = peer.add_subparsers(dest="peer_command", required=True)

    add = commands.add_parser("add", help="register a peer axis and print its secret once")
    add.add_argument("name", metavar="NAME", help="the peer's AXIS_NAME")
    add.add_argument("--url", required=True, help="the peer's base URL")
    add.add_argument(
        "--serves",
        action="append",
        required=True,
        metavar="PATTERN",
        help="OrganIds it serves: `*` for one segment (*.*.*.H53), a lone `*` for all; repeatable",
    )
    add.add_argument(
        "--protocol", choices=[str(p) for p in PeerProtocol], default=str(PeerProtocol.NATIVE)
    )
    add.add_argument("--system-id", metavar="ID", help="the systemId presented to a VXP peer")
    add.set_defaults(handler=_add)

    secret = commands.add_parser(
        "set-secret", help="the secret this axis presents to NAME (the one NAME issued)"
    )
    secret.add_argument("name", metavar="NAME")
    secret.add_argument("secret", metavar="SECRET")
    secret.set_defaults(handler=_set_secret)

    listing = commands.add_parser("list", help="peers, their patterns and last directory sync")
    listing.set_defaults(handler=_list)

    remove = commands.add_parser("remove", help="forget a peer (its history stays)")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=_remove)

    sync = commands.add_parser("sync", help="copy every peer's directory now, or NAME's")
    sync.add_argument("name", metavar="NAME", nargs="?")
    sync.set_defaults(handler=_sync)

    for parser in (add, secret, listing, remove, sync):
        add_database_options(parser)
        add_json_option(parser)


async def _add(args: argparse.Namespace) -> int:
    async with open_pool(args) as (settings, pool):
        peers = Peers(pool, secret_box_for(settings))
        peer, secret = await peers.add_peer(
            args.name,
            args.url,
            args.serves,
            protocol=args.protocol,
            system_id=args.system_id,
        )
    if args.json:
        print(json.dumps({"name": peer.name, "secret": secret}))
    else:
        print(f"{'name':<7} {peer.name}")
        print(f"{'secret':<7} {secret}")
        print(
            f"The secret is shown only now: on {peer.name}, run "
            f"'axis peer set-secret {settings.name} SECRET' with it."
        )
    return 0


async def _set_secret(args: argparse.Namespace) -> int:
    async with open_pool(args) as (settings, pool):
        await Peers(pool, secret_box_for(settings)).set_outbound_secret(args.name, args.secret)
    _done(args, {"name": args.name, "outbound_secret_set": True}, f"secret set for {args.name}")
    return 0


async def _list(args: argparse.Namespace) -> int:
    async with open_pool(args) as (settings, pool):
        listed = await Peers(pool, secret_box_for(settings)).list_peers()
    if args.json:
        print(json.dumps({"items": [peer.as_json() for peer in listed]}, ensure_ascii=False))
        return 0
    for peer in listed:
        print(_line(peer))
    if not listed:
        print("no peer is registered")
    return 0


def _line(peer: Peer) -> str:
    synced = peer.directory_synced_at
    sync = "never synced" if synced is None else f"synced {synced:%Y-%m-%d %H:%M} UTC"
    secret = "" if peer.outbound_secret is not None else ", no secret set"
    serves = " ".join(pattern.text for pattern in peer.patterns)
    return (
        f"{peer.name:<16} {peer.protocol:<6} {peer.url}  serves {serves}  "
        f"({sync}, {peer.directory_size} agencies{secret})"
    )


async def _remove(args: argparse.Namespace) -> int:
    async with open_pool(args) as (settings, pool):
        await Peers(pool, secret_box_for(settings)).remove_peer(args.name)
    _done(args, {"name": args.name, "removed": True}, f"removed peer {args.name}")
    return 0


async def _sync(args: argparse.Namespace) -> int:
    async with open_pool(args) as (settings, pool):
        peers = Peers(pool, secret_box_for(settings))
        if args.name is not None:
            chosen = [await peers.require(args.name)]
        else:
            chosen = [peer for peer in await peers.list_peers() if peer.outbound_secret]
            if not chosen:
                raise CommandError("No peer has a secret set yet (axis peer set-secret).")
        sources = directory_sources(settings)
        counts = {
            peer.name: await sync_peer(
                peers, peer, sources, own_name=settings.name, actor="operator"
            )
            for peer in chosen
        }
    shown = [{"name": name, "agencies": count} for name, count in counts.items()]
    lines = "\n".join(f"synced {name}: {count} agencies" for name, count in counts.items())
    _done(args, {"items": shown}, lines)
    return 0


def _done(args: argparse.Namespace, shown: dict[str, Any], text: str) -> None:
    print(json.dumps(shown, ensure_ascii=False) if args.json else text)
