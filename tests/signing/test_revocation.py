from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from signing.revocation import CrlFile, RevocationList, load_crl
from tests.signing.conftest import Pki


def write(path: Path, pki: Pki, serials: list[int]) -> None:
    crl = pki.ca.crl(dict.fromkeys(serials, datetime.now(UTC)))
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))


def test_pem_and_der_load_alike(pki: Pki) -> None:
    crl = pki.ca.crl({5: datetime.now(UTC)})
    for encoding in (serialization.Encoding.PEM, serialization.Encoding.DER):
        assert RevocationList.of(load_crl(crl.public_bytes(encoding))).revoked.keys() == {5}


def test_refresh_reads_only_changed_files(pki: Pki, tmp_path: Path) -> None:
    path = tmp_path / "crl.pem"
    write(path, pki, [])
    source = CrlFile(path, check_interval=0)
    assert source.refresh() is False
    write(path, pki, [7, 8])
    assert source.refresh() is True
    assert source.current is not None and set(source.current.revoked) == {7, 8}


def test_refresh_is_throttled(pki: Pki, tmp_path: Path) -> None:
    path = tmp_path / "crl.pem"
    write(path, pki, [])
    source = CrlFile(path, check_interval=3600)
    write(path, pki, [9])
    assert source.refresh() is False
    assert source.refresh(force=True) is True


def test_a_vanished_or_broken_file_keeps_the_last_list(pki: Pki, tmp_path: Path) -> None:
    path = tmp_path / "crl.pem"
    write(path, pki, [3])
    source = CrlFile(path, check_interval=0)
    path.write_bytes(b"garbage")
    os.utime(path, ns=(1, 1))
    assert source.refresh() is False
    path.unlink()
    assert source.refresh() is False
    assert source.current is not None and 3 in source.current.revoked


def test_a_missing_file_is_an_error_at_first(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        CrlFile(tmp_path / "absent.pem")
