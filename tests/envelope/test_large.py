"""Large envelopes: attachments are read in place, and 100 MB parses under 3x its size."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.envelope_parse import envelope_of_size, measure_in_child
from envelope import Document, build, parse, validate
from envelope.payload_locator import IN_PLACE_THRESHOLD


def _document(data: bytes) -> Document:
    message = parse(data)
    assert isinstance(message, Document)
    return message


def test_a_large_envelope_reads_the_same_values_as_a_small_one() -> None:
    data = envelope_of_size(3 * IN_PLACE_THRESHOLD)
    document = _document(data)
    assert document == _document(build(document))
    assert validate(document) == ()
    attachment = document.attachments[0]
    decoded = attachment.decode()
    assert attachment.size == len(decoded)
    assert decoded[:256] == bytes(range(256))


def test_a_large_envelope_with_cdata_falls_back_to_the_tree() -> None:
    data = envelope_of_size(2 * IN_PLACE_THRESHOLD)
    start = data.index(b"<ContentTransferEncoded>") + len(b"<ContentTransferEncoded>")
    end = data.index(b"</ContentTransferEncoded>")
    wrapped = data[:start] + b"<![CDATA[" + data[start:end] + b"]]>" + data[end:]
    assert _document(wrapped) == _document(data)


@pytest.mark.slow
def test_100_mb_envelope_parses_under_three_times_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.edxml"
    path.write_bytes(envelope_of_size(100_000_000))
    result = measure_in_child(str(path))
    assert result["bytes"] >= 99_000_000
    assert result["attachment_bytes"] >= 74_000_000
    assert result["peak_ratio"] < 3.0, result
