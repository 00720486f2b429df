"""Canonical XML through libxml2 (lxml), for the two node-sets the profile signs.

The document (``URI=""``, comments excluded) is canonicalised as a whole. For
SignedInfo under inclusive C14N 1.0, libxml2's subtree mode writes spurious
``xmlns=""`` on descendants when an ancestor redeclares the default
namespace (exactly what ``<Signature xmlns="...xmldsig#">`` inside an edXML
document does), so SignedInfo is copied under a new root that carries every
in-scope namespace and inherited ``xml:`` attribute, which is what inclusive
C14N of that subset must render, and the copy is canonicalised as a document.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any, cast

from lxml import etree

_XML_NS = "{http://www.w3.org/XML/1998/namespace}"


def canonical_document(root: etree._Element, *, exclusive: bool) -> bytes:
    return etree.tostring(
        root.getroottree(), method="c14n", exclusive=exclusive, with_comments=False
    )


class _HashingSink:
    """Where libxml2 writes canonical XML piece by piece: a hash, never a whole copy."""

    __slots__ = ("hasher",)

    def __init__(self, hash_name: str) -> None:
        self.hasher = hashlib.new(hash_name)

    def write(self, data: bytes) -> int:
        self.hasher.update(data)
        return len(data)


def canonical_document_digest(root: etree._Element, *, exclusive: bool, hash_name: str) -> bytes:
    """The digest of :func:`canonical_document`'s bytes, without making them.

    ``write_c14n`` to a file-like object streams libxml2's C14N output in
    buffer-sized pieces; a 150 MB envelope costs a hash state, not 150 MB more.
    """
    sink = _HashingSink(hash_name)
    # lxml takes any object with write() and an exclusive flag; its stubs know neither.
    tree = cast("Any", root.getroottree())
    tree.write_c14n(sink, exclusive=exclusive, with_comments=False)
    return sink.hasher.digest()


def canonical_subtree(element: etree._Element, *, exclusive: bool) -> bytes:
    if exclusive:
        return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
    attributes = {str(name): str(value) for name, value in element.attrib.items()}
    for ancestor in element.iterancestors():
        for name, value in ancestor.attrib.items():
            if str(name).startswith(_XML_NS):
                attributes.setdefault(str(name), str(value))
    # lxml accepts None as the default namespace's key; its stubs do not say so.
    namespaces = cast("dict[str, str]", element.nsmap)
    apex = etree.Element(element.tag, attributes, nsmap=namespaces)
    apex.text = element.text
    for child in element:
        apex.append(copy.deepcopy(child))
    return etree.tostring(apex.getroottree(), method="c14n", exclusive=False, with_comments=False)
