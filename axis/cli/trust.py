"""``axis trust`` and ``axis crl``: the CAs agencies' certificates chain to, and revocations."""

from __future__ import annotations

import argparse
import json

from axis.cli.agency import open_pool, read_file
from axis.cli.options import add_database_options, add_json_option
from axis.registry import trust as trust_admin


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trust = subparsers.add_parser("trust", help="trust anchors and intermediate CAs")
    trust_commands = trust.add_subparsers(dest="trust_command", required=True)
    add = trust_commands.add_parser("add", help="add a CA certificate (PEM) to trust")
    add.add_argument("pem", metavar="PEM")
    add.add_argument(
        "--intermediate",
        action="store_true",
        help="an intermediate CA, issued by a configured anchor or intermediate",
    )
    add.set_defaults(handler=_trust_add)
    listing = trust_commands.add_parser("list", help="configured anchors, intermediates, CRLs")
    listing.set_defaults(handler=_trust_list)

    crl = subparsers.add_parser("crl", help="certificate revocation lists")
    crl_commands = crl.add_subparsers(dest="crl_command", required=True)
    crl_add = crl_commands.add_parser(
        "add", help="store a CRL signed by a configured CA (replaces an older one)"
    )
    crl_add.add_argument("crl", metavar="PEM_OR_DER")
    crl_add.set_defaults(handler=_crl_add)

    for parser in (add, listing, crl_add):
        add_database_options(parser)
        add_json_option(parser)


async def _trust_add(args: argparse.Namespace) -> int:
    pem = read_file(args.pem, "certificate")
    async with open_pool(args) as (_, pool):
        added = await trust_admin.add_trust_certificate(pool, pem, intermediate=args.intermediate)
    if args.json:
        print(json.dumps(trust_admin.certificate_json(added), ensure_ascii=False))
    else:
        print(f"added {added.role} {added.subject} ({added.fingerprint})")
    return 0


async def _trust_list(args: argparse.Namespace) -> int:
    async with open_pool(args) as (_, pool):
        certificates = await trust_admin.list_trust_certificates(pool)
        crls = await trust_admin.list_crls(pool)
    if args.json:
        shown = {
            "certificates": [trust_admin.certificate_json(c) for c in certificates],
            "crls": [trust_admin.crl_json(c) for c in crls],
        }
        print(json.dumps(shown, ensure_ascii=False))
        return 0
    for certificate in certificates:
        print(
            f"{certificate.role:<12} {certificate.fingerprint} {certificate.subject} "
            f"(until {certificate.not_after:%Y-%m-%d})"
        )
    for crl in crls:
        print(f"{'crl':<12} {crl.issuer} (issued {crl.this_update:%Y-%m-%d %H:%M:%S} UTC)")
    if not certificates:
        print("no trust anchor is configured: no signed message will be accepted")
    return 0


async def _crl_add(args: argparse.Namespace) -> int:
    data = read_file(args.crl, "revocation list")
    async with open_pool(args) as (_, pool):
        stored = await trust_admin.add_crl(pool, data)
    if args.json:
        print(json.dumps(trust_admin.crl_json(stored), ensure_ascii=False))
    else:
        print(f"stored the revocation list of {stored.issuer} ({stored.revoked} revoked)")
    return 0
