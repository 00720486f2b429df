"""The directory's lists: PostgreSQL's JSON text made ASCII exactly as ``json.dumps`` would."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from axis.vxp.directory import ascii_json


@given(st.lists(st.text(), max_size=8))
def test_ascii_json_reads_back_as_the_same_values(values: list[str]) -> None:
    # PostgreSQL's to_json leaves non-ASCII characters as they are, like ensure_ascii=False.
    text = json.dumps(values, ensure_ascii=False)
    escaped = ascii_json(text)
    assert escaped.isascii()
    assert json.loads(escaped) == values


def test_ascii_json_escapes_backslashes_before_x_and_u_and_astral_characters() -> None:
    values = ["\\x41", "\\\\U0001F600", "Ủy ban", "\U0001f600", "é\\", '"\\u00e9"']
    escaped = ascii_json(json.dumps(values, ensure_ascii=False))
    assert json.loads(escaped) == values
    assert escaped == json.dumps(values).encode().replace(b"\\\\", b"\\u005c")
