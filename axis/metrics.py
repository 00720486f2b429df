"""Prometheus metrics of the axis.

Counters and histograms live in prometheus_client's default registry. With
``--workers N`` every process counts on its own, so the server gives its
children a shared ``PROMETHEUS_MULTIPROC_DIR`` and a scrape merges the
files there (prometheus_client's multiprocess mode). Gauges of the backlog
are not kept in memory at all: they are read from the database when
scraped, so every worker answers the same.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY

MULTIPROCESS_ENVIRONMENT = "PROMETHEUS_MULTIPROC_DIR"

CONTENT_TYPE = CONTENT_TYPE_LATEST

ACCEPTED = Counter("axis_messages_accepted_total", "Messages accepted by intake.", ["kind"])
REFUSED = Counter("axis_messages_refused_total", "Submissions refused, by code.", ["code"])
DOOR_REFUSED = Counter(
    "axis_door_refusals_total",
    "Requests refused before any agency was known (not in the audit chain), by code.",
    ["code"],
)
RATE_LIMITED = Counter(
    "axis_rate_limited_total", "Requests answered 429, by what was over (source, agency).",
    ["limit"],
)  # fmt: skip
DELIVERIES = Counter(
    "axis_deliveries_total", "Delivery attempts by outcome (delivered, retrying, dead).",
    ["outcome"],
)  # fmt: skip
DELIVERY_LATENCY = Histogram(
    "axis_delivery_latency_seconds",
    "From acceptance to delivery.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400),
)
REQUEST_LATENCY = Histogram(
    "axis_http_request_duration_seconds",
    "HTTP request latency by route and status class.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
SEALED = Counter(
    "axis_messages_sealed_total",
    "Messages accepted without an XML signature from agencies in transition, sealed by the axis.",
    ["organ_id"],
)
GROUP_COMMIT_BATCH = Histogram(
    "axis_group_commit_batch_size",
    "Writes per group-commit transaction, by committer (small batches cost a commit each).",
    ["committer"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)


RELAY_HOPS = Counter(
    "axis_relay_hops_total",
    "Hops to a peer axis (one per message and peer) by outcome: relayed, retrying, dead.",
    ["peer", "outcome"],
)


def record_accepted(kind: str) -> None:
    ACCEPTED.labels(kind=kind).inc()


def record_sealed(organ_id: str) -> None:
    # Labelled by agency: only agencies an operator put in transition ever count.
    SEALED.labels(organ_id=organ_id).inc()


def record_refused(code: str) -> None:
    REFUSED.labels(code=code).inc()


def record_door_refusal(code: str) -> None:
    DOOR_REFUSED.labels(code=code).inc()


def record_rate_limited(limit: str) -> None:
    RATE_LIMITED.labels(limit=limit).inc()


def record_delivery(outcome: str) -> None:
    DELIVERIES.labels(outcome=outcome).inc()


def record_hop(peer: str, outcome: str) -> None:
    # Labelled by peer: peers are few (an axis per province at most).
    RELAY_HOPS.labels(peer=peer, outcome=outcome).inc()


def observe_delivery_latency(seconds: float) -> None:
    DELIVERY_LATENCY.observe(seconds)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(method=method, route=route, status=f"{status // 100}xx").observe(seconds)


def observe_group_commit(committer: str, size: int) -> None:
    GROUP_COMMIT_BATCH.labels(committer=committer).observe(size)


def multiprocess_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    return bool(environ.get(MULTIPROCESS_ENVIRONMENT))


class _BacklogCollector:
    """Backlog gauges from numbers read just before the scrape."""

    def __init__(self, backlog: Mapping[str, int]) -> None:
        self._backlog = backlog

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "axis_deliveries_backlog", "Deliveries not yet done, by transport state.",
            labels=["state"],
        )  # fmt: skip
        for state, count in sorted(self._backlog.items()):
            gauge.add_metric([state], count)
        yield gauge


@dataclass(frozen=True, slots=True)
class TransitionFigure:
    """One agency in transition as /metrics shows it (read from the database at scrape)."""

    organ_id: str
    # The end of its last day, as a Unix time (Prometheus compares it with time()).
    until_timestamp: float
    sealed: int


class _TransitionCollector:
    """Every agency in transition: its end date and how many messages the axis sealed."""

    def __init__(self, transitions: Sequence[TransitionFigure]) -> None:
        self._transitions = transitions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        until = GaugeMetricFamily(
            "axis_transition_until_timestamp_seconds",
            "End of the last day an agency in transition may send unsigned (sealed) envelopes.",
            labels=["organ_id"],
        )
        sealed = GaugeMetricFamily(
            "axis_transition_sealed_messages",
            "Messages the axis has sealed for an agency in transition, since it was let in.",
            labels=["organ_id"],
        )
        for figure in self._transitions:
            until.add_metric([figure.organ_id], figure.until_timestamp)
            sealed.add_metric([figure.organ_id], figure.sealed)
        yield until
        yield sealed


@dataclass(frozen=True, slots=True)
class PeerFigure:
    """One peer axis as /metrics shows it (read from the database at scrape)."""

    peer: str
    # Relay deliveries through it not yet relayed (queued or retrying).
    backlog: int
    dead: int
    # Consecutive failed hops, and whether the push road's circuit for it is open.
    failures: int
    circuit_open: bool
    directory_agencies: int
    directory_synced_timestamp: float | None


# One gauge per PeerFigure field, labelled by peer: (field, metric name, help).
_PEER_GAUGES = (
    ("backlog", "axis_peer_backlog", "Relay deliveries through a peer not yet relayed."),
    ("dead", "axis_peer_dead_deliveries", "Relay deliveries through a peer that went dead."),
    (
        "failures",
        "axis_peer_consecutive_failures",
        "Failed hops to a peer since its last success.",
    ),
    (
        "circuit_open",
        "axis_peer_circuit_open",
        "1 while the circuit to a peer is open or half-open.",
    ),
    (
        "directory_agencies",
        "axis_peer_directory_agencies",
        "Remote agencies in a peer's synced directory.",
    ),
    (
        "directory_synced_timestamp",
        "axis_peer_directory_synced_timestamp_seconds",
        "When a peer's directory was last synced (absent: never).",
    ),
)


class _PeerCollector:
    """Per-peer gauges: backlog, dead, failures, circuit, directory size and last sync."""

    def __init__(self, peers: Sequence[PeerFigure]) -> None:
        self._peers = peers

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = {
            field: GaugeMetricFamily(name, help_text, labels=["peer"])
            for field, name, help_text in _PEER_GAUGES
        }
        for figure in self._peers:
            for field, family in families.items():
                # A field that is None (a directory never synced) leaves its sample out.
                if (value := getattr(figure, field)) is not None:
                    family.add_metric([figure.peer], float(value))
        yield from families.values()


@dataclass(frozen=True, slots=True)
class RetentionFigure:
    """Retention as /metrics shows it; times as Unix times, None when there is none."""

    body_bytes_held: int
    oldest_unsettled_timestamp: float | None
    next_purge_timestamp: float | None
    held_documents: int


class _RetentionCollector:
    def __init__(self, figure: RetentionFigure) -> None:
        self._figure = figure

    def collect(self) -> Iterator[GaugeMetricFamily]:
        figure = self._figure
        yield GaugeMetricFamily(
            "axis_retention_body_bytes",
            "Bytes of message bodies the axis holds (as of the last daily retention run).",
            value=figure.body_bytes_held,
        )
        yield GaugeMetricFamily(
            "axis_retention_held_documents",
            "Documents under an active legal hold (linked documents are held with them).",
            value=figure.held_documents,
        )
        if figure.oldest_unsettled_timestamp is not None:
            yield GaugeMetricFamily(
                "axis_retention_oldest_unsettled_timestamp_seconds",
                "When the oldest delivery not yet acked, discarded or dead was created.",
                value=figure.oldest_unsettled_timestamp,
            )
        if figure.next_purge_timestamp is not None:
            yield GaugeMetricFamily(
                "axis_retention_next_purge_timestamp_seconds",
                "When the next month's bodies are due to be purged.",
                value=figure.next_purge_timestamp,
            )


def exposition(
    backlog: Mapping[str, int],
    transitions: Sequence[TransitionFigure] = (),
    retention: RetentionFigure | None = None,
    peers: Sequence[PeerFigure] = (),
) -> bytes:
    """The text format: this process's (or all workers') metrics plus the backlog, the
    agencies in transition, the retention figures and the peer axes."""
    registry = CollectorRegistry()
    if multiprocess_enabled():
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    backlog_registry = CollectorRegistry()
    backlog_registry.register(_BacklogCollector(backlog))
    backlog_registry.register(_TransitionCollector(transitions))
    if retention is not None:
        backlog_registry.register(_RetentionCollector(retention))
    backlog_registry.register(_PeerCollector(peers))
    return bytes(text) + bytes(generate_latest(backlog_registry))


def mark_process_dead(pid: int) -> None:
    """Called by a supervisor when a worker exits, so its live gauges are dropped."""
    if multiprocess_enabled():
        multiprocess.mark_process_dead(pid)
