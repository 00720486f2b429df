"""Read model of the operators' dashboard, and the dead-letter actions.

Retry and discard of dead deliveries go through ``axis.delivery.dead_letters``
(the delivery engineer's code), so pages and the admin API change a
delivery the same audited way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from axis import metrics
from axis.delivery import dead_letters
from axis.fleet import nodes
from axis.registry import transition
from axis.registry.transition import TransitionAgency
from axis.retention import figures as retention_figures
from axis.retention.figures import RetentionFigures
from axis.storage import sql
from axis.storage.database import Pool

BACKLOG_STATES = ("queued", "retrying", "dead")
BACKLOG_ALERT = 1000
# Operators are warned this many days before an agency's transition ends.
TRANSITION_ALERT_DAYS = 14


@dataclass(frozen=True, slots=True)
class Alert:
    level: str  # "warning" or "critical"
    text: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    minutes: list[datetime]
    documents_in: list[int]
    documents_out: list[int]
    backlog: dict[str, int]
    latency_p50: float | None
    latency_p99: float | None
    latency_count: int
    failing_endpoints: list[dict[str, Any]]
    dead: list[dict[str, Any]]
    refusals: list[dict[str, Any]]
    sha1_agencies: list[dict[str, Any]]
    expiring_certificates: list[dict[str, Any]]
    alerts: list[Alert] = field(default_factory=list)
    # Agencies let in without an XML signature (sealed by the axis), soonest end first.
    transitions: list[TransitionAgency] = field(default_factory=list)
    today: date = field(default_factory=transition.today)
    # The fleet: live nodes first, then those dead or stopped in the last hour.
    nodes: list[nodes.NodeView] = field(default_factory=list)
    # Bytes of bodies held, the oldest unsettled message, the next purge, held documents.
    retention: RetentionFigures | None = None


def _per_minute(rows: list[Any], minutes: list[datetime]) -> list[int]:
    counts = {row["minute"]: int(row["count"]) for row in rows}
    return [counts.get(minute, 0) for minute in minutes]


async def backlog(pool: Pool) -> dict[str, int]:
    async with pool.acquire() as connection:
        rows = await connection.fetch(sql.query("ui_backlog_by_state"))
    counts = dict.fromkeys(BACKLOG_STATES, 0)
    counts.update({row["transport_state"]: int(row["count"]) for row in rows})
    return counts


async def transition_figures(pool: Pool) -> list[metrics.TransitionFigure]:
    """What /metrics shows of the agencies in transition."""
    return [
        metrics.TransitionFigure(agency.organ_id, agency.until_timestamp, agency.sealed)
        for agency in await transition.transition_agencies(pool)
    ]


def _timestamp(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


async def retention_figure(pool: Pool) -> metrics.RetentionFigure:
    """What /metrics shows of retention."""
    figures = await retention_figures.load(pool)
    return metrics.RetentionFigure(
        figures.body_bytes_held,
        _timestamp(figures.oldest_unsettled_at),
        _timestamp(figures.next_purge_at),
        figures.held_documents,
    )


async def load(pool: Pool) -> Dashboard:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    minutes = [now - timedelta(minutes=59 - index) for index in range(60)]
    async with pool.acquire() as connection:
        documents_in = await connection.fetch(sql.query("ui_messages_per_minute"))
        documents_out = await connection.fetch(sql.query("ui_deliveries_per_minute"))
        latency = await connection.fetchrow(sql.query("ui_delivery_latency"))
        failing = await connection.fetch(sql.query("ui_failing_endpoints"))
        dead = await connection.fetch(sql.query("ui_dead_deliveries"))
        refusals = await connection.fetch(sql.query("ui_refusals_by_code"))
        sha1 = await connection.fetch(sql.query("ui_sha1_agencies"))
        expiring = await connection.fetch(sql.query("ui_expiring_certificates"))
    assert latency is not None
    board = Dashboard(
        minutes=minutes,
        documents_in=_per_minute(documents_in, minutes),
        documents_out=_per_minute(documents_out, minutes),
        backlog=await backlog(pool),
        latency_p50=latency["p50"],
        latency_p99=latency["p99"],
        latency_count=int(latency["count"]),
        failing_endpoints=[dict(row) for row in failing],
        dead=[dict(row) for row in dead],
        refusals=[dict(row) for row in refusals],
        sha1_agencies=[dict(row) for row in sha1],
        expiring_certificates=[dict(row) for row in expiring],
        transitions=await transition.transition_agencies(pool),
        retention=await retention_figures.load(pool),
    )
    board.nodes.extend(await nodes.list_nodes(pool))
    board.alerts.extend(alerts_for(board))
    return board


def alerts_for(board: Dashboard) -> list[Alert]:
    alerts = []
    for endpoint in board.failing_endpoints:
        if endpoint["dead"]:
            alerts.append(
                Alert(
                    "critical",
                    f"Điểm nhận {endpoint['recipient_id']} có {endpoint['dead']} "
                    "lần gửi không thành công (dead).",
                )
            )
    waiting = board.backlog.get("queued", 0) + board.backlog.get("retrying", 0)
    if waiting >= BACKLOG_ALERT:
        alerts.append(Alert("warning", f"Hàng đợi đang tăng: {waiting} bản chờ gửi."))
    alerts.extend(_transition_alerts(board))
    for certificate in board.expiring_certificates:
        alerts.append(
            Alert(
                "warning",
                f"Chứng thư số của {certificate['organ_id']} hết hạn ngày "
                f"{certificate['not_after']:%d/%m/%Y}.",
            )
        )
    return alerts


async def retry_dead(pool: Pool, delivery_id: int, actor: str) -> bool:
    """The delivery engineer's dead-letter retry (audited there); False if not dead."""
    try:
        await dead_letters.retry(pool, delivery_id, actor=actor)
    except (dead_letters.DeliveryNotFound, dead_letters.DeliveryNotDead):
        return False
    return True


async def discard_dead(pool: Pool, delivery_id: int, actor: str) -> bool:
    try:
        await dead_letters.discard(pool, delivery_id, actor=actor)
    except (dead_letters.DeliveryNotFound, dead_letters.DeliveryNotDead):
        return False
    return True


def _transition_alerts(board: Dashboard) -> list[Alert]:
    alerts = []
    for agency in board.transitions:
        left = (agency.until - board.today).days
        until = f"{agency.until:%d/%m/%Y}"
        if left < 0:
            text = f"{agency.organ_id} đã hết thời gian chuyển tiếp ({until}): "
            alerts.append(Alert("warning", text + "văn bản chưa ký số bị từ chối."))
        elif left <= TRANSITION_ALERT_DAYS:
            text = f"{agency.organ_id} hết thời gian chuyển tiếp sau {left} ngày ({until}); "
            alerts.append(Alert("warning", text + "văn bản vẫn chưa ký số."))
    return alerts
