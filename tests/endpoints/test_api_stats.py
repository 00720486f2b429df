"""``/api/v1/stats/...`` over HTTP: who sees what, the figures, and the CSV exports."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from axis.runtime import Runtime
from axis.stats.refresh import refresh_with
from endpoints import api_stats
from endpoints.keys import RUNTIME
from endpoints.problems import problem_middleware
from tests.support import histories
from tests.support.histories import AgencyRecord
from tests.support.stats_expectations import Model, Rules, local_day

OPERATOR = {"Authorization": "Bearer operator-token"}
# H53 with two departments (one with a unit), and G01 outside it.
AGENCIES = (
    AgencyRecord("000.00.00.H53", "UBND tỉnh H53", None),
    AgencyRecord("000.00.01.H53", "Sở Nội vụ", "000.00.00.H53"),
    AgencyRecord("000.01.01.H53", "Phòng Tổ chức", "000.00.01.H53"),
    AgencyRecord("000.00.02.H53", "Sở Tài chính", "000.00.00.H53"),
    AgencyRecord("000.00.00.G01", "Bộ Ngoại giao", None),
)
PERIOD = {"from": "2025-04-20", "to": "2025-05-20"}

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def secrets(runtime: Runtime) -> dict[str, str]:
    issued = {}
    for agency in AGENCIES:
        credentials = await runtime.registry.add(
            agency.organ_id, agency.name, parent_id=agency.parent_id, actor="test"
        )
        issued[agency.organ_id] = credentials.secret
    return issued


@pytest.fixture
async def model(runtime: Runtime, secrets: dict[str, str]) -> Model:
    documents = list(
        histories.documents(
            random.Random(5),
            AGENCIES,
            600,
            start=histories.utc(2025, 4, 21),
            days=20,
            silent=frozenset({"000.00.02.H53"}),
        )
    )
    async with runtime.pool.acquire() as connection:
        await histories.insert_documents(connection, documents)
    await refresh_with(runtime.pool, runtime.settings)
    return Model(AGENCIES, documents, Rules())


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[Client]:
    app = web.Application(middlewares=[problem_middleware])
    app[RUNTIME] = runtime
    api_stats.add_routes(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def _get(
    client: Client, path: str, headers: dict[str, str], status: int = 200, /, **query: str
) -> Any:
    async with client.get(path, headers=headers, params=query) as response:
        body = await response.json(content_type=None)
        assert response.status == status, body
        return body


def _expected(model: Model, organ_id: str, rollup: bool = True) -> dict[str, Any]:
    first = datetime.fromisoformat(PERIOD["from"]).date()
    last = datetime.fromisoformat(PERIOD["to"]).date()
    return model.figures(organ_id, first, last, datetime.now(UTC), rollup=rollup)


def _without_registry_flag(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "in_registry"}


async def test_operator_sees_the_roots_rolled_up(client: Client, model: Model) -> None:
    body = await _get(client, "/api/v1/stats/agencies", OPERATOR, **PERIOD)
    assert body["period"] == {**PERIOD, "time_zone": "Asia/Ho_Chi_Minh"}
    assert body["refreshed_at"] is not None
    assert [_without_registry_flag(row) for row in body["items"]] == [
        _expected(model, "000.00.00.G01"),
        _expected(model, "000.00.00.H53"),
    ]
    children = await _get(
        client,
        "/api/v1/stats/agencies",
        OPERATOR,
        parent="000.00.00.H53",
        include_idle="true",
        **PERIOD,
    )
    assert [row["organ_id"] for row in children["items"]] == ["000.00.01.H53", "000.00.02.H53"]
    assert children["items"][0]["agencies"] == 2
    flat = await _get(
        client, "/api/v1/stats/agencies", OPERATOR, flat="true", sort="to_01", **PERIOD
    )
    medians = [row["to_01_median_seconds"] for row in flat["items"]]
    # Slowest first; the silent department has no answers, so no median, and comes last.
    assert len(medians) == 5 and medians[-1] is None
    assert medians[:-1] == sorted(medians[:-1], reverse=True)
    assert all(row["rollup"] == "own" and row["agencies"] == 1 for row in flat["items"])


async def test_an_agency_sees_its_subtree_only(
    client: Client, model: Model, secrets: dict[str, str]
) -> None:
    department = bearer(secrets["000.00.01.H53"])
    body = await _get(client, "/api/v1/stats/agencies", department, **PERIOD)
    assert [_without_registry_flag(r) for r in body["items"]] == [_expected(model, "000.00.01.H53")]
    unit = await _get(client, "/api/v1/stats/agencies/000.01.01.H53", department, **PERIOD)
    assert _without_registry_flag(unit["own"]) == _expected(model, "000.01.01.H53", False)
    assert sum(day["received"] for day in unit["days"]) == unit["subtree"]["received"]
    for path, query in (
        ("/api/v1/stats/agencies/000.00.00.H53", {}),  # its parent
        ("/api/v1/stats/agencies/000.00.02.H53", {}),  # its sibling
        ("/api/v1/stats/agencies", {"parent": "000.00.00.H53"}),
        ("/api/v1/stats/overdue", {"sender": "000.00.00.G01"}),
    ):
        problem = await _get(client, path, department, 403, **query)
        assert problem["code"] == "stats.outside_subtree"
    outsider = bearer(secrets["000.00.00.G01"])
    problem = await _get(client, "/api/v1/stats/agencies/000.01.01.H53", outsider, 403)
    assert problem["code"] == "stats.outside_subtree"
    problem = await _get(client, "/api/v1/stats/agencies/000.09.09.H53", OPERATOR, 404)
    assert problem["code"] == "agency.unknown"
    assert (await _get(client, "/api/v1/stats/agencies", {}, 401))["code"] == "auth.missing"
    assert (await _get(client, "/api/v1/stats/silent", bearer("nope"), 401))["code"] == (
        "auth.invalid"
    )


async def test_overdue_lists_follow_the_side_and_the_subtree(
    client: Client, model: Model, secrets: dict[str, str]
) -> None:
    department = bearer(secrets["000.00.01.H53"])
    mine = model.members("000.00.01.H53")
    now = datetime.now(UTC)
    for side, senders, recipients in (("sent", mine, None), ("received", None, mine)):
        expected = model.overdue(now, senders=senders, recipients=recipients)
        seen = set()
        cursor = None
        while True:
            query = {"side": side, "limit": "40", **({"cursor": cursor} if cursor else {})}
            body = await _get(client, "/api/v1/stats/overdue", department, **query)
            assert body["total"] == len(expected)
            seen |= {(item["message_id"], item["recipient_id"]) for item in body["items"]}
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == set(expected)
    everything = await _get(client, "/api/v1/stats/overdue", OPERATOR, limit="1")
    assert everything["total"] == len(model.overdue(now))
    one = await _get(client, "/api/v1/stats/overdue", OPERATOR, recipient="000.00.02.H53")
    assert one["total"] == len(model.overdue(now, recipients={"000.00.02.H53"}))
    problem = await _get(client, "/api/v1/stats/overdue", OPERATOR, 400, cursor="!!")
    assert problem["code"] == "query.invalid_cursor"


async def test_silent_agencies(client: Client, model: Model, secrets: dict[str, str]) -> None:
    body = await _get(client, "/api/v1/stats/silent", OPERATOR, **PERIOD)
    first = datetime.fromisoformat(PERIOD["from"]).date()
    last = datetime.fromisoformat(PERIOD["to"]).date()
    assert (
        {row["organ_id"] for row in body["items"]} == model.silent(first, last) == {"000.00.02.H53"}
    )
    department = bearer(secrets["000.00.01.H53"])
    assert (await _get(client, "/api/v1/stats/silent", department, **PERIOD))["items"] == []


async def test_csv_exports_carry_a_bom_and_the_same_figures(client: Client, model: Model) -> None:
    async with client.get(
        "/api/v1/stats/agencies",
        headers=OPERATOR,
        params={**PERIOD, "format": "csv", "flat": "true"},
    ) as response:
        assert response.status == 200
        assert response.content_type == "text/csv" and response.charset == "utf-8"
        assert "attachment" in response.headers["Content-Disposition"]
        data = await response.read()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))
    assert len(rows) == 5
    for row in rows:
        expected = _expected(model, row["organ_id"], rollup=False)
        assert row["name"] == expected["name"]
        assert int(row["received"]) == expected["received"]
        median = expected["to_01_median_seconds"]
        assert row["to_01_median_seconds"] == ("" if median is None else repr(median))
    async with client.get(
        "/api/v1/stats/agencies/000.00.00.H53",
        headers=OPERATOR,
        params={**PERIOD, "format": "csv", "labels": "vi"},
    ) as response:
        text = (await response.read()).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["Ngày", "Văn bản gửi", "Văn bản nhận", "Đã chuyển đến"]
    assert len(lines) == 1 + 31
    province = model.members("000.00.00.H53")
    sent = sum(
        1
        for d in model.documents
        if d.sender_id in province and local_day(d.accepted_at).isoformat() >= PERIOD["from"]
    )
    assert 0 < sent < len(model.documents)
    assert sum(int(line[1]) for line in lines[1:]) == sent


async def test_bad_queries_are_problems(client: Client, model: Model) -> None:
    for query, code in (
        ({"from": "2025-05-02", "to": "2025-05-01"}, "query.invalid_period"),
        ({"from": "hôm qua"}, "query.invalid_period"),
        ({"sort": "name; drop"}, "query.invalid_sort"),
        ({"flat": "maybe"}, "query.invalid"),
        ({"format": "xlsx"}, "query.invalid"),
        ({"flat": "true", "parent": "000.00.00.H53"}, "query.invalid"),
    ):
        problem = await _get(client, "/api/v1/stats/agencies", OPERATOR, 400, **query)
        assert problem["code"] == code, query
