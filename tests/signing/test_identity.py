from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from signing.credentials import cached_key
from signing.identity import fingerprint, is_organ_id, organ_id_hint, subject_text
from tests.signing.conftest import Pki


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("000.00.00.G22", True),
        ("vxp.saas.03", True),
        ("28.22.H17", True),
        ("..", False),
        ("a b", False),
        ("MST:0101", False),
        ("x" * 65, False),
        ("", False),
    ],
)
def test_organ_id_alphabet(value: str, expected: bool) -> None:
    assert is_organ_id(value) is expected


def test_hint_reads_uid_then_serial_number(pki: Pki) -> None:
    assert organ_id_hint(pki.rsa.certificate) == "000.00.00.G22"
    assert "CN=Văn phòng Chính phủ" in subject_text(pki.rsa.certificate)
    assert len(fingerprint(pki.rsa.certificate)) == 64


def test_no_hint_when_the_subject_has_none(pki: Pki) -> None:
    assert organ_id_hint(pki.ca.certificate) is None


def test_serial_number_attribute_is_a_fallback(pki: Pki) -> None:
    name = x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, "000.00.00.H53")])
    certificate = pki.ca.issue("000.00.00.H53", key=cached_key("ecdsa", 12)).certificate
    stand_in = type("StandIn", (), {"subject": name})()
    assert organ_id_hint(stand_in) == "000.00.00.H53"
    assert organ_id_hint(certificate) == "000.00.00.H53"
