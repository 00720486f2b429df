from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from signing import CertificateAuthority, SignatureError, TrustStore
from signing.credentials import DEVELOPMENT_CA_NAME, cached_key
from tests.signing.conftest import Pki


def ca_pem(authority: CertificateAuthority) -> bytes:
    return authority.certificate.public_bytes(serialization.Encoding.PEM)


def code_of(trust: TrustStore, credential_certificate: object, **options: object) -> str:
    with pytest.raises(SignatureError) as caught:
        trust.check(credential_certificate, **options)  # type: ignore[arg-type]
    return caught.value.code


def test_chain_from_objects(pki: Pki) -> None:
    chain = TrustStore([pki.ca.certificate]).check(pki.rsa.certificate)
    assert chain == (pki.rsa.certificate, pki.ca.certificate)


def test_from_pem_in_memory_and_from_files(pki: Pki, tmp_path: Path) -> None:
    assert (
        TrustStore.from_pem(ca_pem(pki.ca)).check(pki.ecdsa.certificate)[-1] == pki.ca.certificate
    )
    bundle = ca_pem(pki.foreign_ca) + ca_pem(pki.ca)
    assert TrustStore.from_pem([bundle]).check(pki.ecdsa.certificate)
    path = tmp_path / "ca.pem"
    path.write_bytes(ca_pem(pki.ca))
    assert TrustStore.from_files([path]).check(pki.rsa.certificate)


def test_pem_without_certificates_is_refused() -> None:
    with pytest.raises(ValueError, match="no certificate"):
        TrustStore.from_pem(b"not a certificate")


def test_nothing_is_trusted_without_anchors(pki: Pki) -> None:
    assert code_of(TrustStore(), pki.rsa.certificate) == "certificate.untrusted"


def test_other_ca_is_untrusted(pki: Pki) -> None:
    assert code_of(pki.trust(), pki.foreign.certificate) == "certificate.untrusted"


def test_validity_is_judged_at_the_given_time(pki: Pki) -> None:
    trust = pki.trust()
    trust.check(pki.rsa.certificate)
    later = datetime.now(UTC) + timedelta(days=400)
    assert code_of(trust, pki.rsa.certificate, at=later) == "certificate.expired"
    earlier = datetime.now(UTC) - timedelta(days=2)
    assert code_of(trust, pki.rsa.certificate, at=earlier) == "certificate.expired"
    naive_now = datetime.now(UTC).replace(tzinfo=None)
    assert trust.check(pki.rsa.certificate, naive_now)


def test_expired_ca_makes_the_chain_expired(pki: Pki) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=100)
    old_ca = CertificateAuthority.create(key=cached_key("ecdsa", 7), now=long_ago, days=30)
    leaf = old_ca.issue("000.00.05.H41", key=cached_key("ecdsa", 8), not_before=long_ago, days=365)
    trust = TrustStore([old_ca.certificate])
    assert code_of(trust, leaf.certificate) == "certificate.expired"


def test_key_usage_must_allow_signing(pki: Pki) -> None:
    assert code_of(pki.trust(), pki.no_signing.certificate) == "certificate.key_usage"


def test_intermediate_from_the_store_or_presented(pki: Pki) -> None:
    intermediate = CertificateAuthority.create(key=cached_key("ecdsa", 9), issuer=pki.ca)
    leaf = intermediate.issue("000.00.06.H41", key=cached_key("ecdsa", 10), algorithm="ecdsa")
    assert code_of(pki.trust(), leaf.certificate) == "certificate.untrusted"
    assert len(pki.trust().check(leaf.certificate, None, [intermediate.certificate])) == 3
    with_store = TrustStore([pki.ca.certificate], [intermediate.certificate])
    assert len(with_store.check(leaf.certificate)) == 3
    # A revoked intermediate revokes what it issued.
    crl = pki.ca.crl({intermediate.certificate.serial_number: datetime.now(UTC)})
    with_store.add_crl(crl)
    assert code_of(with_store, leaf.certificate) == "certificate.revoked"


def test_cache_is_bounded_and_dropped_on_changes(pki: Pki) -> None:
    trust = TrustStore([pki.ca.certificate], cache_size=2)
    for credential in (pki.rsa, pki.ecdsa, pki.other):
        trust.check(credential.certificate)
    assert trust.cached_chains == 2
    trust.add_anchor(pki.foreign_ca.certificate)
    assert trust.cached_chains == 0
    trust.check(pki.foreign.certificate)
    trust.check(pki.rsa.certificate)
    assert trust.cached_chains == 2
    trust.add_crl(pki.ca.crl({}))
    assert trust.cached_chains == 0


def test_revocation_takes_effect_from_its_date(pki: Pki) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    trust = TrustStore(
        [pki.ca.certificate], crls=[pki.ca.crl({pki.other.certificate.serial_number: tomorrow})]
    )
    trust.check(pki.other.certificate)
    later = tomorrow + timedelta(hours=1)
    assert code_of(trust, pki.other.certificate, at=later) == "certificate.revoked"


def test_a_crl_with_a_forged_signature_is_ignored(pki: Pki) -> None:
    impostor = CertificateAuthority.create(key=cached_key("ecdsa", 11), name=DEVELOPMENT_CA_NAME)
    assert impostor.certificate.subject == pki.ca.certificate.subject
    forged = impostor.crl({pki.rsa.certificate.serial_number: datetime.now(UTC)})
    TrustStore([pki.ca.certificate], crls=[forged]).check(pki.rsa.certificate)


def test_crl_file_is_reread_when_it_changes(pki: Pki, tmp_path: Path) -> None:
    anchor, crl_path = tmp_path / "ca.pem", tmp_path / "crl.pem"
    anchor.write_bytes(ca_pem(pki.ca))
    crl_path.write_bytes(pki.ca.crl({}).public_bytes(serialization.Encoding.PEM))
    trust = TrustStore.from_files([anchor], crls=[crl_path], crl_check_interval=0)
    trust.check(pki.other.certificate)
    assert trust.cached_chains == 1
    revoked = pki.ca.crl({pki.other.certificate.serial_number: datetime.now(UTC)})
    crl_path.write_bytes(revoked.public_bytes(serialization.Encoding.DER))
    assert code_of(trust, pki.other.certificate) == "certificate.revoked"
    assert trust.refresh() is False  # unchanged since: nothing re-read
