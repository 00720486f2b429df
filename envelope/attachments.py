"""Manifest references and attachments: list without decoding, decode or stream one."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from envelope.errors import EnvelopeError
from envelope.payload import Base64Payload

__all__ = ["Attachment", "AttachmentError", "Reference", "ZipMember", "content_key"]

# Legacy senders wrap the file in a ZIP archive; base64 of "PK\x03\x04" starts like this.
_ZIP_PREFIX = b"UEsDB"
DEFAULT_MAX_UNZIPPED_BYTES = 512 * 1024 * 1024


class AttachmentError(EnvelopeError):
    """An attachment cannot be decoded or unwrapped."""


def content_key(content_id: str) -> str:
    """How references and attachments are matched: ``cid:`` and angle brackets do not count."""
    key = content_id.strip().strip("<>")
    return key[4:] if key[:4].lower() == "cid:" else key


@dataclass(frozen=True, slots=True)
class Reference:
    """A manifest ``Reference``: names an attachment by ``ContentId`` (``cid:<id>``)."""

    content_id: str
    content_type: str | None = None
    attachment_name: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ZipMember:
    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Attachment:
    """One ``Attachment``; its content stays base64 until asked for."""

    content_id: str
    name: str | None
    content_type: str | None
    payload: Base64Payload
    description: str | None = None

    @classmethod
    def of_bytes(
        cls,
        content_id: str,
        name: str | None,
        content_type: str | None,
        data: bytes,
        description: str | None = None,
    ) -> Attachment:
        return cls(content_id, name, content_type, Base64Payload.encode(data), description)

    @property
    def size(self) -> int:
        """Decoded size in bytes, computed from the base64 length."""
        return self.payload.decoded_size()

    @property
    def is_zip(self) -> bool:
        """True for the legacy form: a ZIP archive of the file (content starting ``UEsDB``)."""
        return self.payload.head(len(_ZIP_PREFIX)) == _ZIP_PREFIX

    def _checked(self) -> Base64Payload:
        problem = self.payload.problem()
        if problem is not None:
            raise AttachmentError(
                "attachment.invalid_base64",
                f"Attachment {self.content_id!r} is not valid base64: {problem}.",
            )
        return self.payload

    def iter_decoded(self) -> Iterator[bytes]:
        """The decoded content in chunks of about 768 KB."""
        return self._checked().iter_decoded()

    def decode(self) -> bytes:
        return self._checked().decode()

    def write_to(self, target: str | os.PathLike[str] | BinaryIO) -> int:
        """Streams the decoded content to a path or binary file; returns the bytes written."""
        if isinstance(target, str | os.PathLike):
            with open(target, "wb") as stream:
                return self._write(stream)
        return self._write(target)

    def _write(self, stream: BinaryIO) -> int:
        written = 0
        for chunk in self.iter_decoded():
            stream.write(chunk)
            written += len(chunk)
        return written

    def unwrap_zip(self, max_bytes: int = DEFAULT_MAX_UNZIPPED_BYTES) -> tuple[ZipMember, ...]:
        """The files inside the legacy ZIP form, refusing archives that inflate past the limit."""
        try:
            archive = zipfile.ZipFile(io.BytesIO(self.decode()))
        except zipfile.BadZipFile as error:
            raise AttachmentError(
                "attachment.bad_zip", f"Attachment {self.content_id!r} is not a ZIP archive."
            ) from error
        members: list[ZipMember] = []
        remaining = max_bytes
        with archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                try:
                    with archive.open(info) as member:
                        # The header's size may lie; read one byte past what is left to know.
                        data = member.read(remaining + 1)
                except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
                    raise AttachmentError(
                        "attachment.bad_zip",
                        f"Attachment {self.content_id!r} holds an unreadable entry "
                        f"{info.filename!r}.",
                    ) from error
                if len(data) > remaining:
                    raise AttachmentError(
                        "attachment.zip_too_large",
                        f"Attachment {self.content_id!r} inflates past {max_bytes} bytes.",
                    )
                remaining -= len(data)
                members.append(ZipMember(info.filename, data))
        return tuple(members)

    def content(self, *, unwrap: bool = False) -> bytes:
        """The file: decoded, and taken out of its ZIP wrapper on request if it has one."""
        if not (unwrap and self.is_zip):
            return self.decode()
        members = self.unwrap_zip()
        if len(members) != 1:
            raise AttachmentError(
                "attachment.bad_zip",
                f"Attachment {self.content_id!r} holds {len(members)} files, not one.",
            )
        return members[0].data
