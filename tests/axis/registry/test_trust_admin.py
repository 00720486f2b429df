"""Trust anchors, intermediates and CRLs: what is stored, what is refused, who notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from axis.audit import chain as audit
from axis.registry import trust as trust_admin
from axis.registry.trust_cache import TrustCache
from axis.storage import sql
from axis.storage.database import Pool
from signing import CertificateAuthority, RevokedCertificateError, UntrustedCertificateError


def pem(ca: CertificateAuthority) -> bytes:
    return ca.certificate.public_bytes(serialization.Encoding.PEM)


async def _generation(pool: Pool) -> int:
    return int(await pool.fetchval(sql.query("trust_generation")))


async def test_anchor_and_intermediate_are_stored_audited_and_bump_the_generation(
    pool: Pool,
) -> None:
    root = CertificateAuthority.create(name="root")
    issuing = CertificateAuthority.create(name="issuing", issuer=root)
    cache = TrustCache(pool, recheck_interval=0.0)
    leaf = issuing.issue("A1").certificate
    with pytest.raises(UntrustedCertificateError):
        (await cache.store()).check(leaf)

    with pytest.raises(trust_admin.InvalidTrustCertificate, match="add its issuer first"):
        await trust_admin.add_trust_certificate(pool, pem(issuing), intermediate=True)
    anchor = await trust_admin.add_trust_certificate(pool, pem(root))
    generation = await _generation(pool)
    intermediate = await trust_admin.add_trust_certificate(pool, pem(issuing), intermediate=True)
    assert await _generation(pool) == generation + 1
    assert [c.role for c in await trust_admin.list_trust_certificates(pool)] == [
        "anchor",
        "intermediate",
    ]
    assert "CN=root" in anchor.subject
    assert intermediate.fingerprint != anchor.fingerprint

    chain = (await cache.store()).check(leaf)
    assert chain[-1] == root.certificate

    with pytest.raises(trust_admin.TrustCertificateExists):
        await trust_admin.add_trust_certificate(pool, pem(root))
    rows = await pool.fetch("SELECT actor, action FROM audit_log ORDER BY id")
    assert [(r["actor"], r["action"]) for r in rows] == [
        ("operator", "trust.anchor_add"),
        ("operator", "trust.intermediate_add"),
    ]


async def test_leaf_certificates_and_garbage_are_not_trust_anchors(pool: Pool) -> None:
    ca = CertificateAuthority.create()
    leaf = ca.issue("A1").certificate.public_bytes(serialization.Encoding.PEM)
    with pytest.raises(trust_admin.InvalidTrustCertificate, match="not a CA"):
        await trust_admin.add_trust_certificate(pool, leaf)
    with pytest.raises(trust_admin.InvalidTrustCertificate, match="PEM"):
        await trust_admin.add_trust_certificate(pool, b"garbage")
    assert await trust_admin.list_trust_certificates(pool) == []
    assert await _generation(pool) == 0


async def test_crl_must_be_signed_by_a_configured_ca_and_newer_than_the_stored_one(
    pool: Pool,
) -> None:
    ca = CertificateAuthority.create(name="crl ca")
    victim = ca.issue("A1").certificate
    now = datetime.now(UTC)
    older = ca.crl({}, now=now - timedelta(hours=1))
    newer = ca.crl({victim.serial_number: now - timedelta(minutes=1)}, now=now)

    with pytest.raises(trust_admin.CrlNotTrusted):
        await trust_admin.add_crl(pool, older.public_bytes(serialization.Encoding.DER))
    await trust_admin.add_trust_certificate(pool, pem(ca))
    with pytest.raises(trust_admin.InvalidCrl):
        await trust_admin.add_crl(pool, b"not a crl")
    # Same issuer name, another key: a forgery.
    impostor = CertificateAuthority.create(name="crl ca")
    with pytest.raises(trust_admin.CrlNotTrusted):
        await trust_admin.add_crl(pool, impostor.crl({}).public_bytes(serialization.Encoding.PEM))

    cache = TrustCache(pool, recheck_interval=0.0)
    assert (await cache.store()).check(victim)
    await trust_admin.add_crl(pool, older.public_bytes(serialization.Encoding.PEM))
    generation = await _generation(pool)
    stored = await trust_admin.add_crl(pool, newer.public_bytes(serialization.Encoding.DER))
    assert stored.revoked == 1 and await _generation(pool) == generation + 1
    with pytest.raises(RevokedCertificateError):
        (await cache.store()).check(victim)

    # Replaying the older list must not un-revoke anything.
    with pytest.raises(trust_admin.CrlNotNewer):
        await trust_admin.add_crl(pool, older.public_bytes(serialization.Encoding.DER))
    [current] = await trust_admin.list_crls(pool)
    assert current.this_update == newer.last_update_utc
    async with pool.acquire() as connection:
        assert (await audit.verify_chain(connection)).intact
    actions = [r["action"] for r in await pool.fetch("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["trust.anchor_add", "trust.crl_add", "trust.crl_add"]
