"""Verifies per second of signed edXML envelopes, beside the raw cost of the same work.

Run: ``python -m benchmarks.verify [--seconds S] [--json]``.

"axis" is :func:`signing.verify` with a warm chain cache, as the broker runs
it. "raw" is the unavoidable work measured in the same run: the hardened
parse, one exclusive C14N of the document and of SignedInfo, one SHA-256 and
one signature verification with the public key already loaded, nothing else.
Rates are 1 / the median time of one call, the two called in turn.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

from envelope.safe_xml import parse_xml
from signing import CertificateAuthority, SigningAlgorithm, TrustStore, sign, verify
from signing.credentials import IssuedCredential

SAMPLE = (
    Path(__file__).resolve().parent.parent / "tests" / "samples" / "document-new-unsigned.edxml"
)
DS = "{http://www.w3.org/2000/09/xmldsig#}"
ED = "{http://www.mic.gov.vn/TBT/QCVN_102_2016}"


def envelope_of_size(size: int) -> bytes:
    """The sample document grown to about ``size`` bytes with one more attachment."""
    base = SAMPLE.read_bytes()
    payload = os.urandom(max(0, (size - len(base) - 400) * 3 // 4))
    attachment = (
        "  <Attachment><ContentId>cid:bench</ContentId>"
        "<AttachmentName>bench.pdf</AttachmentName><ContentType>application/pdf</ContentType>"
        f"<ContentTransferEncoded>{base64.b64encode(payload).decode()}</ContentTransferEncoded>"
        "</Attachment>\n  "
    ).encode()
    closing = base.rindex(b"</AttachmentEncoded>")
    return base[:closing] + attachment + base[closing:]


def raw_verify(data: bytes, public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> None:
    root = parse_xml(data)
    signature = root.find(f"{ED}edXMLEnvelope/{ED}edXMLHeader/{DS}Signature")
    assert signature is not None
    signed_info = etree.tostring(signature[0], method="c14n", exclusive=True)
    digest_value = base64.b64decode(
        signature.findtext(f"{DS}SignedInfo/{DS}Reference/{DS}DigestValue") or ""
    )
    value = base64.b64decode(signature.findtext(f"{DS}SignatureValue") or "")
    signature.getparent().remove(signature)  # type: ignore[union-attr]
    digest = hashlib.sha256(
        etree.tostring(root.getroottree(), method="c14n", exclusive=True)
    ).digest()
    assert digest == digest_value
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(value, signed_info, padding.PKCS1v15(), hashes.SHA256())
    else:
        half = len(value) // 2
        der = encode_dss_signature(int.from_bytes(value[:half]), int.from_bytes(value[half:]))
        public_key.verify(der, signed_info, ec.ECDSA(hashes.SHA256()))


def interleaved_rates(works: dict[str, Callable[[], object]], seconds: float) -> dict[str, float]:
    """Per second for each work, from the median of single calls taken in turn.

    Calling the works alternately, one call each, exposes them to the same
    background load (this machine is shared), and the median ignores the
    calls that a neighbour or a garbage collection happened to slow down.
    """
    for work in works.values():
        for _ in range(5):
            work()
    timings: dict[str, list[int]] = {name: [] for name in works}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for name, work in works.items():
            start = time.perf_counter_ns()
            work()
            timings[name].append(time.perf_counter_ns() - start)
    return {name: 1e9 / statistics.median(values) for name, values in timings.items()}


def measure(
    size: int, credential: IssuedCredential, algorithm: SigningAlgorithm, trust: TrustStore,
    seconds: float,
) -> dict[str, float | int | str]:  # fmt: skip
    data = sign(envelope_of_size(size), credential.private_key, credential.certificate,
                algorithm=algorithm)  # fmt: skip
    public_key = credential.certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    verify(data, trust)
    rates = interleaved_rates(
        {"raw": lambda: raw_verify(data, public_key), "axis": lambda: verify(data, trust)},
        seconds,
    )
    raw, axis = rates["raw"], rates["axis"]
    return {
        "size": len(data),
        "algorithm": algorithm.value,
        "raw_per_s": round(raw, 1),
        "axis_per_s": round(axis, 1),
        "ratio_to_raw": round(axis / raw, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement (2)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    authority = CertificateAuthority.create()
    trust = TrustStore([authority.certificate])
    rsa_agency = authority.issue("000.00.00.G22", algorithm="rsa")
    ec_agency = authority.issue("000.00.00.H41", algorithm="ecdsa")
    results = [
        measure(size, credential, algorithm, trust, args.seconds)
        for size in (20 * 1024, 1024 * 1024)
        for credential, algorithm in (
            (rsa_agency, SigningAlgorithm.RSA_SHA256),
            (ec_agency, SigningAlgorithm.ECDSA_SHA256),
        )
    ]
    if args.json:
        print(json.dumps(results))
        return
    print(f"{'size':>9} {'algorithm':<13} {'raw/s':>9} {'axis/s':>9} {'ratio':>6}")
    for row in results:
        print(f"{row['size']:>9} {row['algorithm']:<13} {row['raw_per_s']:>9} "
              f"{row['axis_per_s']:>9} {row['ratio_to_raw']:>6}")  # fmt: skip


if __name__ == "__main__":
    main()
