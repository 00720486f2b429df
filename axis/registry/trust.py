"""Operator changes to trust: anchors, intermediates and revocation lists.

Every change bumps the ``trust_generation`` sequence (so each process's
:class:`axis.registry.trust_cache.TrustCache` reloads) and is written to the audit log in
the same transaction. A CRL is stored only when a configured anchor or
intermediate signed it, and replaces its issuer's previous CRL only when it
is newer: an old CRL replayed must not un-revoke a certificate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

import signing
from axis.audit import chain as audit
from axis.errors import AxisError
from axis.storage import sql
from axis.storage.database import Connection, Pool
from axis.vocabulary import AuditAction
from signing import TrustStore
from signing.revocation import RevocationList, load_crl

logger = logging.getLogger(__name__)

# What adding a trust certificate of each role is called in the audit chain.
_ADDED = {
    "anchor": AuditAction.TRUST_ANCHOR_ADD,
    "intermediate": AuditAction.TRUST_INTERMEDIATE_ADD,
}

Role = Literal["anchor", "intermediate"]
# Serialises trust changes, so two CRLs of one issuer cannot race.
_TRUST_LOCK_KEY = 0x61786973_74727374  # "axistrst"


class TrustError(AxisError):
    """The trust change was refused."""


class InvalidTrustCertificate(TrustError):
    """The certificate cannot be read as a PEM CA certificate."""

    code = "trust.invalid_certificate"


class TrustCertificateExists(TrustError):
    """This certificate is already configured."""

    code = "trust.exists"


class InvalidCrl(TrustError):
    """The revocation list cannot be read as PEM or DER."""

    code = "crl.invalid"


class CrlNotTrusted(TrustError):
    """The revocation list is not signed by a configured trust anchor or intermediate."""

    code = "crl.untrusted"


class CrlNotNewer(TrustError):
    """A revocation list of this issuer at least as new is already stored."""

    code = "crl.not_newer"


@dataclass(frozen=True, slots=True)
class TrustCertificate:
    fingerprint: str
    role: Role
    subject: str
    not_after: datetime


@dataclass(frozen=True, slots=True)
class StoredCrl:
    issuer: str
    this_update: datetime
    next_update: datetime | None
    revoked: int = 0


def _load_ca(pem: bytes) -> x509.Certificate:
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError as error:
        raise InvalidTrustCertificate(f"The certificate cannot be read as PEM: {error}.") from None
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.value.ca:
        raise InvalidTrustCertificate(
            f"The certificate {certificate.subject.rfc4514_string()!r} is not a CA certificate "
            "(its basicConstraints do not say CA:TRUE)."
        )
    return certificate


async def load_store(connection: Connection) -> TrustStore:
    """A trust store from what the database holds now (inside the caller's transaction)."""
    rows = await connection.fetch(sql.query("trust_all_certificates"))
    crls = await connection.fetch(sql.query("revocation_lists"))
    return TrustStore.from_pem(
        [row["pem"].encode() for row in rows if row["role"] == "anchor"],
        [row["pem"].encode() for row in rows if row["role"] == "intermediate"],
        [bytes(row["der"]) for row in crls],
    )


async def _configured(connection: Connection) -> list[x509.Certificate]:
    rows = await connection.fetch(sql.query("trust_all_certificates"))
    return [x509.load_pem_x509_certificate(row["pem"].encode()) for row in rows]


def _issued_by(certificate: x509.Certificate, issuers: list[x509.Certificate]) -> bool:
    for issuer in issuers:
        try:
            certificate.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


async def add_trust_certificate(
    pool: Pool, pem: bytes, *, intermediate: bool = False, actor: str = "operator"
) -> TrustCertificate:
    """Adds a trust anchor, or an intermediate issued by a configured certificate."""
    certificate = _load_ca(pem)
    role: Role = "intermediate" if intermediate else "anchor"
    stored = TrustCertificate(
        signing.fingerprint(certificate),
        role,
        certificate.subject.rfc4514_string(),
        certificate.not_valid_after_utc,
    )
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(sql.query("trust_lock_changes"), _TRUST_LOCK_KEY)
        if intermediate and not _issued_by(certificate, await _configured(connection)):
            raise InvalidTrustCertificate(
                f"The intermediate {stored.subject!r} is not issued by a configured trust "
                "anchor or intermediate; add its issuer first."
            )
        inserted = await connection.fetchval(
            sql.query("trust_insert_certificate"),
            stored.fingerprint,
            role,
            certificate.public_bytes(serialization.Encoding.PEM).decode(),
            stored.subject,
            stored.not_after,
        )
        if inserted is None:
            raise TrustCertificateExists(
                f"The certificate {stored.subject!r} ({stored.fingerprint[:16]}...) "
                "is already configured."
            )
        await connection.execute(sql.query("bump_trust_generation"))
        await audit.append(
            connection,
            audit.AuditEntry(
                actor,
                _ADDED[role],
                stored.fingerprint,
                {"subject": stored.subject, "not_after": stored.not_after.isoformat()},
            ),
        )
    logger.info("trust certificate added", extra={"role": role, "subject": stored.subject})
    return stored


async def list_trust_certificates(pool: Pool) -> list[TrustCertificate]:
    rows = await pool.fetch(sql.query("trust_list_certificates"))
    return [
        TrustCertificate(row["fingerprint"], row["role"], row["subject"], row["not_after"])
        for row in rows
    ]


async def list_crls(pool: Pool) -> list[StoredCrl]:
    rows = await pool.fetch(sql.query("trust_list_crls"))
    return [StoredCrl(row["issuer"], row["this_update"], row["next_update"]) for row in rows]


def _load_crl(data: bytes) -> x509.CertificateRevocationList:
    try:
        return load_crl(data)
    except ValueError as error:
        raise InvalidCrl(f"The revocation list cannot be read as PEM or DER: {error}.") from None


async def add_crl(pool: Pool, data: bytes, *, actor: str = "operator") -> StoredCrl:
    """Stores a CRL signed by a configured certificate, replacing an older one of its issuer."""
    crl = _load_crl(data)
    revocation = RevocationList.of(crl)
    issuer = crl.issuer.rfc4514_string()
    stored = StoredCrl(
        issuer, crl.last_update_utc, crl.next_update_utc, revoked=len(revocation.revoked)
    )
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(sql.query("trust_lock_changes"), _TRUST_LOCK_KEY)
        signers = [c for c in await _configured(connection) if c.subject == crl.issuer]
        if not any(revocation.is_signed_by(c.public_key()) for c in signers):
            raise CrlNotTrusted(
                f"The revocation list of {issuer!r} is not signed by a configured trust "
                "anchor or intermediate."
            )
        previous = await connection.fetchval(sql.query("trust_crl_of_issuer"), issuer)
        if previous is not None and previous >= stored.this_update:
            raise CrlNotNewer(
                f"A revocation list of {issuer!r} from {previous:%Y-%m-%d %H:%M:%S} UTC is "
                "already stored; this one is not newer."
            )
        await connection.execute(
            sql.query("trust_upsert_crl"),
            issuer,
            crl.public_bytes(serialization.Encoding.DER),
            stored.this_update,
            stored.next_update,
        )
        await connection.execute(sql.query("bump_trust_generation"))
        await audit.append(
            connection,
            audit.AuditEntry(
                actor,
                AuditAction.TRUST_CRL_ADD,
                issuer,
                {
                    "this_update": stored.this_update.isoformat(),
                    "revoked": stored.revoked,
                    "replaced": previous is not None,
                },
            ),
        )
    logger.info("revocation list stored", extra={"issuer": issuer, "revoked": stored.revoked})
    return stored


def certificate_json(certificate: TrustCertificate) -> dict[str, str]:
    return {
        "fingerprint": certificate.fingerprint,
        "role": certificate.role,
        "subject": certificate.subject,
        "not_after": certificate.not_after.isoformat(),
    }


def crl_json(crl: StoredCrl) -> dict[str, str | int | None]:
    return {
        "issuer": crl.issuer,
        "this_update": crl.this_update.isoformat(),
        "next_update": crl.next_update.isoformat() if crl.next_update else None,
        "revoked": crl.revoked,
    }
