from __future__ import annotations

import hashlib
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from lxml import etree

from envelope import parse_tree
from signing import (
    CertificateAuthority,
    HostileDocumentError,
    SignatureError,
    SigningAlgorithm,
    TrustStore,
    check_signature,
    sign,
    verify,
)
from signing.algorithms import (
    C14N_EXCLUSIVE,
    C14N_INCLUSIVE,
    DIGEST_SHA256,
    ECDSA_SHA256,
    RSA_PSS_SHA256,
    RSA_SHA256,
)
from signing.credentials import cached_key
from tests.signing.conftest import DOCUMENT, STATUS, Pki, Signer, with_attachment


def test_result_says_what_was_signed_and_by_whom(signed: Signer, pki: Pki) -> None:
    result = verify(signed(), pki.trust())
    assert result.certificate == pki.rsa.certificate
    assert result.chain == (pki.rsa.certificate, pki.ca.certificate)
    assert (result.signature_algorithm, result.digest_algorithm) == (RSA_SHA256, DIGEST_SHA256)
    assert result.canonicalization == C14N_EXCLUSIVE
    canonical = etree.tostring(
        etree.fromstring(DOCUMENT).getroottree(), method="c14n", exclusive=True
    )
    assert result.digest == hashlib.sha256(canonical).hexdigest()
    assert result.fingerprint == pki.rsa.certificate.fingerprint(hashes.SHA256()).hex()
    assert result.organ_id_hint == "000.00.00.G22"
    assert "000.00.00.G22" in result.subject


def test_ecdsa_with_inclusive_c14n(signed: Signer, pki: Pki) -> None:
    result = verify(
        signed(STATUS, algorithm=SigningAlgorithm.ECDSA_SHA256, exclusive_c14n=False),
        pki.trust(),
    )
    assert result.signature_algorithm == ECDSA_SHA256
    assert result.canonicalization == C14N_INCLUSIVE
    assert result.organ_id_hint == "000.00.00.H41"


def test_rsa_pss(signed: Signer, pki: Pki) -> None:
    data = signed(algorithm=SigningAlgorithm.RSA_PSS_SHA256)
    assert verify(data, pki.trust()).signature_algorithm == RSA_PSS_SHA256


def test_a_one_megabyte_envelope(signed: Signer, pki: Pki) -> None:
    data = signed(with_attachment(DOCUMENT, os.urandom(750_000)))
    assert len(data) > 1_000_000
    verify(data, pki.trust())
    end = data.rindex(b"</ContentTransferEncoded>") - 1
    changed = data[:end] + (b"A" if data[end : end + 1] != b"A" else b"B") + data[end + 1 :]
    with pytest.raises(SignatureError) as caught:
        verify(changed, pki.trust())
    assert caught.value.code == "signature.digest_mismatch"


def test_repeated_verifications_use_the_cached_chain(signed: Signer, pki: Pki) -> None:
    trust = pki.trust()
    data = signed()
    first = verify(data, trust)
    assert trust.cached_chains == 1
    assert verify(data, trust) == first
    assert trust.cached_chains == 1


def test_signer_is_found_whatever_the_key_info_order(pki: Pki) -> None:
    intermediate = CertificateAuthority.create(key=cached_key("ecdsa", 20), issuer=pki.ca)
    agency = intermediate.issue("000.00.07.H41", key=cached_key("ecdsa", 21))
    data = sign(
        DOCUMENT,
        agency.private_key,
        agency.certificate,
        algorithm=SigningAlgorithm.ECDSA_SHA256,
        intermediates=[intermediate.certificate],
    )
    start = data.index(b"<ds:X509Certificate>")
    end = data.index(b"</ds:X509Data>")
    first, second = data[start:end].split(b"</ds:X509Certificate>")[:2]
    swapped = second + b"</ds:X509Certificate>" + first + b"</ds:X509Certificate>"
    reordered = data[:start] + swapped + data[end:]
    assert reordered != data
    assert verify(reordered, TrustStore([pki.ca.certificate])).certificate == agency.certificate


def test_key_value_beside_x509_data_is_ignored(signed: Signer, pki: Pki) -> None:
    data = signed().replace(b"<ds:KeyInfo>", b"<ds:KeyInfo><ds:KeyName>any</ds:KeyName>", 1)
    verify(data, pki.trust())


def test_hostile_xml_keeps_the_parser_reason(pki: Pki) -> None:
    with pytest.raises(HostileDocumentError) as caught:
        verify(b"<!DOCTYPE x SYSTEM 'http://example/x'><x/>", pki.trust())
    assert caught.value.code == "signature.malformed"
    assert caught.value.reason.startswith("xml.")


def test_not_an_edxml_document(pki: Pki) -> None:
    with pytest.raises(SignatureError) as caught:
        verify(b"<edXML/>", pki.trust())
    assert caught.value.code == "signature.malformed"


def test_check_signature_needs_no_trust(signed: Signer, pki: Pki) -> None:
    checked = check_signature(signed(credential=pki.foreign))
    assert checked.certificate == pki.foreign.certificate
    der = pki.foreign.certificate.public_bytes(serialization.Encoding.DER)
    assert checked.fingerprint == hashlib.sha256(der).hexdigest()


@pytest.mark.parametrize("exclusive", [True, False])
def test_a_lent_tree_is_given_back_unchanged(signed: Signer, pki: Pki, exclusive: bool) -> None:
    data = signed(exclusive_c14n=exclusive)
    tree = parse_tree(data)
    before = etree.tostring(tree)
    lent = verify(data, pki.trust(), tree=tree)
    assert etree.tostring(tree) == before
    # The same tree verifies again, and says what a fresh parse says.
    assert verify(data, pki.trust(), tree=tree) == lent == verify(data, pki.trust())


def test_a_lent_tree_of_other_bytes_does_not_verify(signed: Signer, pki: Pki) -> None:
    tampered = signed().replace(b"000.00.00.G22", b"000.00.00.G23", 1)
    with pytest.raises(SignatureError):
        verify(tampered, pki.trust(), tree=parse_tree(tampered))
