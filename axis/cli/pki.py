"""``axis pki``: a development CA, agency credentials and a CRL.

FOR DEMOS AND TESTS ONLY: keys are written unencrypted and the CA's subject
says it is a development CA. Never issue or keep production keys with it.
"""

from __future__ import annotations

import argparse
import json

from axis.errors import CommandError
from signing.devpki import DevelopmentPki, PkiError

_WARNING = "Development PKI for demos and tests only: never for production keys."


def _init(args: argparse.Namespace) -> int:
    try:
        pki = DevelopmentPki.init(args.dir)
    except (PkiError, OSError) as error:
        raise CommandError(f"cannot create the development CA: {error}") from error
    _print(args, {"ca": str(pki.ca_path), "crl": str(pki.crl_path)})
    return 0


def _issue(args: argparse.Namespace) -> int:
    if args.days < 1:
        raise CommandError("--days must be at least 1")
    try:
        issued = DevelopmentPki.open(args.dir).issue(
            args.organ_id, algorithm=args.algorithm, name=args.name, days=args.days
        )
    except (PkiError, OSError, ValueError) as error:
        raise CommandError(f"cannot issue a certificate for {args.organ_id}: {error}") from error
    _print(
        args,
        {
            "organ_id": issued.organ_id,
            "key": str(issued.key_path),
            "cert": str(issued.cert_path),
            "serial": f"{issued.certificate.serial_number:x}",
            "not_after": issued.certificate.not_valid_after_utc.isoformat(),
        },
    )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    try:
        pki = DevelopmentPki.open(args.dir)
        serial = pki.revoke(args.organ_id)
    except (PkiError, OSError) as error:
        raise CommandError(f"cannot revoke {args.organ_id}: {error}") from error
    _print(args, {"organ_id": args.organ_id, "serial": f"{serial:x}", "crl": str(pki.crl_path)})
    return 0


def _print(args: argparse.Namespace, fields: dict[str, str]) -> None:
    if args.json:
        print(json.dumps(fields))
    else:
        for name, value in fields.items():
            print(f"{name}: {value}")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the ``pki`` command group."""
    pki = subparsers.add_parser(
        "pki",
        help="development CA and agency certificates (demos and tests only)",
        description=_WARNING,
    )
    commands = pki.add_subparsers(dest="pki_command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=help_text, description=f"{help_text}. {_WARNING}")
        parser.add_argument("--dir", required=True, help="the development PKI folder")
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        return parser

    init = command("init", "create a development CA and an empty CRL")
    init.set_defaults(handler=_init)

    issue = command("issue", "issue an agency key and certificate")
    issue.add_argument("organ_id", metavar="ORGAN_ID")
    issue.add_argument("--algorithm", choices=("rsa", "ecdsa"), default="rsa")
    issue.add_argument("--name", help="the agency name for the certificate's CN")
    issue.add_argument("--days", type=int, default=365, help="validity in days (365)")
    issue.set_defaults(handler=_issue)

    revoke = command("revoke", "revoke an agency's certificate and rewrite the CRL")
    revoke.add_argument("organ_id", metavar="ORGAN_ID")
    revoke.set_defaults(handler=_revoke)
