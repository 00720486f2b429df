"""Interop with an independent implementation, the xmlsec1 command (Debian package xmlsec1).

Both directions: what axis signs verifies with ``xmlsec1 --verify`` against the
CA, and what ``xmlsec1 --sign`` makes from a template verifies in axis; a byte
changed after signing fails in both. Without xmlsec1 these tests fail under
CI=true and are skipped elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from signing import IssuedCredential, SignatureError, SigningAlgorithm, verify
from signing.algorithms import (
    C14N_EXCLUSIVE,
    C14N_INCLUSIVE,
    DIGEST_SHA1,
    DIGEST_SHA256,
    ECDSA_SHA256,
    ENVELOPED,
    RSA_SHA1,
    RSA_SHA256,
)
from tests.signing.conftest import DOCUMENT, STATUS, Pki, Signer, key_pem, with_attachment

CASES = [
    (SigningAlgorithm.RSA_SHA256, True),
    (SigningAlgorithm.ECDSA_SHA256, False),
    (SigningAlgorithm.RSA_SHA1, False),
    (SigningAlgorithm.RSA_SHA256, False),
]


@pytest.fixture(scope="module")
def xmlsec1() -> str:
    path = shutil.which("xmlsec1")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("xmlsec1 is required in CI (apt-get install -y xmlsec1)")
        pytest.skip("xmlsec1 is not installed (apt-get install -y xmlsec1)")
    return path


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def flip_subject(data: bytes) -> bytes:
    position = data.index(b"V/v b") + 2
    return data[:position] + b"V" + data[position + 1 :]


@pytest.fixture()
def ca_file(pki: Pki, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_bytes(pki.ca.certificate.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.mark.parametrize(("algorithm", "exclusive"), CASES)
def test_xmlsec1_verifies_what_axis_signs(
    xmlsec1: str,
    signed: Signer,
    ca_file: Path,
    tmp_path: Path,
    algorithm: SigningAlgorithm,
    exclusive: bool,
) -> None:
    document = tmp_path / "signed.xml"
    document.write_bytes(
        signed(
            with_attachment(DOCUMENT, os.urandom(3000)),
            algorithm=algorithm,
            exclusive_c14n=exclusive,
        )
    )
    outcome = run(xmlsec1, "--verify", "--trusted-pem", str(ca_file), str(document))
    assert outcome.returncode == 0, outcome.stderr
    assert "OK" in outcome.stdout + outcome.stderr
    document.write_bytes(flip_subject(document.read_bytes()))
    assert run(xmlsec1, "--verify", "--trusted-pem", str(ca_file), str(document)).returncode != 0


def test_xmlsec1_refuses_an_axis_signature_from_an_untrusted_ca(
    xmlsec1: str, signed: Signer, pki: Pki, tmp_path: Path
) -> None:
    other = tmp_path / "other.pem"
    other.write_bytes(pki.foreign_ca.certificate.public_bytes(serialization.Encoding.PEM))
    document = tmp_path / "signed.xml"
    document.write_bytes(signed(STATUS))
    assert run(xmlsec1, "--verify", "--trusted-pem", str(other), str(document)).returncode != 0


def template(
    signature_method: str, digest_method: str, c14n: str | None, document: bytes = DOCUMENT
) -> bytes:
    transforms = f'<Transform Algorithm="{ENVELOPED}"/>'
    if c14n:
        transforms += f'<Transform Algorithm="{c14n}"/>'
    text = (
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
        f'<CanonicalizationMethod Algorithm="{c14n or C14N_INCLUSIVE}"/>'
        f'<SignatureMethod Algorithm="{signature_method}"/>'
        f'<Reference URI=""><Transforms>{transforms}</Transforms>'
        f'<DigestMethod Algorithm="{digest_method}"/><DigestValue/></Reference>'
        "</SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>"
    )
    end = b"</edXML:edXMLHeader>"
    return document.replace(end, text.encode() + end, 1)


@pytest.mark.parametrize(
    ("credential_name", "signature_method", "digest_method", "c14n"),
    [
        ("rsa", RSA_SHA256, DIGEST_SHA256, C14N_EXCLUSIVE),
        ("ecdsa", ECDSA_SHA256, DIGEST_SHA256, C14N_INCLUSIVE),
        ("rsa", RSA_SHA1, DIGEST_SHA1, C14N_INCLUSIVE),
        ("rsa", RSA_SHA256, DIGEST_SHA256, None),
    ],
    ids=["rsa-sha256-exc", "ecdsa-sha256-inc", "rsa-sha1-inc", "rsa-sha256-no-c14n-transform"],
)
def test_axis_verifies_what_xmlsec1_signs(
    xmlsec1: str,
    pki: Pki,
    tmp_path: Path,
    credential_name: str,
    signature_method: str,
    digest_method: str,
    c14n: str | None,
) -> None:
    credential: IssuedCredential = getattr(pki, credential_name)
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    key.write_bytes(key_pem(credential))
    cert.write_bytes(credential.certificate.public_bytes(serialization.Encoding.PEM))
    source, output = tmp_path / "template.xml", tmp_path / "signed.xml"
    source.write_bytes(template(signature_method, digest_method, c14n))
    outcome = run(
        xmlsec1, "--sign", "--privkey-pem", f"{key},{cert}", "--output", str(output), str(source)
    )
    assert outcome.returncode == 0, outcome.stderr
    data = output.read_bytes()
    result = verify(data, pki.trust(), allow_sha1=signature_method == RSA_SHA1)
    assert result.certificate == credential.certificate
    assert result.signature_algorithm == signature_method
    with pytest.raises(SignatureError) as caught:
        verify(flip_subject(data), pki.trust(), allow_sha1=True)
    assert caught.value.code == "signature.digest_mismatch"


LANG_DOCUMENT = DOCUMENT.replace(b"<edXML xmlns=", b'<edXML xml:lang="vi" xmlns=', 1)


def test_inclusive_c14n_inherits_xml_attributes_like_xmlsec1(
    xmlsec1: str, pki: Pki, signed: Signer, ca_file: Path, tmp_path: Path
) -> None:
    credential = pki.rsa
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    key.write_bytes(key_pem(credential))
    cert.write_bytes(credential.certificate.public_bytes(serialization.Encoding.PEM))
    source, output = tmp_path / "template.xml", tmp_path / "signed.xml"
    source.write_bytes(template(RSA_SHA256, DIGEST_SHA256, C14N_INCLUSIVE, LANG_DOCUMENT))
    outcome = run(
        xmlsec1, "--sign", "--privkey-pem", f"{key},{cert}", "--output", str(output), str(source)
    )
    assert outcome.returncode == 0, outcome.stderr
    verify(output.read_bytes(), pki.trust())
    ours = tmp_path / "ours.xml"
    ours.write_bytes(signed(LANG_DOCUMENT, exclusive_c14n=False))
    assert run(xmlsec1, "--verify", "--trusted-pem", str(ca_file), str(ours)).returncode == 0
