"""Each enum of ``axis.vocabulary`` allows exactly what its columns' CHECK constraints allow."""

from __future__ import annotations

import re
from enum import StrEnum

import asyncpg
import pytest

from axis.vocabulary import (
    AuditAction,
    DeliveryMode,
    MessageKind,
    ReceivedVia,
    RefusalKind,
    TransportState,
)

COLUMNS: list[tuple[type[StrEnum], str, str]] = [
    (MessageKind, "messages", "kind"),
    (MessageKind, "deliveries", "kind"),
    (DeliveryMode, "deliveries", "mode"),
    (TransportState, "deliveries", "transport_state"),
    (ReceivedVia, "messages", "received_via"),
    (ReceivedVia, "refusals", "received_via"),
    (RefusalKind, "refusals", "kind"),
    (AuditAction, "audit_log", "action"),
]

_CHECKS = """
SELECT pg_get_constraintdef(c.oid) AS definition
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
WHERE c.contype = 'c' AND c.conrelid = $1::regclass AND a.attname = $2 AND c.convalidated
  AND cardinality(c.conkey) = 1
"""


async def _allowed(connection: asyncpg.Connection, table: str, column: str) -> set[str]:
    definitions = [row["definition"] for row in await connection.fetch(_CHECKS, table, column)]
    # Constraints over several columns (e.g. a relay delivery names its peer)
    # are rules, not the vocabulary: only the column's own CHECK is compared.
    assert len(definitions) == 1, f"{table}.{column} has {len(definitions)} CHECK constraints"
    return set(re.findall(r"'([^']*)'::text", definitions[0]))


@pytest.mark.parametrize(("vocabulary", "table", "column"), COLUMNS)
async def test_the_enum_allows_what_the_column_allows(
    connection: asyncpg.Connection, vocabulary: type[StrEnum], table: str, column: str
) -> None:
    assert await _allowed(connection, table, column) == {member.value for member in vocabulary}
