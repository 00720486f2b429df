"""Attachments: listed without decoding, decoded or streamed on request, ZIP unwrapped."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import pytest

from envelope import Attachment, AttachmentError, Base64Payload, Document, parse

SAMPLES = Path(__file__).parents[1] / "samples"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_sample_attachment_is_a_legacy_zip() -> None:
    document = parse((SAMPLES / "document-new-unsigned.edxml").read_bytes())
    assert isinstance(document, Document)
    attachment = document.attachments[0]
    assert attachment.is_zip
    assert attachment.size == len(attachment.decode())
    text = attachment.content(unwrap=True).decode()
    assert text.startswith("Kính gửi: Ủy ban nhân dân tỉnh Nghệ An.")
    members = attachment.unwrap_zip()
    assert [member.name for member in members] == ["3f2b9c1e-5d4a-4c1b-9a7e-0c6d2f1a8b11.txt"]


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 57, 1000, 3 * (1 << 20) + 1])
def test_size_decode_and_stream_agree(size: int, tmp_path: Path) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    wrapped = base64.encodebytes(data).replace(b"\n", b"\r\n  ")  # MIME line breaks, indented
    attachment = Attachment("cid:a", "a.bin", "application/octet-stream", Base64Payload(wrapped))
    assert attachment.size == size
    assert attachment.payload.problem() is None
    assert attachment.decode() == data
    assert b"".join(attachment.iter_decoded()) == data
    target = tmp_path / "out.bin"
    assert attachment.write_to(target) == size
    assert target.read_bytes() == data
    stream = io.BytesIO()
    assert attachment.write_to(stream) == size
    assert stream.getvalue() == data
    assert not attachment.is_zip or data[:4] == b"PK\x03\x04"


def test_a_plain_file_is_not_a_zip_and_content_returns_it() -> None:
    attachment = Attachment.of_bytes("cid:x", "x.txt", "text/plain", "Văn bản".encode())
    assert not attachment.is_zip
    assert attachment.content(unwrap=True) == "Văn bản".encode()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (b"QUJD*", "not base64 ('*')"),
        (b"QUJDRA=", "multiple of four"),
        (b"QQ==QUJD", "follows the '=' padding"),
        (b"Q===", "more than two"),
        ("QUJD\u00e9".encode(), "not base64"),
    ],
)
def test_invalid_base64_is_refused_on_decode(text: bytes, why: str) -> None:
    attachment = Attachment("cid:b", "b", None, Base64Payload(text))
    problem = attachment.payload.problem()
    assert problem is not None and why in problem
    with pytest.raises(AttachmentError) as caught:
        attachment.decode()
    assert caught.value.code == "attachment.invalid_base64"


def test_padding_split_across_chunks_is_found() -> None:
    text = b"A" * ((1 << 20) - 2) + b"==" + b"AAAA"
    assert Base64Payload(text).problem() == "data follows the '=' padding"


def test_zip_with_several_files_is_listed_but_not_taken_as_one() -> None:
    archive = _zip({"a.txt": b"a", "b.txt": b"bb"})
    attachment = Attachment.of_bytes("cid:z", "z.zip", "application/zip", archive)
    assert attachment.is_zip
    assert [(m.name, m.data) for m in attachment.unwrap_zip()] == [
        ("a.txt", b"a"),
        ("b.txt", b"bb"),
    ]
    with pytest.raises(AttachmentError, match="holds 2 files"):
        attachment.content(unwrap=True)


def test_zip_bomb_is_refused() -> None:
    archive = _zip({"bomb.bin": b"\0" * 5_000_000})
    attachment = Attachment.of_bytes("cid:z", "z.zip", "application/zip", archive)
    with pytest.raises(AttachmentError) as caught:
        attachment.unwrap_zip(max_bytes=1_000_000)
    assert caught.value.code == "attachment.zip_too_large"


def test_not_a_zip_after_all() -> None:
    attachment = Attachment.of_bytes("cid:z", "z", None, b"PK\x03\x04 but nothing else")
    assert attachment.is_zip
    with pytest.raises(AttachmentError) as caught:
        attachment.unwrap_zip()
    assert caught.value.code == "attachment.bad_zip"


def test_payload_equality_ignores_line_breaks() -> None:
    data = bytes(range(200))
    assert Base64Payload(base64.encodebytes(data)) == Base64Payload.encode(data)
    assert hash(Base64Payload(base64.encodebytes(data))) == hash(Base64Payload.encode(data))
    assert Base64Payload.encode(data) != Base64Payload.encode(data[:-1])
    assert Base64Payload.encode(b"abc") != b"YWJj"
