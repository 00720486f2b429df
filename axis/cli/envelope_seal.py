"""``axis envelope verify-seal`` and ``axis envelope seal-certificate``: check the axis's seal.

A message an agency in transition sent without an XML signature reaches its
recipients with the axis's seal (the inbox item's ``signature.seal``, a JWS).
``verify-seal`` checks it offline against the axis's certificate, pinned by
the verifier (``--certificate`` file or ``--fingerprint``): exit 0 when the
axis sealed exactly these bytes, 1 when checked and found wrong, 2 when the
command could not run. ``seal-certificate`` prints this axis's certificate
(run it on the axis host, with its settings) for operators to publish.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from axis.cli.options import settings_from
from axis.errors import CommandError
from axis.intake.sealing import seal_key_for
from signing.seal import SealError, load_certificate, read_seal, verify_seal

EXIT_INVALID = 1


def _read(path: str, what: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read the {what} {path}: {error.strerror}") from error


def _pinned_certificate(args: argparse.Namespace, seal: str) -> x509.Certificate:
    """The axis certificate the verifier trusts: its file, or the seal's own ``x5c`` when
    its SHA-256 equals the ``--fingerprint`` the verifier obtained from the operator."""
    if args.certificate:
        return load_certificate(_read(args.certificate, "certificate"))
    header, _ = read_seal(seal)
    chain = header.get("x5c")
    if not isinstance(chain, list) or not chain:
        raise SealError("The seal carries no certificate (x5c); pass --certificate.")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
    except ValueError:
        raise SealError("The seal's x5c certificate cannot be read.") from None
    found = certificate.fingerprint(hashes.SHA256()).hex()
    wanted = args.fingerprint.replace(":", "").lower()
    if not hmac.compare_digest(found, wanted):
        raise SealError(
            f"The seal's certificate has SHA-256 {found}, not the pinned {wanted}: "
            "it was not made by this axis."
        )
    return certificate


def _verify_seal(args: argparse.Namespace) -> int:
    data = _read(args.file, "envelope")
    seal = _read(args.seal, "seal").decode("ascii", "replace").strip()
    try:
        claims = verify_seal(seal, data, _pinned_certificate(args, seal))
    except SealError as error:
        if args.json:
            print(json.dumps({"valid": False, "code": error.code, "reason": error.message}))
        else:
            print(f"{args.file}: seal NOT valid: {error.message}")
        return EXIT_INVALID
    shown = {"valid": True, "signature_state": "sealed", **claims.payload()}
    if args.json:
        print(json.dumps(shown, ensure_ascii=False))
    else:
        print(
            f"{args.file}: sealed by the axis, NOT signed by its sender: received from "
            f"{claims.agency} by {claims.channel} ({claims.authenticated_by}) at "
            f"{claims.sealed_at.isoformat()}, message {claims.message_id}, "
            f"XML signature: {claims.xml_signature}"
        )
    return 0


def _seal_certificate(args: argparse.Namespace) -> int:
    key = seal_key_for(settings_from(args, "seal_key_file"))
    if args.json:
        shown = {"fingerprint": key.fingerprint, "pem": key.certificate_pem().decode()}
        print(json.dumps(shown))
    else:
        sys.stdout.write(key.certificate_pem().decode())
        print(f"# SHA-256 {key.fingerprint}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verify = subparsers.add_parser(
        "verify-seal", help="check the axis's seal over an envelope it accepted unsigned"
    )
    verify.add_argument("file", metavar="FILE", help="the envelope as fetched ('-': stdin)")
    verify.add_argument("--seal", required=True, metavar="FILE", help="the seal (JWS) file")
    pin = verify.add_mutually_exclusive_group(required=True)
    pin.add_argument("--certificate", metavar="PEM", help="the axis's seal certificate")
    pin.add_argument("--fingerprint", metavar="SHA256", help="its SHA-256 fingerprint (hex)")
    verify.add_argument("--json", action="store_true", help="print one JSON document")
    verify.set_defaults(handler=_verify_seal)

    certificate = subparsers.add_parser(
        "seal-certificate", help="print this axis's seal certificate (PEM) to publish"
    )
    certificate.add_argument("--data-dir", type=Path, help="data folder (default: ./.axis)")
    certificate.add_argument("--seal-key-file", type=Path, help="the seal key (PKCS#8 PEM)")
    certificate.add_argument("--database-url", help="external PostgreSQL URL (names the mode)")
    certificate.add_argument("--json", action="store_true", help="print one JSON document")
    certificate.set_defaults(handler=_seal_certificate)
