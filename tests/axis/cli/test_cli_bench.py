"""``axis bench`` as cli.md specifies it: a real run, small, with its JSON keys."""

from __future__ import annotations

import json
from typing import Any

from tests.support.processes import run_axis

KEYS = {
    "messages", "size", "workers", "accepted_per_s", "delivered_per_s", "latency_p50_ms",
    "latency_p99_ms", "cpu_s_per_message", "peak_rss_mb", "raw_limit_per_s", "ratio_to_raw",
}  # fmt: skip


def _bench(*options: str) -> dict[str, Any]:
    ran = run_axis(["bench", "--size", "8000", "--workers", "1", "--json", *options], timeout=180)
    assert ran.returncode == 0, ran.stderr
    figures: dict[str, Any] = json.loads(ran.stdout.strip().splitlines()[-1])
    return figures


def test_a_small_bench_reports_every_figure() -> None:
    figures = _bench("--messages", "60", "--concurrency", "4")
    assert figures.keys() >= KEYS
    assert (figures["messages"], figures["size"], figures["workers"]) == (60, 8000, 1)
    # Everything submitted was delivered, so both rates and every latency exist.
    assert figures["accepted_per_s"] > 0 and figures["delivered_per_s"] > 0
    assert 0 < figures["latency_p50_ms"] <= figures["latency_p99_ms"]
    assert 0 < figures["accept_latency_p50_ms"] <= figures["accept_latency_p99_ms"]
    assert figures["cpu_s_per_message"] > 0 and figures["peak_rss_mb"] > 0
    ratio = figures["accepted_per_s"] / figures["raw_limit_per_s"]
    assert abs(figures["ratio_to_raw"] - ratio) <= 0.001


def test_a_paced_bench_keeps_to_its_rate() -> None:
    figures = _bench("--messages", "40", "--rate", "20")
    # 40 submissions at 20/s take at least 1.95 s: the pacing held the rate down.
    assert figures["accepted_per_s"] <= 20.5


def test_the_batch_pull_road_delivers_everything_with_the_same_figures() -> None:
    figures = _bench("--messages", "60", "--concurrency", "4", "--batch")
    assert figures.keys() >= KEYS and figures["pull_road"] == "batch"
    assert figures["delivered_per_s"] > 0
    assert 0 <= figures["latency_p50_ms"] <= figures["latency_p99_ms"]
