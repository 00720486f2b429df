"""``axis stats refresh|agencies|overdue`` against a generated history."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, date, datetime

import asyncpg
import pytest

from axis.cli import main
from tests.support import histories
from tests.support.processes import TEST_SECRET_KEY
from tests.support.stats_expectations import Model, Rules


def _write_history(database_url: str) -> Model:
    agencies = histories.agency_tree(departments=2, units=2)
    documents = list(
        histories.documents(
            random.Random(12), agencies, 300, start=histories.utc(2025, 4, 21), days=10
        )
    )

    async def write() -> None:
        connection = await asyncpg.connect(database_url)
        try:
            await histories.insert_agencies(connection, agencies)
            await histories.insert_documents(connection, documents)
        finally:
            await connection.close()

    asyncio.run(write())
    return Model(agencies, documents, Rules())


def test_refresh_then_read_the_figures(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AXIS_SECRET_KEY", TEST_SECRET_KEY)
    model = _write_history(database_url)

    def axis(*arguments: str) -> tuple[int, str, str]:
        code = main([*arguments, "--database-url", database_url])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    code, out, _ = axis("stats", "refresh")
    assert code == 0 and out.startswith(f"{sum(len(d.deliveries) for d in model.documents)} facts")
    code, out, _ = axis("stats", "agencies", "--from", "2025-04-20", "--to", "2025-05-10", "--json")
    assert code == 0
    now = datetime.now(UTC)
    items = [
        {k: v for k, v in item.items() if k != "in_registry"} for item in json.loads(out)["items"]
    ]
    assert items == [
        model.figures(root, date(2025, 4, 20), date(2025, 5, 10), now) for root in model.roots()
    ]
    code, out, _ = axis("stats", "overdue", "--json", "--limit", "5")
    assert code == 0
    body = json.loads(out)
    assert body["total"] == len(model.overdue(datetime.now(UTC))) and len(body["items"]) == 5
    code, _, err = axis("stats", "agencies", "--from", "tháng tư")
    assert code == 2 and "YYYY-MM-DD" in err
    code, _, err = axis("stats", "agencies", "--parent", "000.00.00.X00")
    assert code == 2 and "000.00.00.X00" in err
