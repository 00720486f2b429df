"""The transition policy in the registry: off by default, per agency, with an end date."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from axis.registry import transition
from axis.registry.agencies import Registry
from axis.registry.secret_box import SecretBox
from axis.storage.database import Pool, create_pool

AGENCY = "000.00.00.G22"


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    opened = await create_pool(database_url, 2)
    registry = Registry(opened, SecretBox.from_passphrase("test"))
    await registry.add(AGENCY, "Văn phòng Chính phủ")
    await registry.add("000.00.00.H41", "UBND tỉnh Nghệ An")
    try:
        yield opened
    finally:
        await opened.close()


async def test_no_agency_is_in_transition_unless_an_operator_says_so(pool: Pool) -> None:
    assert await transition.transition_of(pool, AGENCY) is None
    assert await transition.transition_agencies(pool) == []


async def test_the_end_date_is_inclusive_and_can_move_or_end(pool: Pool) -> None:
    until = date(2027, 3, 31)
    await transition.set_transition(pool, AGENCY, until, actor="ops")
    policy = await transition.transition_of(pool, AGENCY)
    assert policy is not None and policy.until == until
    assert policy.open_on(until) and not policy.open_on(until + timedelta(days=1))
    await transition.set_transition(pool, AGENCY, until + timedelta(days=30), actor="ops")
    listed = await transition.transition_agencies(pool)
    assert [(a.organ_id, a.until, a.sealed, a.set_by) for a in listed] == [
        (AGENCY, until + timedelta(days=30), 0, "ops")
    ]
    assert listed[0].as_json(until)["open"] is True
    assert await transition.clear_transition(pool, AGENCY)
    assert not await transition.clear_transition(pool, AGENCY)
    assert await transition.transition_of(pool, AGENCY) is None


def test_the_end_of_the_day_is_in_the_axis_calendar() -> None:
    policy = transition.TransitionAgency(
        AGENCY, "VPCP", date(2027, 1, 1), "ops", datetime.now(UTC), 0, None
    )
    # 2027-01-01 23:59:59.999999 at UTC+7 is 16:59:59.999999 UTC.
    assert policy.open_on(date(2027, 1, 1))
    end = datetime(2027, 1, 1, 16, 59, 59, 999999, tzinfo=UTC)
    assert policy.until_timestamp == pytest.approx(end.timestamp())
