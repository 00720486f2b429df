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

from envelope.file_bytes import FileBytes

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


class _RestoringSink(_HashingSink):
    """A hashing sink that puts each elided attachment text back where its marker is.

    ``source`` was parsed with its large attachment texts replaced by markers plus
    their newlines (:meth:`envelope.FileBytes.elide_attachments`); those texts are
    plain (no reference, escape or CR), so their canonical form is their bytes in
    the file, hashed from there a megabyte at a time.
    """

    __slots__ = ("_by_marker", "_pending", "_prefix", "_skip", "_source")

    def __init__(self, hash_name: str, source: FileBytes) -> None:
        super().__init__(hash_name)
        self._source = source
        self._by_marker = {elision.marker: elision for elision in source.elisions}
        self._prefix = source.elisions[0].marker.rsplit(b"-", 1)[0] + b"-"
        self._pending = b""
        self._skip = 0

    def write(self, data: bytes) -> int:
        written = len(data)
        if self._skip:  # the newlines that stood for the elided text's own
            skipped = min(self._skip, len(data))
            data, self._skip = data[skipped:], self._skip - skipped
        buffer = self._pending + data
        while True:
            at = buffer.find(self._prefix)
            if at == -1:
                keep = min(len(buffer), len(self._prefix) - 1)
                self.hasher.update(buffer[: len(buffer) - keep])
                self._pending = buffer[len(buffer) - keep :]
                return written
            close = buffer.find(b"!", at + len(self._prefix))
            if close == -1:
                self.hasher.update(buffer[:at])
                self._pending = buffer[at:]
                return written
            elision = self._by_marker.get(buffer[at : close + 1])
            if elision is None:  # cannot be ours: the token is drawn per file
                self.hasher.update(buffer[: close + 1])
                buffer = buffer[close + 1 :]
                continue
            self.hasher.update(buffer[:at])
            for piece in self._source.pieces(elision.start, elision.end):
                self.hasher.update(piece)
            rest = buffer[close + 1 :]
            skipped = min(elision.newlines, len(rest))
            buffer, self._skip = rest[skipped:], elision.newlines - skipped
            if self._skip:
                self._pending = b""
                return written

    def digest(self) -> bytes:
        self.hasher.update(self._pending)
        self._pending = b""
        return self.hasher.digest()


def canonical_document_digest(
    root: etree._Element, *, exclusive: bool, hash_name: str, source: FileBytes | None = None
) -> bytes:
    """The digest of :func:`canonical_document`'s bytes, without making them.

    ``write_c14n`` to a file-like object streams libxml2's C14N output in
    buffer-sized pieces; a 150 MB envelope costs a hash state, not 150 MB more.
    ``source``: the file ``root`` was parsed from, when attachment texts were
    elided from the tree; they are hashed from the file in their place.
    """
    sink = _RestoringSink(hash_name, source) if source and source.elisions else None
    # lxml takes any object with write() and an exclusive flag; its stubs know neither.
    tree = cast("Any", root.getroottree())
    if sink is None:
        plain = _HashingSink(hash_name)
        tree.write_c14n(plain, exclusive=exclusive, with_comments=False)
        return plain.hasher.digest()
    tree.write_c14n(sink, exclusive=exclusive, with_comments=False)
    assert source is not None
    source.release()  # the file's pages hashed stay in the page cache, not in this process
    return sink.digest()


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
