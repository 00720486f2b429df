"""``axis stats refresh|agencies|overdue``: the accountability figures from the shell.

``refresh`` brings ``delivery_facts`` up to date now (a running server does it
every ``AXIS_STATS_REFRESH_SECONDS``); ``agencies`` and ``overdue`` print
what ``/api/v1/stats/...`` answers an operator, as text, JSON or CSV.
"""

from __future__ import annotations

import argparse
import json
import sys

from axis.cli.options import add_database_options, add_json_option, settings_from
from axis.errors import CommandError
from axis.stats import csv_export as stats_csv
from axis.stats import deadlines
from axis.stats import figures as stats
from axis.stats.refresh import refresh_with
from axis.storage import database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser("stats", help="accountability statistics and overdue documents")
    commands = group.add_subparsers(dest="stats_command", required=True)

    refreshing = commands.add_parser("refresh", help="bring the statistics facts up to date now")
    add_database_options(refreshing)
    refreshing.set_defaults(handler=_refresh)

    agencies = commands.add_parser("agencies", help="figures per agency, rolled up by parent")
    add_database_options(agencies)
    add_json_option(agencies)
    agencies.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (Vietnam time)")
    agencies.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (default today)")
    agencies.add_argument("--parent", help="list this agency's children")
    agencies.add_argument("--flat", action="store_true", help="every agency, own figures only")
    agencies.add_argument("--csv", action="store_true", help="CSV (UTF-8 with BOM) on stdout")
    agencies.set_defaults(handler=_agencies)

    overdue = commands.add_parser("overdue", help="deliveries overdue now, earliest first")
    add_database_options(overdue)
    add_json_option(overdue)
    overdue.add_argument("--sender", help="only documents from this agency")
    overdue.add_argument("--recipient", help="only deliveries to this agency")
    overdue.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    overdue.add_argument("--csv", action="store_true", help="CSV (UTF-8 with BOM) on stdout")
    overdue.set_defaults(handler=_overdue)


async def _refresh(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    async with database.database_url(settings) as url:
        pool = await database.create_pool(url, 2)
        try:
            result = await refresh_with(pool, settings)
        finally:
            await pool.close()
    assert result is not None
    print(
        f"{result.facts_written} facts written in {result.seconds:.2f} s"
        + (" (calendar rebuilt)" if result.calendar_rebuilt else "")
    )
    return 0


async def _agencies(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        period = stats.Period.parse(args.first, args.last)
    except stats.InvalidPeriod as error:
        raise CommandError(error.message) from None
    async with database.database_url(settings) as url:
        pool = await database.create_pool(url, 2)
        try:
            rows = await stats.agency_rows(
                pool, period, viewer=None, parent=args.parent, flat=args.flat
            )
        except stats.StatsError as error:
            raise CommandError(error.message) from None
        finally:
            await pool.close()
    items = [row.as_json() for row in rows]
    if args.csv:
        sys.stdout.buffer.write(stats_csv.to_csv(stats_csv.FIGURE_COLUMNS, items))
    elif args.json:
        print(json.dumps({"period": period.as_json(), "items": items}, ensure_ascii=False))
    else:
        for row in rows:
            median = "—" if row.to_01_median_seconds is None else f"{row.to_01_median_seconds:.0f}s"
            print(
                f"{row.organ_id}\tsent={row.sent}\treceived={row.received}\tto01={median}"
                f"\toverdue={row.overdue_receipt}+{row.overdue_due_date}"
                f"\tsilent={row.silent_agencies}\t{row.name}"
            )
    return 0


async def _overdue(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 100_000:
        raise CommandError("The --limit must be from 1 to 100000.")
    settings = settings_from(args)
    async with database.database_url(settings) as url:
        pool = await database.create_pool(url, 2)
        try:
            page = await deadlines.overdue(
                pool,
                senders=[args.sender] if args.sender else None,
                recipients=[args.recipient] if args.recipient else None,
                limit=args.limit,
            )
        finally:
            await pool.close()
    items = [item.as_json() for item in page.items]
    if args.csv:
        sys.stdout.buffer.write(stats_csv.to_csv(stats_csv.OVERDUE_COLUMNS, items))
    elif args.json:
        print(json.dumps({"total": page.total, "items": items}, ensure_ascii=False))
    else:
        print(
            f"{page.total} overdue ({page.receipt} without a first status, "
            f"{page.due_date} past DueDate)"
        )
        for item in page.items:
            kinds = ",".join(
                k
                for k, on in (
                    ("receipt", item.receipt_overdue),
                    ("due_date", item.due_date_overdue),
                )
                if on
            )
            print(
                f"{item.overdue_since.isoformat()}\t{item.sender_id} -> {item.recipient_id}"
                f"\t{kinds}\t{item.code_number}/{item.code_notation}\t{item.subject}"
            )
    return 0
