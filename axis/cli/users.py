"""``axis user add``: people who use the pages (clerks and operators)."""

from __future__ import annotations

import argparse
import json
import sys

from axis.accounts import users
from axis.cli.options import (
    ORGAN_ID_ARGUMENT,
    TEXT_ARGUMENT,
    add_database_options,
    add_json_option,
    settings_from,
)
from axis.errors import CommandError
from axis.storage import database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = subparsers.add_parser("user", help="people who use the web pages")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="add a clerk of one agency or an operator")
    add.add_argument("username", type=TEXT_ARGUMENT)
    add.add_argument("--role", required=True, choices=users.ROLES)
    add.add_argument("--organ-id", type=ORGAN_ID_ARGUMENT, help="the clerk's agency (clerks only)")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add_database_options(add)
    add_json_option(add)
    add.set_defaults(handler=_add)


async def _add(args: argparse.Namespace) -> int:
    if not args.password_stdin:
        raise CommandError(
            "Give the password on standard input with --password-stdin "
            "(never on the command line, where other users can see it)."
        )
    password = sys.stdin.readline().rstrip("\r\n")
    settings = settings_from(args)
    async with database.database_url(settings) as url:
        pool = await database.create_pool(url, 2)
        try:
            user = await users.add_user(
                pool, args.username, args.role, password, organ_id=args.organ_id
            )
        finally:
            await pool.close()
    if args.json:
        print(json.dumps({"username": user.username, "role": user.role, "organ_id": user.organ_id}))
    else:
        where = f" of {user.organ_id}" if user.organ_id else " of the whole axis"
        print(f"added {user.role} {user.username}{where}")
    return 0
