"""``GET /api/v1/stats/...``: accountability statistics, overdue and silent agencies.

Operators (operator token) see every agency; an agency (bearer secret) sees
its own subtree: itself and the units whose parent chain leads to it. An
OrganId nobody registered is 404 ``agency.unknown``; one outside the
caller's subtree is 403 ``stats.outside_subtree``.

Every list takes ``format=csv`` (UTF-8 with BOM, so Excel shows Vietnamese
letters; ``labels=vi`` for Vietnamese column headers). Periods are local
days ``from``/``to`` (YYYY-MM-DD, Asia/Ho_Chi_Minh; default the last 30
days). Answers carry ``refreshed_at``: the figures are as of that refresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from aiohttp import web

from axis.boundary import CURSOR, ORGAN_ID
from axis.stats import csv_export as stats_csv
from axis.stats import deadlines
from axis.stats import figures as stats
from endpoints.api_agencies import json_response
from endpoints.authentication import authenticated_agency, is_operator
from endpoints.boundary import path_value, query_value
from endpoints.keys import RUNTIME
from endpoints.problems import Problem, whole_number

CSV_EXPORT_LIMIT = 50_000


async def viewer_of(request: web.Request) -> str | None:
    """None for an operator, else the authenticated agency's OrganId."""
    if is_operator(request):
        return None
    return (await authenticated_agency(request)).organ_id


def flag(request: web.Request, name: str) -> bool:
    value = request.query.get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise Problem(400, "query.invalid", f"'{name}' must be true or false, not {value!r}.")


def wants_csv(request: web.Request) -> bool:
    wanted = request.query.get("format", "json")
    if wanted not in ("json", "csv"):
        raise Problem(400, "query.invalid", f"'format' must be json or csv, not {wanted!r}.")
    return wanted == "csv"


def csv_response(
    request: web.Request,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Mapping[str, Any]],
    name: str,
) -> web.Response:
    labels = "vi" if request.query.get("labels") == "vi" else "keys"
    return web.Response(
        body=stats_csv.to_csv(columns, rows, labels=labels),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def period_of(request: web.Request) -> stats.Period:
    return stats.Period.parse(request.query.get("from"), request.query.get("to"))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


async def list_agencies(request: web.Request) -> web.Response:
    viewer = await viewer_of(request)
    period = period_of(request)
    parent = query_value(request, "parent", ORGAN_ID)
    flat = flag(request, "flat")
    if flat and parent is not None:
        raise Problem(400, "query.invalid", "'flat' lists every agency; it takes no 'parent'.")
    sort = request.query.get("sort", "organ_id")
    if sort not in stats.SORT_KEYS:
        raise Problem(400, "query.invalid_sort",
                      f"'sort' must be one of {', '.join(stats.SORT_KEYS)}.")  # fmt: skip
    order = request.query.get("order")
    if order not in (None, "asc", "desc"):
        raise Problem(400, "query.invalid", "'order' must be asc or desc.")
    pool = request.app[RUNTIME].pool
    rows = await stats.agency_rows(
        pool, period, viewer=viewer, parent=parent, flat=flat,
        include_idle=flag(request, "include_idle"),
    )  # fmt: skip
    ranked = stats.rank(rows, sort, None if order is None else order == "desc")
    items = [row.as_json() for row in ranked]
    if wants_csv(request):
        name = stats_csv.file_name("agencies", period.first.isoformat(), period.last.isoformat())
        return csv_response(request, stats_csv.FIGURE_COLUMNS, items, name)
    return json_response(
        {"period": period.as_json(), "refreshed_at": _iso(await stats.refreshed_at(pool)),
         "parent": parent, "items": items}
    )  # fmt: skip


async def get_agency(request: web.Request) -> web.Response:
    viewer = await viewer_of(request)
    period = period_of(request)
    organ_id = path_value(request, "organ_id", ORGAN_ID)
    pool = request.app[RUNTIME].pool
    detail = await stats.agency_detail(pool, period, organ_id, viewer=viewer)
    days = [day.as_json() for day in detail.days]
    if wants_csv(request):
        name = stats_csv.file_name(organ_id, period.first.isoformat(), period.last.isoformat())
        return csv_response(request, stats_csv.DAY_COLUMNS, days, name)
    return json_response({
        "period": period.as_json(),
        "refreshed_at": _iso(await stats.refreshed_at(pool)),
        "organ_id": organ_id,
        "subtree": detail.subtree.as_json(),
        "own": detail.own.as_json(),
        "days": days,
    })  # fmt: skip


def _limit(request: web.Request) -> int:
    return whole_number(
        request, "limit", deadlines.DEFAULT_LIMIT, 1, deadlines.MAX_LIMIT, "query.invalid_limit"
    )


async def list_overdue(request: web.Request) -> web.Response:
    viewer = await viewer_of(request)
    side = request.query.get("side", "sent")
    if side not in ("sent", "received"):
        raise Problem(400, "query.invalid", "'side' must be sent or received.")
    csv = wants_csv(request)
    pool = request.app[RUNTIME].pool
    senders, recipients = await deadlines.scope(
        pool, viewer, side="sent" if side == "sent" else "received",
        sender=query_value(request, "sender", ORGAN_ID),
        recipient=query_value(request, "recipient", ORGAN_ID),
    )  # fmt: skip
    page = await deadlines.overdue(
        pool, senders=senders, recipients=recipients,
        cursor=query_value(request, "cursor", CURSOR),
        limit=CSV_EXPORT_LIMIT if csv else _limit(request),
    )  # fmt: skip
    items = [item.as_json() for item in page.items]
    if csv:
        return csv_response(request, stats_csv.OVERDUE_COLUMNS, items, "axis-overdue.csv")
    return json_response({
        "refreshed_at": _iso(await stats.refreshed_at(pool)),
        "total": page.total,
        "receipt_overdue": page.receipt,
        "due_date_overdue": page.due_date,
        "items": items,
        "next_cursor": page.next_cursor,
    })  # fmt: skip


async def list_silent(request: web.Request) -> web.Response:
    viewer = await viewer_of(request)
    period = period_of(request)
    pool = request.app[RUNTIME].pool
    items = await stats.silent_agencies(pool, period, viewer=viewer)
    if wants_csv(request):
        name = stats_csv.file_name("silent", period.first.isoformat(), period.last.isoformat())
        return csv_response(request, stats_csv.SILENT_COLUMNS, items, name)
    return json_response(
        {"period": period.as_json(), "refreshed_at": _iso(await stats.refreshed_at(pool)),
         "items": items}
    )  # fmt: skip


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/stats/agencies", list_agencies)
    app.router.add_get("/api/v1/stats/agencies/{organ_id}", get_agency)
    app.router.add_get("/api/v1/stats/overdue", list_overdue)
    app.router.add_get("/api/v1/stats/silent", list_silent)
