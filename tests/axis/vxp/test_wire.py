"""Answers the SDK can read: mandatory fields, ASCII only, no null; the lossy hash."""

from __future__ import annotations

import hashlib
import json

from axis.vxp import wire


def test_lossy_hex_drops_leading_zero_of_each_byte() -> None:
    # vxp-protocol.md §3 worked example 2: the 6 bytes "hello\n".
    assert wire.lossy_hex_sha256(b"hello\n") == (
        "5891b5b522d5df86dff0b110fbd9d21bb4fc7163af34d08286a2e846f6be3"
    )
    assert hashlib.sha256(b"hello\n").hexdigest() != wire.lossy_hex_sha256(b"hello\n")


def test_every_answer_has_the_three_fields_and_is_ascii() -> None:
    encoded = wire.failure(wire.NOT_FOUND, "Thành công", DocId="").encode()
    encoded.decode("ascii")
    body = json.loads(encoded)
    assert body == {"status": "FAIL", "ErrorCode": "404", "ErrorDesc": "Thành công", "DocId": ""}
    assert json.loads(wire.success(count=3).encode())["status"] == "OK"


def test_nulls_become_empty_strings_at_any_depth() -> None:
    answer = wire.success(data=[{"status_desc": None, "x": [None, 1]}])
    assert answer.as_json()["data"] == [{"status_desc": "", "x": ["", 1]}]
