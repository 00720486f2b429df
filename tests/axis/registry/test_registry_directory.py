"""The directory at national scale: 120,000 agencies, paged, filtered and searched.

Agencies are bulk-loaded with COPY (not registered one by one); the test
checks that keyset pages cover every agency exactly once and in order, and
prints per-page query times (measured, not asserted: machines differ).
Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import os
import statistics
import time

from axis.registry.agencies import Registry
from axis.registry.secret_box import SecretBox
from axis.storage.database import Pool
from envelope.organ_id import parent_of

PROVINCES = 12
AGENCY_COUNT = PROVINCES * 100 * 100


def national_organ_ids() -> list[str]:
    """``000.bb.cc.Hpp`` for 12 provinces: level-1 bodies, level-2 and level-3 units."""
    return [
        f"000.{b:02d}.{c:02d}.H{p:02d}"
        for p in range(10, 10 + PROVINCES)
        for b in range(100)
        for c in range(100)
    ]


async def bulk_register(pool: Pool, organ_ids: list[str]) -> None:
    records = [
        (
            organ_id,
            f"Cơ quan {organ_id[-3:]} số {index}",
            parent_of(organ_id),
            organ_id,
            os.urandom(40),  # not a real secret: these agencies never authenticate
            os.urandom(32),
            None if index % 3 else f"https://dms{index}.example/edxml",
        )
        for index, organ_id in enumerate(organ_ids)
    ]
    async with pool.acquire() as connection:
        await connection.copy_records_to_table(
            "agencies",
            records=records,
            columns=[
                "organ_id",
                "name",
                "parent_id",
                "system_id",
                "secret_ciphertext",
                "secret_lookup",
                "endpoint_url",
            ],
        )
        await connection.execute("ANALYZE agencies")


def _report(label: str, timings: list[float]) -> None:
    ms = sorted(t * 1000 for t in timings)
    print(
        f"\n{label}: {len(ms)} pages, median {statistics.median(ms):.2f} ms, "
        f"p95 {ms[int(len(ms) * 0.95) - 1]:.2f} ms, max {ms[-1]:.2f} ms"
    )


async def test_120000_agencies_page_completely_and_in_order(pool: Pool) -> None:
    registry = Registry(pool, SecretBox.from_passphrase("test"))
    organ_ids = national_organ_ids()
    started = time.perf_counter()
    await bulk_register(pool, organ_ids)
    print(f"\nbulk COPY of {AGENCY_COUNT} agencies: {time.perf_counter() - started:.2f} s")

    seen: list[str] = []
    timings: list[float] = []
    cursor: str | None = None
    while True:
        started = time.perf_counter()
        page = await registry.directory(limit=100, cursor=cursor)
        timings.append(time.perf_counter() - started)
        seen += [agency.organ_id for agency in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(organ_ids)
    assert len(timings) == AGENCY_COUNT // 100
    _report("directory, limit=100, whole registry", timings)

    # One parent's children, as envelope.organ_id.parent_of derives them.
    children = await registry.directory(parent_id="000.00.00.H15", limit=1000)
    expected = sorted(o for o in organ_ids if parent_of(o) == "000.00.00.H15")
    assert len(expected) == 198
    assert [a.organ_id for a in children.items] == expected
    assert children.next_cursor is None

    timings = []
    for p in range(10, 10 + PROVINCES):
        started = time.perf_counter()
        await registry.directory(parent_id=f"000.05.00.H{p:02d}", limit=100)
        timings.append(time.perf_counter() - started)
    _report("directory, parent filter", timings)

    # Search: an OrganId prefix and a case-insensitive name prefix, paged.
    found: list[str] = []
    timings = []
    cursor = None
    while True:
        started = time.perf_counter()
        page = await registry.directory(q="000.07.", limit=250, cursor=cursor)
        timings.append(time.perf_counter() - started)
        found += [a.organ_id for a in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert found == sorted(o for o in organ_ids if o.startswith("000.07."))
    _report("directory, q=OrganId prefix (1,200 matches)", timings)

    timings = []
    for term in ("CƠ QUAN H12 SỐ 24242", "cơ quan h20 số 1", "Cơ quan H11 số 1999"):
        started = time.perf_counter()
        page = await registry.directory(q=term, limit=100)
        timings.append(time.perf_counter() - started)
        wanted = term.lower()
        assert page.items, term
        assert all(a.name.lower().startswith(wanted) for a in page.items)
    _report("directory, q=name prefix", timings)
    rare = await registry.directory(q="CƠ QUAN h12 số 24242")
    assert [a.organ_id for a in rare.items] == [organ_ids[24242]]
