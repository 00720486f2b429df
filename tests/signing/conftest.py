"""Shared credentials for the signing tests: made once per session (RSA keygen is slow)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from signing import CertificateAuthority, IssuedCredential, SigningAlgorithm, TrustStore, sign
from signing.credentials import cached_key

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DOCUMENT = (SAMPLES / "document-new-unsigned.edxml").read_bytes()
STATUS = (SAMPLES / "status-03-unsigned.edxml").read_bytes()


def with_attachment(data: bytes, payload: bytes, name: str = "extra.pdf") -> bytes:
    """The sample document with one more attachment (base64 of ``payload``)."""
    encoded = base64.b64encode(payload).decode("ascii")
    attachment = (
        "  <Attachment>"
        "<ContentId>cid:extra</ContentId>"
        f"<AttachmentName>{name}</AttachmentName>"
        "<ContentType>application/pdf</ContentType>"
        f"<ContentTransferEncoded>{encoded}</ContentTransferEncoded>"
        "</Attachment>\n  "
    ).encode()
    closing = data.rindex(b"</AttachmentEncoded>")
    return data[:closing] + attachment + data[closing:]


def pem(obj: object) -> bytes:
    if isinstance(obj, IssuedCredential):
        return obj.certificate.public_bytes(serialization.Encoding.PEM)
    raise TypeError(obj)


def key_pem(credential: IssuedCredential) -> bytes:
    return credential.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class Pki:
    ca: CertificateAuthority
    rsa: IssuedCredential
    ecdsa: IssuedCredential
    other: IssuedCredential
    expired: IssuedCredential
    future: IssuedCredential
    no_signing: IssuedCredential
    foreign_ca: CertificateAuthority
    foreign: IssuedCredential

    def trust(self) -> TrustStore:
        return TrustStore([self.ca.certificate])


@pytest.fixture(scope="session")
def pki() -> Pki:
    ca = CertificateAuthority.create(key=cached_key("ecdsa", 100))
    foreign_ca = CertificateAuthority.create(key=cached_key("ecdsa", 101), name="Some other CA")
    long_ago = datetime.now(UTC) - timedelta(days=400)
    return Pki(
        ca=ca,
        rsa=ca.issue("000.00.00.G22", key=cached_key("rsa", 0), name="Văn phòng Chính phủ"),
        ecdsa=ca.issue("000.00.00.H41", key=cached_key("ecdsa", 0)),
        other=ca.issue("000.00.00.H53", key=cached_key("rsa", 1)),
        expired=ca.issue("000.00.01.H53", key=cached_key("rsa", 0), not_before=long_ago, days=30),
        future=ca.issue(
            "000.00.02.H53",
            key=cached_key("rsa", 0),
            not_before=datetime.now(UTC) + timedelta(days=2),
        ),
        no_signing=ca.issue("000.00.03.H53", key=cached_key("rsa", 0), signer=False),
        foreign_ca=foreign_ca,
        foreign=foreign_ca.issue("000.00.00.G22", key=cached_key("rsa", 0)),
    )


Signer = Callable[..., bytes]


@pytest.fixture(scope="session")
def signed(pki: Pki) -> Signer:
    """Signs the sample document (or ``data``) with the RSA agency unless told otherwise."""

    def make(
        data: bytes = DOCUMENT,
        credential: IssuedCredential | None = None,
        algorithm: SigningAlgorithm = SigningAlgorithm.RSA_SHA256,
        exclusive_c14n: bool = True,
    ) -> bytes:
        credential = credential or (
            pki.ecdsa if algorithm is SigningAlgorithm.ECDSA_SHA256 else pki.rsa
        )
        return sign(
            data,
            credential.private_key,
            credential.certificate,
            algorithm=algorithm,
            exclusive_c14n=exclusive_c14n,
        )

    return make
