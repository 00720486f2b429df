from __future__ import annotations

import pytest

from axis.storage import sql


def test_named_blocks_split_on_name_lines() -> None:
    blocks = sql.parse_named_blocks(
        "-- name: first\nSELECT 1\n\n-- name: second\nSELECT 2\nFROM t\n"
    )
    assert blocks == {"first": "SELECT 1", "second": "SELECT 2\nFROM t"}


def test_duplicate_block_is_an_error() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        sql.parse_named_blocks("-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n")


def test_packaged_queries_load() -> None:
    assert sql.query("ping") == "SELECT 1"
