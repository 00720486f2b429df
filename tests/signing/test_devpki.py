from __future__ import annotations

import stat
from pathlib import Path

import pytest

from signing import (
    DevelopmentPki,
    PkiError,
    SignatureError,
    SigningAlgorithm,
    TrustStore,
    sign,
    verify,
)
from signing.credentials import cached_key
from signing.identity import organ_id_hint
from tests.signing.conftest import STATUS


def test_init_issue_revoke_round_trip(tmp_path: Path) -> None:
    pki = DevelopmentPki.init(tmp_path / "pki")
    assert "DEVELOPMENT" in pki.ca_certificate.subject.rfc4514_string()
    issued = pki.issue("000.00.00.H41", algorithm="ecdsa", name="UBND tỉnh Nghệ An")
    assert issued.key_path is not None and issued.cert_path is not None
    assert stat.S_IMODE(issued.key_path.stat().st_mode) == 0o600
    assert organ_id_hint(issued.certificate) == "000.00.00.H41"
    trust = TrustStore.from_files([pki.ca_path], crls=[pki.crl_path], crl_check_interval=0)
    data = sign(
        STATUS, issued.private_key, issued.certificate, algorithm=SigningAlgorithm.ECDSA_SHA256
    )
    assert verify(data, trust).organ_id_hint == "000.00.00.H41"
    reopened = DevelopmentPki.open(tmp_path / "pki")
    assert reopened.credential("000.00.00.H41").certificate == issued.certificate
    serial = reopened.revoke("000.00.00.H41")
    assert serial == issued.certificate.serial_number
    assert reopened.crl().get_revoked_certificate_by_serial_number(serial) is not None
    with pytest.raises(SignatureError, match="revoked") as caught:
        verify(data, trust)
    assert caught.value.code == "certificate.revoked"


def test_init_refuses_an_existing_ca(tmp_path: Path) -> None:
    DevelopmentPki.init(tmp_path)
    with pytest.raises(PkiError, match="already"):
        DevelopmentPki.init(tmp_path)
    assert DevelopmentPki.open_or_init(tmp_path).ca_path.exists()


def test_open_refuses_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(PkiError, match="pki init"):
        DevelopmentPki.open(tmp_path)


@pytest.mark.parametrize("organ_id", ["../etc", "..", "", "a/b", "x" * 65])
def test_organ_ids_that_are_not_file_names_are_refused(tmp_path: Path, organ_id: str) -> None:
    pki = DevelopmentPki.init(tmp_path)
    with pytest.raises(PkiError):
        pki.issue(organ_id, key=cached_key("rsa", 0))


def test_revoking_an_unknown_agency_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PkiError, match="no credential"):
        DevelopmentPki.init(tmp_path).revoke("000.00.00.G22")
