"""The one cursor codec: round trips, and strict refusal of anything it did not write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from axis.storage import cursors

texts = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]))


@given(st.integers(0, 10**18 - 1), st.integers(0, 10**18 - 1))
def test_whole_numbers_round_trip_as_digits(first: int, second: int) -> None:
    cursor = cursors.encode(first, second)
    assert cursor == f"{first}.{second}"
    assert cursors.decode(cursor, int, int) == (first, second)


@given(texts, st.datetimes(timezones=st.just(UTC)), st.integers(0, 10**9))
def test_text_and_times_round_trip_whatever_they_hold(text: str, at: datetime, n: int) -> None:
    cursor = cursors.encode(text, at, n)
    assert cursor.count(".") == 2
    assert cursors.decode(cursor, str, datetime, int) == (text, at, n)


@pytest.mark.parametrize(
    ("cursor", "kinds"),
    [
        ("4.²", (int, int)),  # str.isdigit says yes; int() says no
        ("4.١٢", (int, int)),  # Arabic-Indic digits
        ("-1.5", (int, int)),
        ("1.2.3", (int, int)),
        ("1", (int, int)),
        ("9" * 19, (int,)),
        ("a" * 600, (str,)),
        ("%%%", (str,)),
        ("_w", (str,)),  # base64 of a byte that is not UTF-8
        ("AA", (str,)),  # base64 of NUL
        ("bm90IGEgdGltZQ", (datetime,)),  # "not a time"
    ],
)
def test_refuses_what_it_did_not_write(cursor: str, kinds: tuple[cursors.Field, ...]) -> None:
    with pytest.raises(ValueError):
        cursors.decode(cursor, *kinds)


def test_the_inbox_cursors_already_handed_out_still_read() -> None:
    assert cursors.decode("4.1234", int, int) == (4, 1234)
