"""The monthly archive bundle: its layout, and its verification with no database.

A bundle is one uncompressed tar file (bodies stay byte-exact and are read
back without unpacking anything to disk), written in this order:

``bodies/<message id>``
    each body still held when the month was exported, byte for byte;
``chain.json``
    the audit chain's seals and entries of the month, with the hash of the
    seal before the segment and the link of the seal after it;
``manifest.json``
    canonical JSON: the month, the axis key's fingerprint, one entry per
    message (sender, recipients and their delivery times, DocumentId,
    sha256, statuses), and the SHA-256 of ``chain.json``;
``manifest.sig``
    Ed25519 signature over ``manifest.json`` by the axis's own seal key;
``axis.crt``
    that key's certificate, so the bundle checks alone.

:func:`verify` reads it once, front to back, and names the first fault:
a truncated file, a missing or extra member, a manifest whose signature
fails, a chain segment that was changed or does not link up, a body whose
hash differs from the manifest's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from axis.audit.chain import entry_hash
from axis.errors import AxisError

FORMAT = "axis-archive/1"
BODIES = "bodies/"
CHAIN = "chain.json"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
CERTIFICATE = "axis.crt"
_METADATA_MEMBERS = (CHAIN, MANIFEST, SIGNATURE, CERTIFICATE)
# Metadata members are read whole; anything bigger is not a bundle of ours.
_METADATA_LIMIT = 2 * 1024**3
_CHUNK = 1024 * 1024


class BundleFault(AxisError):
    """The bundle is damaged, incomplete or not a bundle."""

    code = "archive.bundle_fault"


def bundle_name(month: str, number: int = 1) -> str:
    return f"axis-archive-{month}.tar" if number == 1 else f"axis-archive-{month}.{number}.tar"


def canonical(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class VerifiedBundle:
    path: Path
    month: str
    key_fingerprint: str
    manifest: Mapping[str, Any]
    manifest_sha256: bytes
    messages: int
    bodies: int
    body_bytes: int
    chain_entries: int

    def body_hashes(self) -> dict[str, str]:
        """Message id -> sha256 (hex) of every body the bundle carries."""
        return {m["id"]: m["sha256"] for m in self.manifest["messages"] if m["body"] is not None}


@dataclass(slots=True)
class _Read:
    metadata: dict[str, bytes]
    body_hashes: dict[str, str]
    body_bytes: int = 0


def _member_bytes(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    if member.size > _METADATA_LIMIT:
        raise BundleFault(f"The bundle's {member.name} is too large to be ours.")
    stream = archive.extractfile(member)
    if stream is None:
        raise BundleFault(f"The bundle's {member.name} is not a file.")
    data = stream.read()
    if len(data) != member.size:
        raise BundleFault(f"The bundle is truncated: {member.name} ends early.")
    return data


def _digest(stream: IO[bytes], expected_size: int, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    if size != expected_size:
        raise BundleFault(f"The bundle is truncated: {name} ends early.")
    return digest.hexdigest(), size


def _read_member(archive: tarfile.TarFile, member: tarfile.TarInfo, read: _Read) -> None:
    if member.name.startswith(BODIES) and member.isfile():
        message_id = member.name[len(BODIES) :]
        stream = archive.extractfile(member)
        assert stream is not None
        read.body_hashes[message_id], size = _digest(stream, member.size, member.name)
        read.body_bytes += size
    elif member.name in _METADATA_MEMBERS and member.isfile():
        read.metadata[member.name] = _member_bytes(archive, member)
    else:
        raise BundleFault(f"The bundle holds {member.name!r}, which is not part of a bundle.")


def _check_end_marker(path: Path, offset: int) -> None:
    """A complete bundle ends with two zero blocks after its last member and is padded
    to whole tar records; a file cut anywhere, even in the padding, is not."""
    with path.open("rb") as file:
        file.seek(offset)
        marker = file.read(2 * tarfile.BLOCKSIZE)
        size = file.seek(0, 2)
    # The writer pads the file to whole tar records: a shorter file was cut.
    if size % tarfile.RECORDSIZE or len(marker) != 2 * tarfile.BLOCKSIZE or marker.strip(b"\0"):
        raise BundleFault("The bundle is truncated: its end-of-archive marker is missing.")


def _read_all(path: Path) -> _Read:
    read = _Read({}, {})
    try:
        with tarfile.open(path, mode="r:") as archive:
            for member in archive:
                _read_member(archive, member, read)
            end = archive.offset
        _check_end_marker(path, end)
    except FileNotFoundError:
        raise BundleFault(f"There is no bundle at {str(path)!r}.") from None
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BundleFault(f"The bundle is truncated or not a tar file ({error}).") from None
    for name in _METADATA_MEMBERS:
        if name not in read.metadata:
            raise BundleFault(f"The bundle has no {name} (it is truncated or incomplete).")
    return read


def _check_signature(metadata: Mapping[str, bytes]) -> tuple[str, Mapping[str, Any]]:
    try:
        certificate = x509.load_pem_x509_certificate(metadata[CERTIFICATE])
        signature = base64.b64decode(metadata[SIGNATURE], validate=True)
    except ValueError:
        raise BundleFault("The bundle's axis.crt or manifest.sig cannot be read.") from None
    public_key = certificate.public_key()
    if not isinstance(public_key, Ed25519PublicKey):
        raise BundleFault("The bundle's certificate is not an axis seal key (Ed25519).")
    try:
        public_key.verify(signature, metadata[MANIFEST])
    except InvalidSignature:
        raise BundleFault(
            "The manifest's signature does not verify: manifest.json (or manifest.sig) "
            "was changed after the axis signed it."
        ) from None
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
    manifest = json.loads(metadata[MANIFEST])
    if manifest.get("format") != FORMAT or manifest.get("key_fingerprint") != fingerprint:
        raise BundleFault("The manifest is not an axis archive manifest for its certificate.")
    return fingerprint, manifest


def _entry(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "at": datetime.fromisoformat(row["at"])}


def check_chain(chain: Mapping[str, Any]) -> int:
    """Walks the segment from the hash before it; how many entries it holds."""
    previous = bytes.fromhex(chain["before"]["hash"])
    position = chain["before"]["position"]
    for row in chain["entries"]:
        if row["position"] != position + 1 or row["previous_hash"] != previous.hex():
            raise BundleFault(
                f"The chain segment breaks at audit row {row['id']}: it does not follow "
                "the row before it (a row was removed, inserted or moved)."
            )
        expected = entry_hash(previous, _entry(row))
        if row["hash"] != expected.hex():
            raise BundleFault(
                f"The chain segment's audit row {row['id']} was changed after it was sealed."
            )
        previous, position = expected, row["position"]
    after = chain["after"]
    if after is not None and (
        after["position"] != position + 1 or after["previous_hash"] != previous.hex()
    ):
        raise BundleFault("The chain segment does not link to the seal after it.")
    return len(chain["entries"])


def _check_chain_member(metadata: Mapping[str, bytes], manifest: Mapping[str, Any]) -> int:
    if hashlib.sha256(metadata[CHAIN]).hexdigest() != manifest["chain_sha256"]:
        raise BundleFault("chain.json is not the chain segment the manifest signed (changed).")
    try:
        return check_chain(json.loads(metadata[CHAIN]))
    except (KeyError, TypeError, ValueError) as error:
        raise BundleFault(f"chain.json cannot be read as a chain segment ({error}).") from None


def _check_bodies(manifest: Mapping[str, Any], found: Mapping[str, str]) -> int:
    listed = 0
    for message in manifest["messages"]:
        if message["body"] is None:
            continue
        listed += 1
        digest = found.get(message["id"])
        if digest is None:
            raise BundleFault(f"The body of message {message['id']} is missing from the bundle.")
        if digest != message["sha256"]:
            raise BundleFault(
                f"The body of message {message['id']} does not match its sha256 in the "
                "manifest (the body was changed)."
            )
    if listed != len(found):
        extra = sorted(set(found) - {m["id"] for m in manifest["messages"]})
        raise BundleFault(f"The bundle holds bodies the manifest does not list: {extra[:3]}.")
    return listed


def verify(path: Path) -> VerifiedBundle:
    """Checks the bundle alone; raises :class:`BundleFault` naming the first fault."""
    read = _read_all(path)
    fingerprint, manifest = _check_signature(read.metadata)
    try:
        entries = _check_chain_member(read.metadata, manifest)
        bodies = _check_bodies(manifest, read.body_hashes)
    except KeyError as error:
        raise BundleFault(f"The manifest lacks the field {error}.") from None
    return VerifiedBundle(
        path,
        str(manifest["month"]),
        fingerprint,
        manifest,
        hashlib.sha256(read.metadata[MANIFEST]).digest(),
        len(manifest["messages"]),
        bodies,
        read.body_bytes,
        entries,
    )


def bodies(path: Path) -> Iterator[tuple[str, bytes]]:
    """(message id, exact bytes) of each body in a bundle :func:`verify` accepted."""
    with tarfile.open(path, mode="r:") as archive:
        for member in archive:
            if member.name.startswith(BODIES):
                yield member.name[len(BODIES) :], _member_bytes(archive, member)


def chain_of(path: Path) -> Mapping[str, Any]:
    """The chain segment of a bundle :func:`verify` accepted."""
    with tarfile.open(path, mode="r:") as archive:
        chain: Mapping[str, Any] = json.loads(_member_bytes(archive, archive.getmember(CHAIN)))
    return chain
