"""The intake spool: small bodies in memory, large ones in a nameless file, limits on arrival."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from axis.storage.bodies import SpooledBody
from axis.storage.spool import BodyTooLarge, Spool


async def _pieces(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


async def test_a_small_body_stays_in_memory(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", threshold=1000)
    async with spool.receive(_pieces(b"x" * 1000, 100), 10_000) as body:
        assert body == b"x" * 1000
    assert not (tmp_path / "spool").exists()


async def test_a_large_body_is_hashed_into_a_nameless_file(tmp_path: Path) -> None:
    data = os.urandom(300_000)
    spool = Spool(tmp_path / "spool", threshold=1000)
    async with spool.receive(_pieces(data), 1_000_000) as body:
        assert isinstance(body, SpooledBody)
        assert body.size == len(data) and body.sha256 == hashlib.sha256(data).digest()
        assert body.read_at(0, len(data)) == data
        assert list((tmp_path / "spool").iterdir()) == []  # no name, even while open
    assert body.file.closed


async def test_more_than_the_limit_is_refused_on_arrival(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", threshold=1000)
    with pytest.raises(BodyTooLarge) as refused:
        async with spool.receive(_pieces(os.urandom(300_000)), 100_000):
            raise AssertionError("never reached")
    assert refused.value.received > 100_000


def test_the_sweep_removes_named_leftovers_only_when_old(tmp_path: Path) -> None:
    folder = tmp_path / "spool"
    folder.mkdir()
    old, new = folder / "body-old", folder / "body-new"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    os.utime(old, (0, 0))
    assert Spool(folder).sweep() == 1
    assert sorted(p.name for p in folder.iterdir()) == ["body-new"]
