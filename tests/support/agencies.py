"""Agencies and signing credentials for tests.

One in-memory development CA per test session (:func:`session_ca`) issues one
credential per OrganId (:func:`credential_for`, cached, keys reused through
``signing.credentials.cached_key`` so many agencies stay cheap).
:func:`register_agency` trusts that CA in the test's database (once) and
registers an agency with its certificate, returning the credentials
(``organ_id``, ``system_id``, ``secret``).

    runtime = open_runtime(settings, pool)
    sender = await register_agency(runtime, "000.00.01.H53")
    signed = signing.sign(xml, credential_for(sender.organ_id).private_key,
                          credential_for(sender.organ_id).certificate)
"""

from __future__ import annotations

import contextlib
import functools
import itertools

from cryptography.hazmat.primitives import serialization

import signing
from axis.registry import trust as trust_admin
from axis.registry.agencies import AgencyCredentials, Registry
from axis.runtime import Runtime
from axis.storage.database import Pool
from signing import CertificateAuthority, IssuedCredential
from signing.credentials import cached_key

_key_indexes = itertools.count()


@functools.cache
def session_ca() -> CertificateAuthority:
    """The session's development CA (create once, reuse everywhere)."""
    return CertificateAuthority.create(name="axis test CA")


@functools.cache
def credential_for(organ_id: str) -> IssuedCredential:
    """The signing key and certificate of ``organ_id``, issued by :func:`session_ca`."""
    return session_ca().issue(organ_id, key=cached_key("rsa", next(_key_indexes)))


def another_credential(organ_id: str) -> IssuedCredential:
    """A second, never-registered certificate for ``organ_id`` from the same CA."""
    return session_ca().issue(organ_id, key=cached_key("rsa", next(_key_indexes)))


def certificate_pem(organ_id: str) -> bytes:
    return credential_for(organ_id).certificate.public_bytes(serialization.Encoding.PEM)


def ca_pem() -> bytes:
    return session_ca().certificate.public_bytes(serialization.Encoding.PEM)


async def trust_test_ca(pool: Pool) -> None:
    """Makes :func:`session_ca` a trust anchor of this database (no-op when it already is)."""
    wanted = signing.fingerprint(session_ca().certificate)
    if any(c.fingerprint == wanted for c in await trust_admin.list_trust_certificates(pool)):
        return
    # A concurrent caller may have added it since the check.
    with contextlib.suppress(trust_admin.TrustCertificateExists):
        await trust_admin.add_trust_certificate(pool, ca_pem(), actor="test")


async def register_agency(
    target: Runtime | Registry,
    organ_id: str,
    *,
    name: str | None = None,
    endpoint_url: str | None = None,
    parent_id: str | None = None,
    legacy_sha1: bool = False,
    with_certificate: bool = True,
) -> AgencyCredentials:
    """Registers ``organ_id`` (with its test certificate, the CA trusted first)."""
    registry = target.registry if isinstance(target, Runtime) else target
    certificates: list[bytes] = []
    if with_certificate:
        await trust_test_ca(registry.pool)
        certificates.append(certificate_pem(organ_id))
    return await registry.add(
        organ_id,
        name or f"Agency {organ_id}",
        parent_id=parent_id,
        endpoint_url=endpoint_url,
        legacy_sha1=legacy_sha1,
        certificates=certificates,
        actor="test",
    )
