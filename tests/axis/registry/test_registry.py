"""The registry on a real database: registration rules, certificates, suspension, audit."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from axis.audit import chain as audit
from axis.registry import agencies as registry
from axis.registry.secret_box import SecretBox
from axis.storage import sql
from axis.storage.database import Pool
from signing import CertificateAuthority
from tests.support.agencies import certificate_pem, trust_test_ca


@pytest.fixture
def registry_(pool: Pool) -> registry.Registry:
    return registry.Registry(pool, SecretBox.from_passphrase("test"))


async def _generation(pool: Pool) -> int:
    return int(await pool.fetchval(sql.query("trust_generation")))


async def _actions(pool: Pool) -> list[tuple[str, str, str]]:
    rows = await pool.fetch("SELECT actor, action, subject FROM audit_log ORDER BY id")
    return [(row["actor"], row["action"], row["subject"]) for row in rows]


async def test_add_derives_parent_and_returns_a_secret_that_authenticates(
    registry_: registry.Registry,
) -> None:
    credentials = await registry_.add("000.00.01.H53", "Sở Nội vụ")
    assert credentials.system_id == "000.00.01.H53"
    agency = await registry_.require("000.00.01.H53")
    assert agency.parent_id == "000.00.00.H53"
    assert agency.delivery_mode == "pull"
    assert await registry_.by_bearer_secret(credentials.secret) == agency
    assert await registry_.secret_of("000.00.01.H53") == credentials.secret


async def test_explicit_parent_system_id_and_endpoint(registry_: registry.Registry) -> None:
    credentials = await registry_.add(
        "vxp.saas.03",
        "Legacy",
        parent_id="unknown.parent",
        system_id="sys-3",
        endpoint_url="https://dms.example/edxml",
        legacy_sha1=True,
    )
    assert credentials.system_id == "sys-3"
    agency = await registry_.require("vxp.saas.03")
    assert (agency.parent_id, agency.delivery_mode, agency.legacy_sha1) == (
        "unknown.parent",
        "push",
        True,
    )
    assert await registry_.by_system_id("sys-3") == agency


@pytest.mark.parametrize(
    ("organ_id", "options", "error"),
    [
        ("bad id", {}, registry.InvalidOrganId),
        ("x" * 65, {}, registry.InvalidOrganId),
        ("A1", {"endpoint_url": "ftp://host/x"}, registry.InvalidEndpoint),
        ("A1", {"endpoint_url": "/relative"}, registry.InvalidEndpoint),
        ("A1", {"parent_id": "no spaces allowed"}, registry.InvalidOrganId),
    ],
)
async def test_refusals(
    registry_: registry.Registry, organ_id: str, options: dict[str, str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await registry_.add(organ_id, "Name", **options)  # type: ignore[arg-type]
    assert await registry_.get(organ_id) is None


async def test_duplicate_organ_id_or_system_id_is_refused(registry_: registry.Registry) -> None:
    await registry_.add("A1", "First")
    with pytest.raises(registry.AgencyExists):
        await registry_.add("A1", "Again")
    with pytest.raises(registry.AgencyExists):
        await registry_.add("A2", "Other", system_id="A1")


async def test_certificate_must_chain_to_a_configured_anchor(
    pool: Pool, registry_: registry.Registry
) -> None:
    with pytest.raises(registry.UntrustedCertificate):
        await registry_.add("A1", "Untrusted", certificates=[certificate_pem("A1")])
    assert await registry_.get("A1") is None
    await trust_test_ca(pool)
    before = await _generation(pool)
    await registry_.add("A1", "Trusted", certificates=[certificate_pem("A1")])
    assert await _generation(pool) > before
    [stored] = await registry_.certificates("A1")
    assert stored.organ_id == "A1"
    assert "UID=A1" in stored.subject or "A1" in stored.subject
    assert stored.not_before < stored.not_after
    assert await registry_.certificate_fingerprints("A1") == {stored.fingerprint}


async def test_certificate_from_another_ca_is_refused(
    pool: Pool, registry_: registry.Registry
) -> None:
    await trust_test_ca(pool)
    await registry_.add("A1", "Agency")
    stranger = CertificateAuthority.create(name="stranger").issue("A1")
    with pytest.raises(registry.UntrustedCertificate):
        await registry_.add_certificate(
            "A1", stranger.certificate.public_bytes(serialization.Encoding.PEM)
        )
    assert await registry_.certificates("A1") == []


async def test_add_certificate_audits_bumps_and_refuses_duplicates(
    pool: Pool, registry_: registry.Registry
) -> None:
    await trust_test_ca(pool)
    await registry_.add("A1", "Agency")
    await registry_.add("A2", "Other")
    before = await _generation(pool)
    fingerprint = await registry_.add_certificate("A1", certificate_pem("A1"))
    assert await _generation(pool) == before + 1
    with pytest.raises(registry.CertificateExists):
        await registry_.add_certificate("A2", certificate_pem("A1"))
    with pytest.raises(registry.AgencyNotFound):
        await registry_.add_certificate("nobody", certificate_pem("A2"))
    with pytest.raises(registry.InvalidCertificate):
        await registry_.add_certificate("A1", b"not a pem")
    assert ("operator", "agency.cert_add", "A1") in await _actions(pool)
    assert fingerprint in await registry_.certificate_fingerprints("A1")


async def test_suspend_and_resume_are_audited(pool: Pool, registry_: registry.Registry) -> None:
    await registry_.add("A1", "Agency")
    await registry_.set_active("A1", False)
    assert not (await registry_.require("A1")).active
    await registry_.set_active("A1", True, actor="someone")
    assert (await registry_.require("A1")).active
    with pytest.raises(registry.AgencyNotFound):
        await registry_.set_active("nobody", False)
    actions = await _actions(pool)
    assert actions[-3:] == [
        ("operator", "agency.add", "A1"),
        ("operator", "agency.suspend", "A1"),
        ("someone", "agency.resume", "A1"),
    ]
    async with pool.acquire() as connection:
        assert (await audit.verify_chain(connection)).intact
