"""An in-memory certificate authority for DEVELOPMENT AND TESTS ONLY.

It makes agency keys and certificates in the shape the axis expects (the
OrganId in the subject's UID attribute, CN the agency's name) and revocation
lists. Nothing here is fit for production keys: keys are unencrypted, and
:func:`cached_key` deliberately hands the same key out again to keep test
suites fast.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from signing.identity import is_organ_id
from signing.keys import SigningKey

KeyAlgorithm = Literal["rsa", "ecdsa"]

DEVELOPMENT_CA_NAME = "axis DEVELOPMENT CA - demos and tests only"

_KEY_CACHE: dict[tuple[KeyAlgorithm, int], SigningKey] = {}


def generate_key(algorithm: KeyAlgorithm = "rsa") -> SigningKey:
    if algorithm == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def cached_key(algorithm: KeyAlgorithm, index: int) -> SigningKey:
    """The ``index``-th key of this process: distinct indexes give distinct keys.

    RSA key generation takes tens of milliseconds; tests that need many
    agencies reuse keys across the session through this. Tests only.
    """
    key = _KEY_CACHE.get((algorithm, index))
    if key is None:
        key = _KEY_CACHE[(algorithm, index)] = generate_key(algorithm)
    return key


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """An agency's signing key and certificate (paths set when kept on disk)."""

    organ_id: str
    private_key: SigningKey
    certificate: x509.Certificate
    key_path: Path | None = None
    cert_path: Path | None = None


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=signer,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(slots=True)
class CertificateAuthority:
    """A CA key and certificate that issues agency credentials. Tests and demos only."""

    private_key: SigningKey
    certificate: x509.Certificate
    _serials: itertools.count[int] = field(default_factory=lambda: itertools.count(2))

    @classmethod
    def create(
        cls,
        *,
        key: SigningKey | None = None,
        name: str = DEVELOPMENT_CA_NAME,
        days: int = 3650,
        now: datetime | None = None,
        issuer: CertificateAuthority | None = None,
    ) -> CertificateAuthority:
        """A self-signed CA, or an intermediate CA when ``issuer`` is given."""
        key = key or generate_key("ecdsa")
        now = now or datetime.now(UTC)
        subject = x509.Name(
            [
                x509.NameAttribute(
                    NameOID.ORGANIZATION_NAME, "axis development PKI (not for production)"
                ),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
        signer_key = issuer.private_key if issuer else key
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.certificate.subject if issuer else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(signer=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), False
            )
        )
        return cls(key, builder.sign(signer_key, hashes.SHA256()))

    def next_serial(self) -> int:
        return x509.random_serial_number() ^ next(self._serials)

    def issue(
        self,
        organ_id: str,
        *,
        key: SigningKey | None = None,
        algorithm: KeyAlgorithm = "rsa",
        name: str | None = None,
        days: int = 365,
        not_before: datetime | None = None,
        signer: bool = True,
    ) -> IssuedCredential:
        """A certificate for ``organ_id``; ``signer=False`` makes one unfit to sign."""
        if not is_organ_id(organ_id):
            raise ValueError(f"{organ_id!r} is not an OrganId (1 to 64 of A-Z a-z 0-9 . _ -)")
        key = key or generate_key(algorithm)
        start = not_before or datetime.now(UTC) - timedelta(minutes=5)
        subject = x509.Name(
            [
                x509.NameAttribute(
                    NameOID.ORGANIZATION_NAME, "axis development PKI (not for production)"
                ),
                x509.NameAttribute(NameOID.COMMON_NAME, name or organ_id),
                x509.NameAttribute(NameOID.USER_ID, organ_id),
            ]
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(self.next_serial())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signer=signer), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.private_key.public_key()),
                False,
            )
            .sign(self.private_key, hashes.SHA256())
        )
        return IssuedCredential(organ_id, key, certificate)

    def crl(
        self, revoked: dict[int, datetime] | None = None, *, now: datetime | None = None
    ) -> x509.CertificateRevocationList:
        """A CRL listing ``revoked`` (serial number -> revocation time)."""
        now = now or datetime.now(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(now - timedelta(minutes=5))
            .next_update(now + timedelta(days=7))
        )
        for serial, when in sorted((revoked or {}).items()):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        return builder.sign(self.private_key, hashes.SHA256())
