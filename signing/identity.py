"""What a certificate says about who holds it.

Agency certificates carry the OrganId in the subject (the UID attribute, or
serialNumber); the hint is only a hint: the broker binds certificates to
agencies in its registry and never trusts the subject alone.
"""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

# The registry's OrganId alphabet (see spec/edxml.md, "Agency identifiers").
ORGAN_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


def is_organ_id(value: str) -> bool:
    return ORGAN_ID_PATTERN.fullmatch(value) is not None and value.strip(".") != ""


def organ_id_hint(certificate: x509.Certificate) -> str | None:
    for oid in (NameOID.USER_ID, NameOID.SERIAL_NUMBER):
        for attribute in certificate.subject.get_attributes_for_oid(oid):
            value = attribute.value
            if isinstance(value, str) and is_organ_id(value):
                return value
    return None


def subject_text(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, lower-case hex."""
    return certificate.fingerprint(hashes.SHA256()).hex()
