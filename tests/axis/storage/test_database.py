"""Describing database URLs and telling "the database is away" from other errors."""

from __future__ import annotations

import asyncpg
import pytest

from axis.errors import DatabaseUnavailable
from axis.storage import database
from tests.support.databases import with_database


@pytest.mark.parametrize(
    ("url", "described"),
    [
        (
            "postgresql://axis:secret@db.internal:5432/axis",
            "postgresql://axis@db.internal:5432/axis",
        ),
        (
            "postgresql://axis:secret@h1:5432,h2:5433/axis?target_session_attrs=read-write",
            "postgresql://axis@h1:5432,h2:5433/axis",
        ),
        (
            "postgresql://axis:secret@/axis?host=h1,h2&target_session_attrs=read-write",
            "postgresql://axis@h1,h2/axis",
        ),
        ("postgresql:///axis", "postgresql://@local socket/axis"),
    ],
)
def test_describe_names_every_host_and_never_the_password(url: str, described: str) -> None:
    assert database.describe(url) == described
    assert "secret" not in database.describe(url)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.ReadOnlySQLTransactionError("read-only transaction"),
        asyncpg.exceptions.TargetServerAttributeNotMatched("no host accepts writes"),
        DatabaseUnavailable("The database cannot be reached."),
    ],
)
def test_errors_of_a_database_away_are_told_apart(error: BaseException) -> None:
    away = database.away(error)
    assert away is not None and away.code == "database.unavailable"


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        asyncpg.exceptions.InvalidPasswordError("password authentication failed"),
        ValueError("not a database error"),
    ],
)
def test_other_errors_are_not_the_database_away(error: BaseException) -> None:
    assert database.away(error) is None


async def test_a_missing_database_is_not_waited_for(database_url: str) -> None:
    # Waiting mends an absent server, never a wrong name or credentials.
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        await database.connect_patiently(with_database(database_url, "axis_no_such_database"))


def test_an_error_raised_while_handling_a_cut_connection_is_the_database_away() -> None:
    try:
        try:
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection lost")
        except asyncpg.exceptions.ConnectionDoesNotExistError:
            raise asyncpg.InterfaceError("the underlying connection is closed") from None
    except asyncpg.InterfaceError as error:
        assert database.away(error) is None  # `from None`: no cause, no context kept
    try:
        try:
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection lost")
        except asyncpg.exceptions.ConnectionDoesNotExistError:
            raise asyncpg.InterfaceError("the underlying connection is closed")  # noqa: B904
    except asyncpg.InterfaceError as error:
        assert database.away(error) is not None
