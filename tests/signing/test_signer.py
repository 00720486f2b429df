from __future__ import annotations

import hashlib
import re

import pytest
from lxml import etree

from signing import SigningAlgorithm, UnsignableDocumentError, check_signature, sign, verify
from signing.algorithms import C14N_EXCLUSIVE, C14N_INCLUSIVE, LEGACY_SHA1_PROFILE
from tests.signing.conftest import DOCUMENT, STATUS, Pki, Signer

SIGNATURE = re.compile(rb"<ds:Signature .*?</ds:Signature>", re.S)


def without_signature(data: bytes) -> bytes:
    found = SIGNATURE.findall(data)
    assert len(found) == 1
    return SIGNATURE.sub(b"", data)


@pytest.mark.parametrize("algorithm", list(SigningAlgorithm))
@pytest.mark.parametrize("exclusive", [True, False])
@pytest.mark.parametrize("sample", [DOCUMENT, STATUS], ids=["document", "status"])
def test_signing_changes_no_other_byte(
    signed: Signer, sample: bytes, algorithm: SigningAlgorithm, exclusive: bool
) -> None:
    result = signed(sample, algorithm=algorithm, exclusive_c14n=exclusive)
    assert without_signature(result) == sample
    checked = check_signature(result, profile=LEGACY_SHA1_PROFILE)
    assert checked.signature_algorithm == algorithm.signature_method.uri
    assert checked.canonicalization == (C14N_EXCLUSIVE if exclusive else C14N_INCLUSIVE)


def test_signature_is_the_last_child_of_the_header(signed: Signer) -> None:
    root = etree.fromstring(signed())
    header = root.find("{*}edXMLEnvelope/{*}edXMLHeader")
    assert header is not None
    last = [child for child in header if isinstance(child.tag, str)][-1]
    assert last.tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"


def test_digest_is_of_the_canonical_unsigned_document(signed: Signer, pki: Pki) -> None:
    result = verify(signed(), pki.trust())
    canonical = etree.tostring(
        etree.fromstring(DOCUMENT).getroottree(), method="c14n", exclusive=True
    )
    assert result.digest == hashlib.sha256(canonical).hexdigest()


def test_intermediates_travel_in_key_info(pki: Pki) -> None:
    from signing import CertificateAuthority, TrustStore
    from signing.credentials import cached_key

    intermediate = CertificateAuthority.create(key=cached_key("ecdsa", 5), issuer=pki.ca)
    agency = intermediate.issue("000.00.09.H41", key=cached_key("ecdsa", 6), algorithm="ecdsa")
    data = sign(
        DOCUMENT,
        agency.private_key,
        agency.certificate,
        algorithm=SigningAlgorithm.ECDSA_SHA256,
        intermediates=[intermediate.certificate],
    )
    assert data.count(b"<ds:X509Certificate>") == 2
    result = verify(data, TrustStore([pki.ca.certificate]))
    assert [c.subject for c in result.chain] == [
        agency.certificate.subject,
        intermediate.certificate.subject,
        pki.ca.certificate.subject,
    ]


def test_an_end_tag_inside_a_comment_is_not_taken_for_the_header_end(signed: Signer) -> None:
    tricky = DOCUMENT.replace(
        b"<edXML:MessageHeader>", b"<!-- </edXML:edXMLHeader> --><edXML:MessageHeader>", 1
    )
    result = signed(tricky)
    assert without_signature(result) == tricky
    check_signature(result)


def test_processing_instruction_before_the_root_is_kept(signed: Signer, pki: Pki) -> None:
    data = DOCUMENT.replace(b"?>\n", b"?>\n<?app hint?>\n", 1)
    result = signed(data)
    assert without_signature(result) == data
    verify(result, pki.trust())


def test_refuses_a_signed_document(signed: Signer) -> None:
    with pytest.raises(UnsignableDocumentError, match="already signed"):
        signed(signed())


def test_refuses_a_key_that_does_not_match_the_certificate(pki: Pki) -> None:
    with pytest.raises(UnsignableDocumentError, match="does not belong"):
        sign(DOCUMENT, pki.other.private_key, pki.rsa.certificate)


def test_refuses_an_ecdsa_algorithm_with_an_rsa_key(pki: Pki) -> None:
    with pytest.raises(ValueError, match="elliptic-curve"):
        sign(
            DOCUMENT,
            pki.rsa.private_key,
            pki.rsa.certificate,
            algorithm=SigningAlgorithm.ECDSA_SHA256,
        )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<a/>", "not an edXML"),
        (DOCUMENT.decode().encode("utf-16"), "UTF"),
        (b"<!DOCTYPE x [<!ENTITY e 'x'>]><x/>", "(?i)dtd|doctype|entit"),
        (DOCUMENT.replace(b"<edXML:Subject>V/v", b"<edXML:Subject><!--x-->V/v"), "splits text"),
    ],
    ids=["foreign-root", "utf16", "dtd", "comment-in-text"],
)
def test_refuses_what_could_not_be_verified(pki: Pki, data: bytes, reason: str) -> None:
    if reason == "UTF":
        data = data.replace(b"U\x00T\x00F\x00-\x008\x00", b"U\x00T\x00F\x00-\x001\x006\x00")
    with pytest.raises(UnsignableDocumentError, match=reason):
        sign(data, pki.rsa.private_key, pki.rsa.certificate)
