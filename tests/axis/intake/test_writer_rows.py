"""The message rows intake builds match the columns its INSERT names, in order."""

from __future__ import annotations

import re

from axis.intake.writer import MessageRow
from axis.storage import sql


def test_message_rows_have_the_inserts_columns_in_order() -> None:
    statement = sql.query("intake_insert_messages")
    listed = re.search(r"INSERT INTO messages \(([^)]*)\)", statement)
    assert listed is not None
    columns = tuple(name.strip() for name in listed.group(1).split(","))
    assert columns == MessageRow._fields
    placeholders = re.findall(r"\$(\d+)::", statement)
    assert [int(n) for n in placeholders] == list(range(1, len(columns) + 1))
