"""``GET /metrics``: Prometheus text that a parser accepts, with live numbers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from axis import metrics
from tests.support.ui_pages import Pages, running_pages


@pytest.fixture
async def pages(database_url: str) -> AsyncIterator[Pages]:
    async with running_pages(database_url) as running:
        yield running


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def _scrape(pages: Pages) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as http, http.get(pages.base_url + "/metrics") as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
        return _samples(await answer.text())


async def test_metrics_parse_and_show_backlog_counters_and_latency(pages: Pages) -> None:
    before = await _scrape(pages)
    message_id = await pages.send_document("V/v đo đếm")
    batches = ("axis_group_commit_batch_size_sum", (("committer", "intake"),))
    await pages.broker.pool.execute(
        "UPDATE deliveries SET transport_state = 'dead' WHERE message_id = $1", message_id
    )
    metrics.record_refused("signature.invalid")
    metrics.record_delivery("dead")
    metrics.observe_delivery_latency(0.2)
    after = await _scrape(pages)
    assert after[("axis_deliveries_backlog", (("state", "dead"),))] == 1
    assert after[("axis_deliveries_backlog", (("state", "queued"),))] == 0
    refused = ("axis_messages_refused_total", (("code", "signature.invalid"),))
    assert after[refused] == before.get(refused, 0) + 1
    count = ("axis_delivery_latency_seconds_count", ())
    assert after[count] == before.get(count, 0) + 1
    # The accepted document was one write of an intake group commit.
    assert after[batches] >= before.get(batches, 0) + 1
    # The first scrape itself went through the latency middleware, by route pattern.
    requests = ("axis_http_request_duration_seconds_count",
                (("method", "GET"), ("route", "/metrics"), ("status", "2xx")))  # fmt: skip
    assert after[requests] >= 1


def test_multiprocess_mode_merges_files_of_the_workers(tmp_path: Path) -> None:
    # Two worker processes counting into one folder; a scrape merges them.
    import subprocess
    import sys

    script = (
        "from axis import metrics; metrics.record_accepted('edoc'); metrics.record_accepted('edoc')"
    )
    environment = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", script], env=environment, check=True)
    merged = subprocess.run(
        [sys.executable, "-c", "from axis import metrics; "
         "import sys; sys.stdout.write(metrics.exposition({'queued': 3}).decode())"],
        env=environment, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    samples = _samples(merged)
    assert samples[("axis_messages_accepted_total", (("kind", "edoc"),))] == 4
    assert samples[("axis_deliveries_backlog", (("state", "queued"),))] == 3


async def test_a_server_with_two_workers_counts_every_request_once(
    database_url: str, tmp_path: Path
) -> None:
    import asyncio
    import urllib.request

    from tests.support.processes import start_server

    server = start_server(["--workers", "2", "--database-url", database_url], tmp_path / "log")
    try:
        await asyncio.to_thread(server.wait_ready)

        def scrape() -> str:
            # A new connection each time, so SO_REUSEPORT spreads them over both workers.
            with urllib.request.urlopen(server.base_url + "/metrics", timeout=10) as answer:
                return str(answer.read().decode())

        scrapes = 20
        for _ in range(scrapes):
            await asyncio.to_thread(scrape)
        samples = _samples(await asyncio.to_thread(scrape))
    finally:
        await asyncio.to_thread(server.stop)
    key = ("axis_http_request_duration_seconds_count",
           (("method", "GET"), ("route", "/metrics"), ("status", "2xx")))  # fmt: skip
    # Each worker saw only some scrapes; the merged count has them all.
    assert samples[key] == scrapes


def test_the_grafana_dashboard_asks_only_for_metrics_the_axis_exports() -> None:
    import json
    import re

    import endpoints.ui

    board = json.loads(
        (Path(endpoints.ui.__file__).parent / "grafana" / "axis-dashboard.json").read_text()
    )
    exported = {
        family.name for family in text_string_to_metric_families(
            metrics.exposition({"queued": 0}).decode()
        )
    }  # fmt: skip
    asked = {
        name
        for panel in board["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b(axis_[a-z_]+)", target["expr"])
    }
    suffixes = ("_total", "_bucket", "_count", "_sum")
    base = {next((n[: -len(s)] for s in suffixes if n.endswith(s)), n) for n in asked}
    assert base and base <= exported, base - exported
