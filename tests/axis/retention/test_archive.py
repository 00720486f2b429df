"""Export, verify, purge and restore of monthly bundles, and every tampering case."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import timedelta
from pathlib import Path

import pytest

from axis.audit.chain import verify_chain
from axis.retention import bundle, holds
from axis.retention.export import ExportRefused, export_month
from axis.retention.months import Month
from axis.retention.policy import Policy
from axis.retention.purge import PurgeRefused, purge_month
from axis.retention.restore import RestoreRefused, restore
from axis.storage.database import Pool
from signing.seal import SealKey
from tests.support.retention_data import (
    OTHER,
    RECIPIENT,
    add_agencies,
    add_message,
    audit_at,
    body_of,
    utc,
)

JANUARY = Month(2026, 1)
# Well past January plus the 90 days bodies are kept after settling.
LATER = utc(2026, 6, 1)


@pytest.fixture
async def january(pool: Pool) -> list[str]:
    """Three settled documents of January 2026 and one of February, with audit entries."""
    async with pool.acquire() as connection:
        await add_agencies(connection)
        ids = [
            await add_message(connection, utc(2026, 1, day), body=f"<b>{day}</b>".encode())
            for day in (3, 15, 31)
        ]
        await add_message(connection, utc(2026, 2, 1))
        for day in (2, 3, 15, 31):
            await audit_at(connection, utc(2026, 1, day), f"january-{day}")
        await audit_at(connection, utc(2026, 2, 2), "february")
    return ids


async def _export(pool: Pool, out: Path, key: SealKey) -> Path:
    exported = await export_month(pool, JANUARY, out / "bundles", key, now=LATER, actor="operator")
    assert exported.messages == 3 and exported.bodies == 3
    return exported.path


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as archive:
        return {
            m.name: archive.extractfile(m).read()  # type: ignore[union-attr]
            for m in archive.getmembers()
        }


def _rewrite(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, mode="w:") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


async def test_a_bundle_holds_the_month_and_verifies_alone(
    pool: Pool, january: list[str], tmp_path: Path, seal_key: SealKey
) -> None:
    path = await _export(pool, tmp_path, seal_key)
    verified = bundle.verify(path)
    assert verified.month == "2026-01" and verified.bodies == 3
    assert verified.key_fingerprint == seal_key.fingerprint
    # Four January entries; sealed in one run each, so the segment is exactly them.
    assert verified.chain_entries == 4
    members = _members(path)
    assert members[f"bodies/{january[0]}"] == b"<b>3</b>"  # byte-exact
    manifest = json.loads(members["manifest.json"])
    first = manifest["messages"][0]
    assert first["id"] == january[0] and first["recipients"][0]["organ_id"] == RECIPIENT
    assert first["recipients"][0]["acked_at"] is not None
    chain = json.loads(members["chain.json"])
    assert chain["after"] is not None  # links to February's first seal
    async with pool.acquire() as connection:
        recorded = await connection.fetchval("SELECT count(*) FROM archive_bundles")
        audited = await connection.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'retention.export'"
        )
    assert recorded == 1 and audited == 1


async def test_an_open_month_is_not_exported(pool: Pool, tmp_path: Path, seal_key: SealKey) -> None:
    with pytest.raises(ExportRefused, match="still open"):
        await export_month(
            pool, JANUARY, tmp_path / "bundles", seal_key, now=utc(2026, 1, 31), actor="op"
        )
    assert not (tmp_path / "bundles").exists()


async def test_a_changed_body_is_named(
    pool: Pool, january: list[str], tmp_path: Path, seal_key: SealKey
) -> None:
    path = await _export(pool, tmp_path, seal_key)
    members = _members(path)
    name = f"bodies/{january[1]}"
    members[name] = _flip(members[name], 2)
    _rewrite(path, members)
    with pytest.raises(bundle.BundleFault, match=f"body of message {january[1]} does not match"):
        bundle.verify(path)


async def test_a_changed_manifest_fails_its_signature(
    pool: Pool, january: list[str], tmp_path: Path, seal_key: SealKey
) -> None:
    path = await _export(pool, tmp_path, seal_key)
    members = _members(path)
    members["manifest.json"] = members["manifest.json"].replace(b'"size":8', b'"size":9', 1)
    _rewrite(path, members)
    with pytest.raises(bundle.BundleFault, match="signature does not verify"):
        bundle.verify(path)


async def test_a_changed_chain_segment_is_named(
    pool: Pool, january: list[str], tmp_path: Path, seal_key: SealKey
) -> None:
    path = await _export(pool, tmp_path, seal_key)
    members = _members(path)
    members["chain.json"] = members["chain.json"].replace(b"january-15", b"january-16")
    _rewrite(path, members)
    with pytest.raises(bundle.BundleFault, match=r"chain\.json is not the chain segment"):
        bundle.verify(path)


def test_a_chain_segment_changed_inside_is_named_by_row() -> None:
    """The walk itself (as for a re-signed manifest): the first changed row is named."""
    from datetime import UTC, datetime

    from axis.audit.chain import GENESIS_HASH, entry_hash

    rows, previous = [], GENESIS_HASH
    for position, subject in enumerate(("a", "b", "c"), start=1):
        at = datetime(2026, 1, position, tzinfo=UTC)
        row = {"id": 10 + position, "legacy": False, "at": at, "actor": "x",
               "action": "message.accept", "subject": subject, "detail": {}}  # fmt: skip
        digest = entry_hash(previous, row)
        rows.append({**row, "at": at.isoformat(), "position": position,
                     "previous_hash": previous.hex(), "hash": digest.hex()})  # fmt: skip
        previous = digest
    chain = {"before": {"position": 0, "hash": GENESIS_HASH.hex()}, "entries": rows,
             "after": None}  # fmt: skip
    assert bundle.check_chain(chain) == 3
    rows[1]["subject"] = "changed"
    with pytest.raises(bundle.BundleFault, match="audit row 12 was changed"):
        bundle.check_chain(chain)
    rows[1]["subject"] = "b"
    del rows[1]
    with pytest.raises(bundle.BundleFault, match="breaks at audit row 13"):
        bundle.check_chain(chain)


@pytest.mark.parametrize("keep", [600, 0.5, -1])
async def test_a_truncated_bundle_is_named(
    pool: Pool, january: list[str], tmp_path: Path, seal_key: SealKey, keep: float
) -> None:
    """Cut inside the first body, in the middle, and by its last byte (in the padding)."""
    path = await _export(pool, tmp_path, seal_key)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else int(keep)])
    with pytest.raises(bundle.BundleFault, match="truncated"):
        bundle.verify(path)


def test_a_file_that_is_not_a_bundle(tmp_path: Path) -> None:
    (tmp_path / "x.tar").write_bytes(b"not a tar file at all" * 100)
    with pytest.raises(bundle.BundleFault):
        bundle.verify(tmp_path / "x.tar")
    with pytest.raises(bundle.BundleFault, match="no bundle"):
        bundle.verify(tmp_path / "missing.tar")


async def test_purge_needs_a_verified_bundle(
    pool: Pool, january: list[str], tmp_path: Path, seal_key: SealKey
) -> None:
    with pytest.raises(PurgeRefused, match="no verified bundle"):
        await purge_month(pool, JANUARY, Policy(), now=LATER, actor="op", bundle_path=None)
    path = await _export(pool, tmp_path, seal_key)
    members = _members(path)
    members[f"bodies/{january[0]}"] = b"<b>4</b>"
    broken = tmp_path / "broken.tar"
    _rewrite(broken, members)
    with pytest.raises(bundle.BundleFault):
        await purge_month(pool, JANUARY, Policy(), now=LATER, actor="op", bundle_path=broken)
    async with pool.acquire() as connection:
        assert await body_of(connection, january[0]) == b"<b>3</b>"  # nothing lost


async def test_purge_then_restore_round_trip(
    pool: Pool, january: list[str], tmp_path: Path, seal_key: SealKey
) -> None:
    path = await _export(pool, tmp_path, seal_key)
    purged = await purge_month(pool, JANUARY, Policy(), now=LATER, actor="op", bundle_path=path)
    assert purged.bodies == 3 and purged.bundle == path.name
    async with pool.acquire() as connection:
        assert [await body_of(connection, i) for i in january] == [None, None, None]
        # Metadata and the chain stay: the audit chain verifies across the purge.
        assert await connection.fetchval("SELECT count(*) FROM deliveries") == 4
        assert (await verify_chain(connection)).intact
    restored = await restore(pool, path, seal_key, now=LATER, actor="op")
    assert restored.bodies == 3 and restored.month == "2026-01"
    async with pool.acquire() as connection:
        assert await body_of(connection, january[2]) == b"<b>31</b>"
        assert (await verify_chain(connection)).intact
    # Everything is back: a second restore would overwrite, so it is refused.
    with pytest.raises(RestoreRefused, match="already held"):
        await restore(pool, path, seal_key, now=LATER, actor="op")


async def test_restore_of_another_axis_bundle_is_refused(
    pool: Pool, january: list[str], tmp_path: Path, seal_key: SealKey
) -> None:
    path = await _export(pool, tmp_path, seal_key)
    await purge_month(pool, JANUARY, Policy(), now=LATER, actor="op", bundle_path=path)
    with pytest.raises(RestoreRefused, match="another axis"):
        await restore(pool, path, SealKey.generate(), now=LATER, actor="op")
    async with pool.acquire() as connection:
        assert await body_of(connection, january[0]) is None


async def test_holds_unsettled_and_not_yet_due_bodies_stay(
    pool: Pool, tmp_path: Path, seal_key: SealKey
) -> None:
    async with pool.acquire() as connection:
        await add_agencies(connection)
        held = await add_message(connection, utc(2026, 1, 5))
        revocation = await add_message(connection, utc(2026, 1, 6), acts_on=held)
        answer = await add_message(
            connection, utc(2026, 1, 7), kind="status", answers=held, sender=RECIPIENT,
            recipients={OTHER: "acked"},
        )  # fmt: skip
        open_one = await add_message(connection, utc(2026, 1, 8), recipients={OTHER: "queued"})
        late = await add_message(connection, utc(2026, 1, 9), settled_after=timedelta(days=80))
        free = await add_message(connection, utc(2026, 1, 10))
    await holds.place(pool, held, "Inquiry 12/2026", "op", utc(2026, 3, 1))
    path = (await export_month(pool, JANUARY, tmp_path, seal_key, now=LATER, actor="op")).path
    # 2026-06-01: 90 days after settling has passed for all but ``late`` (settled 2026-03-30).
    purged = await purge_month(pool, JANUARY, Policy(), now=LATER, actor="op", bundle_path=path)
    assert (purged.bodies, purged.kept_held, purged.kept_unsettled, purged.kept_not_due) == (
        1, 3, 1, 1,
    )  # fmt: skip
    async with pool.acquire() as connection:
        for kept in (held, revocation, answer, open_one, late):
            assert await body_of(connection, kept) is not None
        assert await body_of(connection, free) is None


async def test_a_hold_placed_after_the_purge_was_planned_still_keeps_its_body(
    pool: Pool, january: list[str]
) -> None:
    from axis.retention.purge import _carry_out, plan_month

    decided = await plan_month(pool, JANUARY, Policy(), LATER)
    assert len(decided.purge) == 3
    await holds.place(pool, january[1], "Late inquiry", "op", LATER)
    purged = await _carry_out(pool, decided, None, None, now=LATER, actor="op")
    assert (purged.bodies, purged.kept_held) == (2, 1)
    async with pool.acquire() as connection:
        assert await body_of(connection, january[1]) == b"<b>15</b>"
