"""An envelope read from a file (issue #17) verifies exactly as the same bytes in memory.

Large attachment texts are left out of the parse tree and put back into the
digest from the file; whatever changes in them must still break the
signature, and what is not plain base64 stays in the tree.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from envelope import FileBytes, parse_tree, parse_valid
from signing.errors import DigestMismatchError
from signing.verifier import check_signature
from tests.signing.conftest import Pki, Signer
from tests.support.envelopes import document

SENDER = "000.00.00.G22"


@contextmanager
def mapped(data: bytes) -> Iterator[FileBytes]:
    with tempfile.TemporaryFile() as file:
        file.write(data)
        file.flush()
        with FileBytes.of(file) as source:
            yield source


def _wrapped(data: bytes, line_end: bytes) -> bytes:
    """The attachment's base64 wrapped at 76 characters with ``line_end``."""
    start = data.index(b"<ContentTransferEncoded>") + len(b"<ContentTransferEncoded>")
    end = data.index(b"</ContentTransferEncoded>")
    text = data[start:end]
    lines = [text[i : i + 76] for i in range(0, len(text), 76)]
    return data[:start] + line_end.join(lines) + data[end:]


@pytest.mark.parametrize("exclusive", [True, False])
@pytest.mark.parametrize("line_end", [b"", b"\n", b"\r\n"])
def test_the_file_road_verifies_like_the_bytes(
    signed: Signer, pki: Pki, exclusive: bool, line_end: bytes
) -> None:
    unsigned = _wrapped(document(SENDER, ["000.00.00.H41"], payload=os.urandom(300_000)), line_end)
    data = signed(unsigned, exclusive_c14n=exclusive)
    in_memory = check_signature(data)
    with mapped(data) as source:
        tree = parse_tree(source)
        # Plain texts are elided; one with CRs in it is not (its canonical form differs).
        assert len(source.elisions) == (0 if line_end == b"\r\n" else 1)
        message = parse_valid(source, tree=tree)
        from_file = check_signature(source, tree=tree)
        payload = message.attachments[0].payload.decode()  # type: ignore[union-attr]
    assert from_file.digest == in_memory.digest
    assert payload == base64.b64decode(
        b"".join(unsigned.split(b"<ContentTransferEncoded>")[1].split(b"<")[0].split())
    )


def test_a_changed_byte_in_an_elided_text_breaks_the_signature(signed: Signer) -> None:
    data = signed(document(SENDER, ["000.00.00.H41"], payload=os.urandom(300_000)))
    at = data.index(b"</ContentTransferEncoded>") - 1000
    changed = data[:at] + (b"A" if data[at : at + 1] != b"A" else b"B") + data[at + 1 :]
    with mapped(changed) as source:
        tree = parse_tree(source)
        assert source.elisions
        with pytest.raises(DigestMismatchError):
            check_signature(source, tree=tree)


def test_a_marker_written_by_a_sender_is_only_text(signed: Signer) -> None:
    """The token is drawn per file: a look-alike in the envelope is hashed as written."""
    unsigned = document(SENDER, ["000.00.00.H41"], payload=os.urandom(300_000))
    unsigned = unsigned.replace(b"<Subject>", b"<Subject>!axis-elided-00-0!", 1)
    data = signed(unsigned)
    with mapped(data) as source:
        tree = parse_tree(source)
        assert check_signature(source, tree=tree).digest == check_signature(data).digest
