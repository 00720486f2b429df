"""The seal format (``signing.seal``): a JWS anyone with the axis certificate can check."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing.seal import SealClaims, SealError, SealKey, load_or_create, read_seal, verify_seal

DATA = b"<edXML>exact bytes</edXML>"


def _claims(data: bytes = DATA) -> SealClaims:
    return SealClaims(
        hashlib.sha256(data).hexdigest(),
        len(data),
        "000.00.00.G22",
        "api",
        "bearer",
        "msg-1",
        datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        "none",
    )


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_a_seal_names_the_bytes_agency_channel_and_time() -> None:
    key = SealKey.generate()
    seal = key.seal(_claims())
    header, claims = read_seal(seal)
    assert header["alg"] == "EdDSA" and header["x5c"]
    assert verify_seal(seal, DATA, key.certificate) == claims == _claims()


def test_the_certificate_is_a_pure_function_of_the_key() -> None:
    key = SealKey.generate()
    again = SealKey.from_pem(key.private_pem())
    assert again.certificate_pem() == key.certificate_pem()
    assert again.fingerprint == key.fingerprint


@pytest.mark.parametrize("part", [0, 1, 2])
def test_any_change_to_the_seal_is_refused(part: int) -> None:
    key = SealKey.generate()
    pieces = key.seal(_claims()).split(".")
    if part == 1:
        payload = json.loads(_b64(pieces[1]))
        payload["agency"] = "000.00.00.H41"
        pieces[1] = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    else:
        pieces[part] = pieces[part][:-2] + ("AA" if pieces[part][-2:] != "AA" else "BB")
    with pytest.raises(SealError):
        verify_seal(".".join(pieces), DATA, key.certificate)


def test_another_key_or_not_a_jws_is_refused() -> None:
    seal = SealKey.generate().seal(_claims())
    with pytest.raises(SealError, match="not made by the key"):
        verify_seal(seal, DATA, SealKey.generate().certificate)
    with pytest.raises(SealError, match="compact JWS"):
        verify_seal("not-a-seal", DATA, SealKey.generate().certificate)


def test_only_ed25519_keys_seal() -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(SealError, match="Ed25519"):
        SealKey.from_pem(pem)


def test_the_key_file_is_created_once_for_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "seal.key"
    first = load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(path).fingerprint == first.fingerprint


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl tool")
def test_openssl_verifies_a_seal_independently(tmp_path: Path) -> None:
    """No code of ours on the verifying side: the JWS is plain EdDSA over header.payload."""
    key = SealKey.generate()
    head, body, signature = key.seal(_claims()).split(".")
    (tmp_path / "input").write_bytes(f"{head}.{body}".encode())
    (tmp_path / "signature").write_bytes(_b64(signature))
    public = key.certificate.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "axis.pub").write_bytes(public)
    result = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(tmp_path / "axis.pub"),
            "-rawin",
            "-in",
            str(tmp_path / "input"),
            "-sigfile",
            str(tmp_path / "signature"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
