"""Geometry of the statistics page's inline SVG charts (no JavaScript, no CDN).

Each function returns plain numbers and strings for the template to place;
the template draws them with ``<rect>``, ``<line>`` and ``<polyline>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from axis.stats.figures import Day, Figures

WIDTH = 600
BAR_HEIGHT = 24
BAR_GAP = 8
LABEL_WIDTH = 200
LINE_HEIGHT = 140
TOP_ROWS = 10


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    organ_id: str
    y: float
    width: float  # the main value (median, or receipt overdue)
    extra_x: float  # where the second mark starts (p90 tick, or due-date bar)
    extra_width: float
    text: str


@dataclass(frozen=True, slots=True)
class BarChart:
    bars: list[Bar]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def hours(seconds: float | None) -> str:
    """A duration as people read it: "45 phút", "5,2 giờ", "3,1 ngày"."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{round(seconds / 60)} phút"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} giờ".replace(".", ",")
    return f"{seconds / 86400:.1f} ngày".replace(".", ",")


def _label(row: Figures) -> str:
    name = row.name or row.organ_id
    return name if len(name) <= 24 else name[:23] + "…"


def slowest_answers(rows: Sequence[Figures]) -> BarChart:
    """The rows slowest to a first status: median bar, 90th percentile tick."""
    measured = [r for r in rows if r.to_01_median_seconds is not None]
    measured.sort(key=lambda r: (-(r.to_01_median_seconds or 0), r.organ_id))
    shown = measured[:TOP_ROWS]
    top = max([r.to_01_p90_seconds or 0 for r in shown] + [1.0])
    scale = (WIDTH - LABEL_WIDTH - 10) / top
    bars = []
    for index, row in enumerate(shown):
        median = row.to_01_median_seconds or 0.0
        p90 = row.to_01_p90_seconds or 0.0
        bars.append(
            Bar(_label(row), row.organ_id, index * (BAR_HEIGHT + BAR_GAP), median * scale,
                p90 * scale, 2.0, f"{hours(median)} (p90 {hours(p90)})")
        )  # fmt: skip
    return BarChart(bars, max(len(bars), 1) * (BAR_HEIGHT + BAR_GAP))


def most_overdue(rows: Sequence[Figures]) -> BarChart:
    """The rows with the most overdue deliveries: receipt, then DueDate, stacked."""
    late = [r for r in rows if r.overdue_receipt + r.overdue_due_date > 0]
    late.sort(key=lambda r: (-(r.overdue_receipt + r.overdue_due_date), r.organ_id))
    shown = late[:TOP_ROWS]
    top = max([r.overdue_receipt + r.overdue_due_date for r in shown] + [1])
    scale = (WIDTH - LABEL_WIDTH - 90) / top  # room for the figures
    bars = []
    for index, row in enumerate(shown):
        bars.append(
            Bar(_label(row), row.organ_id, index * (BAR_HEIGHT + BAR_GAP),
                row.overdue_receipt * scale, row.overdue_receipt * scale,
                row.overdue_due_date * scale,
                f"{row.overdue_receipt} + {row.overdue_due_date}")
        )  # fmt: skip
    return BarChart(bars, max(len(bars), 1) * (BAR_HEIGHT + BAR_GAP))


@dataclass(frozen=True, slots=True)
class LineChart:
    sent: str
    received: str
    top: int
    first: str
    last: str
    width: int = WIDTH
    height: int = LINE_HEIGHT


def per_day(days: Sequence[Day]) -> LineChart:
    top = max([d.sent for d in days] + [d.received for d in days] + [1])
    step = WIDTH / max(len(days) - 1, 1)
    scale = LINE_HEIGHT / top

    def points(values: list[int]) -> str:
        return " ".join(
            f"{index * step:.1f},{LINE_HEIGHT - value * scale:.1f}"
            for index, value in enumerate(values)
        )

    return LineChart(
        points([d.sent for d in days]),
        points([d.received for d in days]),
        top,
        f"{days[0].day:%d/%m}" if days else "",
        f"{days[-1].day:%d/%m}" if days else "",
    )
