"""Accountability pages: the operators' ranking (Thống kê trách nhiệm) with charts
and CSV, and the overdue lists (Văn bản quá hạn) for operators and for clerks.

Sorting is by links (server-side), charts are inline SVG, so the pages work
without JavaScript. A clerk's list shows its own agency's deliveries: those
it sent and a recipient has let slip (the default), or those it received
and has let slip itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from axis.boundary import CURSOR, ORGAN_ID
from axis.errors import AxisError
from axis.stats import csv_export as stats_csv
from axis.stats import deadlines
from axis.stats import figures as stats
from axis.working_days import TIME_ZONE
from endpoints.boundary import query_value
from endpoints.keys import RUNTIME
from endpoints.ui import session as ui_session
from endpoints.ui import stats_charts

# Column headers of the ranking, with the sort key each one orders by.
RANKING_COLUMNS = (
    ("sent", "Gửi"),
    ("received", "Nhận"),
    ("to_01", "Trung vị đến 01"),
    ("to_01_p90", "P90 đến 01"),
    ("to_03", "Trung vị đến 03"),
    ("to_06", "Trung vị đến 06"),
    ("rejected", "Tỷ lệ từ chối"),
    ("overdue_receipt", "Quá hạn phản hồi"),
    ("overdue_due_date", "Quá hạn xử lý"),
    ("silent", "Đơn vị im lặng"),
)


def local_time(value: object, pattern: str = "%H:%M %d/%m/%Y") -> str:
    """A moment in Vietnam time (the database hands out UTC)."""
    return value.astimezone(TIME_ZONE).strftime(pattern) if isinstance(value, datetime) else ""


def _period(request: web.Request) -> stats.Period:
    try:
        query = request.query
        return stats.Period.parse(query.get("from") or None, query.get("to") or None)
    except AxisError as error:
        raise web.HTTPBadRequest(text=f"Khoảng thời gian không hợp lệ: {error.message}") from None


def _link(query: dict[str, str], **changes: str | None) -> str:
    merged = {**query, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v})


async def _ranking(
    request: web.Request,
) -> tuple[stats.Period, list[stats.Figures], dict[str, Any]]:
    period = _period(request)
    parent = query_value(request, "parent", ORGAN_ID)
    flat = request.query.get("flat") == "1" and parent is None
    pool = request.app[RUNTIME].pool
    try:
        rows = await stats.agency_rows(pool, period, viewer=None, parent=parent, flat=flat)
        parent_node = await stats.node(pool, parent) if parent else None
    except stats.UnknownAgency:
        raise web.HTTPNotFound(text="Không có cơ quan này.") from None
    sort = request.query.get("sort", "to_01")
    if sort not in stats.SORT_KEYS:
        sort = "to_01"
    order = request.query.get("order")
    descending = None if order not in ("asc", "desc") else order == "desc"
    view = {"parent": parent, "parent_node": parent_node, "flat": flat, "sort": sort,
            "order": order}  # fmt: skip
    return period, stats.rank(rows, sort, descending), view


def _toggle(view: dict[str, Any], key: str) -> str | None:
    """The order a column header's link asks for: its default, or the reverse when current."""
    if view["sort"] != key:
        return None
    _, worst_first = stats.SORT_KEYS[key]
    current_desc = worst_first if view["order"] is None else view["order"] == "desc"
    return "asc" if current_desc else "desc"


async def ranking_page(request: web.Request) -> web.Response:
    current = await ui_session.require(request, "operator")
    period, rows, view = await _ranking(request)
    pool = request.app[RUNTIME].pool
    query = {"from": period.first.isoformat(), "to": period.last.isoformat(),
             "parent": view["parent"] or "", "flat": "1" if view["flat"] else ""}  # fmt: skip
    sort_links = {key: _link(query, sort=key, order=_toggle(view, key)) for key in stats.SORT_KEYS}
    context: dict[str, Any] = {
        "user": current.user,
        "csrf": current.csrf_token,
        "period": period,
        "rows": rows,
        "view": view,
        "columns": RANKING_COLUMNS,
        "sort_links": sort_links,
        "query": query,
        "csv_link": "/ui/ops/stats.csv" + _link({**query, "sort": view["sort"]}),
        "days_csv_link": "/ui/ops/stats/days.csv" + _link(query),
        "slowest": stats_charts.slowest_answers(rows),
        "overdue_chart": stats_charts.most_overdue(rows),
        "days": stats_charts.per_day(await stats.daily(pool, period, view["parent"])),
        "silent": await stats.silent_agencies(pool, period, viewer=None),
        "refreshed_at": await stats.refreshed_at(pool),
        "refresh_seconds": int(request.app[RUNTIME].settings.stats_refresh_seconds),
        "hours": stats_charts.hours,
        "local_time": local_time,
        "drill": {row.organ_id: _link(query, parent=row.organ_id, flat=None) for row in rows
                  if row.agencies > 1},
    }  # fmt: skip
    html: web.Response = aiohttp_jinja2.render_template("stats.html", request, context)
    return html


def _csv(body: bytes, name: str) -> web.Response:
    return web.Response(
        body=body, content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


async def ranking_csv(request: web.Request) -> web.Response:
    await ui_session.require(request, "operator")
    period, rows, _ = await _ranking(request)
    body = stats_csv.to_csv(stats_csv.FIGURE_COLUMNS, [r.as_json() for r in rows], labels="vi")
    first, last = period.first.isoformat(), period.last.isoformat()
    return _csv(body, stats_csv.file_name("thong-ke", first, last))


async def days_csv(request: web.Request) -> web.Response:
    await ui_session.require(request, "operator")
    period = _period(request)
    parent = query_value(request, "parent", ORGAN_ID)
    days = await stats.daily(request.app[RUNTIME].pool, period, parent)
    body = stats_csv.to_csv(stats_csv.DAY_COLUMNS, [d.as_json() for d in days], labels="vi")
    first, last = period.first.isoformat(), period.last.isoformat()
    return _csv(body, stats_csv.file_name("theo-ngay", first, last))


async def _overdue_page(
    request: web.Request, current: Any, *, senders: list[str] | None,
    recipients: list[str] | None, side: str | None,
) -> web.Response:  # fmt: skip
    pool = request.app[RUNTIME].pool
    try:
        page = await deadlines.overdue(
            pool, senders=senders, recipients=recipients,
            cursor=query_value(request, "after", CURSOR), limit=50,
        )  # fmt: skip
    except deadlines.InvalidCursor:
        raise web.HTTPBadRequest(text="Trang không hợp lệ.") from None
    context: dict[str, Any] = {
        "user": current.user,
        "csrf": current.csrf_token,
        "page": page,
        "side": side,
        "query": {k: v for k, v in request.query.items() if k != "after"},
        "refreshed_at": await stats.refreshed_at(pool),
        "receipt_days": request.app[RUNTIME].settings.receipt_deadline_working_days,
        "local_time": local_time,
    }
    html: web.Response = aiohttp_jinja2.render_template("overdue.html", request, context)
    return html


async def operator_overdue(request: web.Request) -> web.Response:
    current = await ui_session.require(request, "operator")
    senders, recipients = await deadlines.scope(
        request.app[RUNTIME].pool, None,
        sender=query_value(request, "sender", ORGAN_ID),
        recipient=query_value(request, "recipient", ORGAN_ID),
    )  # fmt: skip
    return await _overdue_page(request, current, senders=senders, recipients=recipients, side=None)


async def clerk_overdue(request: web.Request) -> web.Response:
    current = await ui_session.require(request, "clerk")
    organ_id = current.user.organ_id
    assert organ_id is not None
    side = "received" if request.query.get("side") == "received" else "sent"
    if side == "sent":
        return await _overdue_page(request, current, senders=[organ_id], recipients=None,
                                   side=side)  # fmt: skip
    return await _overdue_page(request, current, senders=None, recipients=[organ_id], side=side)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ui/ops/stats", ranking_page)
    app.router.add_get("/ui/ops/stats.csv", ranking_csv)
    app.router.add_get("/ui/ops/stats/days.csv", days_csv)
    app.router.add_get("/ui/ops/overdue", operator_overdue)
    app.router.add_get("/ui/overdue", clerk_overdue)
