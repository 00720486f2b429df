"""The attack corpus: every tampering is refused, with the code that names it."""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from signing import SignatureError, SigningAlgorithm, TrustStore, verify
from signing.algorithms import DSIG_NS, RSA_SHA1
from signing.layout import EDXML_NS
from tests.signing.conftest import DOCUMENT, Pki, Signer

DS = f"{{{DSIG_NS}}}"
ED = f"{{{EDXML_NS}}}"


def edit(data: bytes, change: Callable[[etree._Element], None]) -> bytes:
    root = etree.fromstring(data)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def signature_of(root: etree._Element) -> etree._Element:
    found = root.find(f".//{DS}Signature")
    assert found is not None
    return found


def header_of(root: etree._Element) -> etree._Element:
    found = root.find(f"{ED}edXMLEnvelope/{ED}edXMLHeader")
    assert found is not None
    return found


def refused(data: bytes, trust: TrustStore, **options: object) -> str:
    with pytest.raises(SignatureError) as caught:
        verify(data, trust, **options)  # type: ignore[arg-type]
    assert caught.value.message and caught.value.message[-1] != " "
    return caught.value.code


def test_the_editing_helper_alone_keeps_the_signature_valid(signed: Signer, pki: Pki) -> None:
    verify(edit(signed(), lambda root: None), pki.trust())


def test_no_signature(pki: Pki) -> None:
    assert refused(DOCUMENT, pki.trust()) == "signature.missing"


def test_second_signature(signed: Signer, pki: Pki) -> None:
    def twice(root: etree._Element) -> None:
        signature = signature_of(root)
        signature.addprevious(copy.deepcopy(signature))

    assert refused(edit(signed(), twice), pki.trust()) == "signature.misplaced"


@pytest.mark.parametrize("where", ["envelope", "root", "message-header", "first-in-header"])
def test_signature_moved(signed: Signer, pki: Pki, where: str) -> None:
    def move(root: etree._Element) -> None:
        signature = signature_of(root)
        header = header_of(root)
        if where == "envelope":
            root[0].append(signature)
        elif where == "root":
            root.append(signature)
        elif where == "message-header":
            header[0].append(signature)
        else:
            header.insert(0, signature)

    assert refused(edit(signed(), move), pki.trust()) == "signature.misplaced"


def test_wrapping_the_signed_document_inside_a_forged_one(signed: Signer, pki: Pki) -> None:
    original = etree.fromstring(signed())
    forged = etree.fromstring(DOCUMENT)
    subject = forged.find(f".//{ED}Subject")
    assert subject is not None
    subject.text = "Forged subject"
    attachments = forged.find(f"{ED}AttachmentEncoded")
    assert attachments is not None
    attachments.append(original)
    data = etree.tostring(forged, xml_declaration=True, encoding="UTF-8")
    assert refused(data, pki.trust()) == "signature.misplaced"


def test_forged_header_carrying_the_original_signature(signed: Signer, pki: Pki) -> None:
    def forge(root: etree._Element) -> None:
        subject = root.find(f".//{ED}Subject")
        assert subject is not None
        subject.text = "Forged subject"

    assert refused(edit(signed(), forge), pki.trust()) == "signature.digest_mismatch"


def test_duplicated_message_header(signed: Signer, pki: Pki) -> None:
    def duplicate(root: etree._Element) -> None:
        header = header_of(root)
        evil = copy.deepcopy(header[0])
        header.insert(0, evil)

    assert refused(edit(signed(), duplicate), pki.trust()) == "signature.digest_mismatch"


def test_duplicated_envelope(signed: Signer, pki: Pki) -> None:
    def duplicate(root: etree._Element) -> None:
        envelope = root[0]
        evil = copy.deepcopy(envelope)
        for signature in evil.iter(f"{DS}Signature"):
            signature.getparent().remove(signature)  # type: ignore[union-attr]
        envelope.addprevious(evil)

    assert refused(edit(signed(), duplicate), pki.trust()) == "signature.malformed"


def test_comment_injected_into_signed_text(signed: Signer, pki: Pki) -> None:
    data = signed().replace(b"<edXML:Subject>V/v", b"<edXML:Subject>V/v<!-- -->", 1)
    assert refused(data, pki.trust()) == "signature.malformed"


def test_comment_between_elements_is_harmless(signed: Signer, pki: Pki) -> None:
    data = signed().replace(b"<edXML:Subject>", b"<!-- note --><edXML:Subject>", 1)
    verify(data, pki.trust())


def test_attachment_bytes_changed(signed: Signer, pki: Pki) -> None:
    data = signed()
    found = re.search(rb"<(?:\w+:)?ContentTransferEncoded[^>]*>", data)
    assert found is not None
    start = found.end()
    flipped = b"A" if data[start : start + 1] != b"A" else b"B"
    tampered = data[:start] + flipped + data[start + 1 :]
    assert refused(tampered, pki.trust()) == "signature.digest_mismatch"


def test_key_info_certificate_swapped(signed: Signer, pki: Pki) -> None:
    def swap(root: etree._Element) -> None:
        element = signature_of(root).find(f".//{DS}X509Certificate")
        assert element is not None
        der = pki.other.certificate.public_bytes(serialization.Encoding.DER)
        element.text = base64.b64encode(der).decode()

    assert refused(edit(signed(), swap), pki.trust()) == "signature.invalid"


def test_signature_value_changed(signed: Signer, pki: Pki) -> None:
    def corrupt(root: etree._Element) -> None:
        value = signature_of(root).find(f"{DS}SignatureValue")
        assert value is not None and value.text
        raw = bytearray(base64.b64decode(value.text))
        raw[10] ^= 1
        value.text = base64.b64encode(bytes(raw)).decode()

    assert refused(edit(signed(), corrupt), pki.trust()) == "signature.invalid"


@pytest.mark.parametrize("allow_sha1", [False, True])
def test_algorithm_downgrade_to_sha1(signed: Signer, pki: Pki, allow_sha1: bool) -> None:
    def downgrade(root: etree._Element) -> None:
        method = signature_of(root).find(f".//{DS}SignatureMethod")
        assert method is not None
        method.set("Algorithm", RSA_SHA1)

    code = refused(edit(signed(), downgrade), pki.trust(), allow_sha1=allow_sha1)
    # Even where SHA-1 is allowed the forged SignedInfo no longer verifies.
    assert code == ("signature.invalid" if allow_sha1 else "signature.algorithm_not_allowed")


def test_sha1_signature_needs_permission(signed: Signer, pki: Pki) -> None:
    data = signed(algorithm=SigningAlgorithm.RSA_SHA1)
    assert refused(data, pki.trust()) == "signature.algorithm_not_allowed"
    assert verify(data, pki.trust(), allow_sha1=True).signature_algorithm == RSA_SHA1


@pytest.mark.parametrize(
    ("element", "uri"),
    [
        ("SignatureMethod", "http://www.w3.org/2000/09/xmldsig#hmac-sha1"),
        ("CanonicalizationMethod", "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"),
        ("Transform[2]", "http://www.w3.org/TR/1999/REC-xslt-19991116"),
        ("DigestMethod", "http://www.w3.org/2001/04/xmldsig-more#md5"),
    ],
)
def test_algorithms_outside_the_profile(signed: Signer, pki: Pki, element: str, uri: str) -> None:
    def change(root: etree._Element) -> None:
        target = signature_of(root).find(f".//{DS}{element}")
        assert target is not None
        target.set("Algorithm", uri)

    assert refused(edit(signed(), change), pki.trust()) == "signature.algorithm_not_allowed"


def test_signature_in_the_edxml_namespace(signed: Signer, pki: Pki) -> None:
    data = signed().replace(DSIG_NS.encode(), EDXML_NS.encode())
    assert refused(data, pki.trust()) == "signature.misplaced"


def test_empty_signature_value(signed: Signer, pki: Pki) -> None:
    def empty(root: etree._Element) -> None:
        value = signature_of(root).find(f"{DS}SignatureValue")
        assert value is not None
        value.text = ""

    assert refused(edit(signed(), empty), pki.trust()) == "signature.malformed"


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.find(f".//{DS}Reference").set("URI", "#envelope"),
        lambda s: s.append(etree.Element(f"{DS}Object")),
        lambda s: s.find(f".//{DS}Transforms").remove(s.find(f".//{DS}Transform")),
        lambda s: s.find(f".//{DS}SignedInfo").append(copy.deepcopy(s.find(f".//{DS}Reference"))),
        lambda s: s.remove(s.find(f"{DS}KeyInfo")),
    ],
    ids=["reference-uri", "object", "no-enveloped-transform", "two-references", "no-key-info"],
)
def test_malformed_structure(signed: Signer, pki: Pki, change: Callable[..., None]) -> None:
    data = edit(signed(), lambda root: change(signature_of(root)))
    assert refused(data, pki.trust()) == "signature.malformed"


def test_hostile_xml_is_malformed(pki: Pki) -> None:
    bomb = b'<!DOCTYPE edXML [<!ENTITY a "aaaa">]><edXML>&a;</edXML>'
    assert refused(bomb, pki.trust()) == "signature.malformed"


def test_expired_certificate(signed: Signer, pki: Pki) -> None:
    assert refused(signed(credential=pki.expired), pki.trust()) == "certificate.expired"


def test_not_yet_valid_certificate(signed: Signer, pki: Pki) -> None:
    assert refused(signed(credential=pki.future), pki.trust()) == "certificate.expired"


def test_revoked_certificate(signed: Signer, pki: Pki) -> None:
    crl = pki.ca.crl({pki.other.certificate.serial_number: datetime.now(UTC)})
    trust = TrustStore([pki.ca.certificate], crls=[crl])
    assert refused(signed(credential=pki.other), trust) == "certificate.revoked"
    verify(signed(credential=pki.rsa), trust)


def test_unknown_ca(signed: Signer, pki: Pki) -> None:
    assert refused(signed(credential=pki.foreign), pki.trust()) == "certificate.untrusted"


def test_certificate_not_for_signing(signed: Signer, pki: Pki) -> None:
    assert refused(signed(credential=pki.no_signing), pki.trust()) == "certificate.key_usage"
