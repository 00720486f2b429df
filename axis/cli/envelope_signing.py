"""``axis envelope sign`` and ``axis envelope verify``: no server, no database.

``verify`` exits 0 only when the signature is valid and its certificate
chains to a ``--trust`` anchor (so with no ``--trust`` nothing is valid);
exit 1 means checked and found invalid, exit 2 that the command could not run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from axis.errors import CommandError
from signing import SignatureError, SigningAlgorithm, TrustStore, check_signature
from signing.algorithms import DEFAULT_PROFILE, LEGACY_SHA1_PROFILE
from signing.identity import organ_id_hint, subject_text
from signing.keys import KeyMismatchError, as_signing_key
from signing.signer import UnsignableDocumentError, sign
from signing.trust import load_certificates

EXIT_INVALID = 1


def _read(path: str, what: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read the {what} {path}: {error.strerror}") from error


def _sign(args: argparse.Namespace) -> int:
    try:
        key = as_signing_key(
            serialization.load_pem_private_key(_read(args.key, "key"), password=None)
        )
    except (ValueError, TypeError, KeyMismatchError) as error:
        raise CommandError(f"{args.key} is not an unencrypted RSA or EC private key") from error
    try:
        certificate, *intermediates = load_certificates(_read(args.cert, "certificate"))
    except ValueError as error:
        raise CommandError(f"{args.cert} holds no PEM certificate") from error
    try:
        signed = sign(
            _read(args.file, "document"),
            key,
            certificate,
            algorithm=SigningAlgorithm(args.algorithm),
            exclusive_c14n=args.c14n == "exclusive",
            intermediates=intermediates,
        )
    except (UnsignableDocumentError, KeyMismatchError) as error:
        raise CommandError(f"cannot sign {args.file}: {error}") from error
    if args.output and args.output != "-":
        Path(args.output).write_bytes(signed)
    else:
        sys.stdout.buffer.write(signed)
    return 0


def _trust(args: argparse.Namespace) -> TrustStore:
    # The same loader as the server's trust (signing.TrustStore.from_pem), from files.
    anchors = [_read(path, "trust anchor") for path in args.trust]
    crls = [_read(path, "CRL") for path in args.crl]
    try:
        return TrustStore.from_pem(anchors, crls=crls)
    except ValueError as error:
        raise CommandError(
            f"the trust anchors ({', '.join(args.trust) or 'none'}) must be PEM certificates "
            f"and the CRLs ({', '.join(args.crl) or 'none'}) PEM or DER: {error}"
        ) from error


def _short(uri: str) -> str:
    return uri.rsplit("#", 1)[-1]


def _verify(args: argparse.Namespace) -> int:
    data = _read(args.file, "document")
    trust = _trust(args)
    report: dict[str, Any] = dict.fromkeys(
        ("signer_subject", "organ_id_hint", "algorithm", "digest", "error")
    )
    report["valid"] = False
    try:
        checked = check_signature(
            data, profile=LEGACY_SHA1_PROFILE if args.allow_sha1 else DEFAULT_PROFILE
        )
        report.update(
            signer_subject=subject_text(checked.certificate),
            organ_id_hint=organ_id_hint(checked.certificate),
            algorithm=_short(checked.signature_algorithm),
            digest=checked.digest,
        )
        trust.check(checked.certificate, None, checked.presented)
        report["valid"] = True
    except SignatureError as error:
        report["error"] = {"code": error.code, "message": error.message}
    valid = bool(report.pop("valid"))
    if args.json:
        print(json.dumps({"valid": valid, **report}, ensure_ascii=False))
    elif valid:
        print(f"valid: signed by {report['signer_subject']} with {report['algorithm']}")
        print(f"digest: {report['digest']}")
    else:
        refusal = report["error"]
        print(f"axis: invalid signature ({refusal['code']}): {refusal['message']}", file=sys.stderr)
    return 0 if valid else EXIT_INVALID


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds ``sign`` and ``verify`` to the ``axis envelope`` group."""
    signer = subparsers.add_parser("sign", help="add the enveloped XML signature")
    signer.add_argument("--key", required=True, help="the signer's private key (PEM)")
    signer.add_argument(
        "--cert", required=True, help="the signer's certificate (PEM), intermediates after it"
    )
    signer.add_argument(
        "--algorithm",
        # The algorithms cli.md promises, all of which xmlsec1 verifies.
        choices=("rsa-sha256", "ecdsa-sha256", "rsa-sha1"),
        default=SigningAlgorithm.RSA_SHA256.value,
    )
    signer.add_argument("--c14n", choices=("exclusive", "inclusive"), default="exclusive")
    signer.add_argument("file", metavar="FILE", help="the edXML document ('-' for stdin)")
    signer.add_argument("-o", "--output", metavar="OUT", help="where to write (stdout)")
    signer.set_defaults(handler=_sign)

    verifier = subparsers.add_parser(
        "verify", help="verify the signature and its certificate (exit 0 only when valid)"
    )
    verifier.add_argument("file", metavar="FILE", help="the signed edXML document ('-' for stdin)")
    verifier.add_argument(
        "--trust", action="append", default=[], metavar="CA.pem", help="a trusted CA (repeatable)"
    )
    verifier.add_argument(
        "--crl", action="append", default=[], metavar="CRL", help="a CRL, PEM or DER (repeatable)"
    )
    verifier.add_argument("--allow-sha1", action="store_true", help="accept legacy rsa-sha1")
    verifier.add_argument("--json", action="store_true", help="print one JSON document")
    verifier.set_defaults(handler=_verify)
