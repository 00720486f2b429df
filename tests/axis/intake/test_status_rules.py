"""The status rules, as a table: history, then a status, then the verdict."""

from __future__ import annotations

import pytest

from axis.intake.refusals import Refusal
from axis.intake.status_rules import RecallState, StatusEvent, judge, states
from axis.vocabulary import RefusalKind
from envelope import StatusCode

SENDER = "S"
A = "A"
B = "B"
RECIPIENTS = (A, B)


def _events(*pairs: str) -> list[StatusEvent]:
    """'A:03' means recipient A sent 03; 'S:13' the sender recalled."""
    events = []
    for pair in pairs:
        from_id, code = pair.split(":")
        events.append(StatusEvent(from_id, StatusCode(code)))
    return events


# (history, from, code, expected): expected is the routing or the refusal code.
TABLE: list[tuple[tuple[str, ...], str, str, tuple[str, ...] | str]] = [
    ((), A, "01", (SENDER,)),
    ((), A, "03", (SENDER,)),  # steps may be skipped
    (("A:01",), A, "03", (SENDER,)),
    (("A:01", "A:03", "A:04", "A:05"), A, "06", (SENDER,)),
    (("A:03",), A, "01", "status.not_allowed"),  # backwards
    (("A:03",), A, "03", "status.not_allowed"),  # repeated
    (("A:06",), A, "05", "status.not_allowed"),
    (("A:03",), B, "01", (SENDER,)),  # each recipient moves on its own
    ((), A, "02", (SENDER,)),
    (("A:01",), A, "02", (SENDER,)),
    (("A:03",), A, "02", "status.not_allowed"),  # too late to reject
    (("A:02",), A, "03", "status.not_allowed"),  # 02 is final
    (("A:02",), A, "02", "status.not_allowed"),
    ((), "X", "03", "status.not_participant"),  # not a recipient
    ((), SENDER, "03", "status.not_participant"),  # the sender is no recipient
    ((), A, "13", "status.not_participant"),  # only the sender recalls
    ((), SENDER, "13", (A, B)),
    (("S:13",), SENDER, "13", "status.not_allowed"),  # already waiting
    (("S:13", "A:16"), SENDER, "13", (A, B)),  # ask again after a refusal
    (("S:13", "A:15"), SENDER, "13", "status.not_allowed"),  # B has not answered yet
    (("S:13", "A:15", "B:16"), SENDER, "13", (B,)),  # who agreed is not asked again
    (("S:13", "A:15", "B:15"), SENDER, "13", "status.not_allowed"),
    ((), A, "15", "status.not_allowed"),  # 15/16 only after a 13
    ((), A, "16", "status.not_allowed"),
    (("S:13",), A, "15", (SENDER,)),
    (("S:13",), A, "16", (SENDER,)),
    (("S:13", "A:15"), A, "15", "status.not_allowed"),  # answered once
    (("S:13", "A:16"), A, "15", "status.not_allowed"),
    (("S:13",), "X", "15", "status.not_participant"),
    (("A:03", "S:13", "A:16"), A, "04", (SENDER,)),  # handling goes on after a refused recall
]


@pytest.mark.parametrize(("history", "sender", "code", "expected"), TABLE)
def test_status_rules(
    history: tuple[str, ...], sender: str, code: str, expected: tuple[str, ...] | str
) -> None:
    events = _events(*history)
    if isinstance(expected, str):
        with pytest.raises(Refusal) as refused:
            judge(StatusCode(code), sender, SENDER, RECIPIENTS, events)
        assert refused.value.code == expected
        assert refused.value.kind == (
            RefusalKind.FORBIDDEN
            if expected == "status.not_participant"
            else RefusalKind.NOT_ALLOWED
        )
    else:
        assert judge(StatusCode(code), sender, SENDER, RECIPIENTS, events).routed_to == expected


def test_states_fold_the_history() -> None:
    folded = states(SENDER, RECIPIENTS, _events("A:01", "A:03", "S:13", "A:15", "B:02"))
    assert folded[A].handling == "03" and folded[A].recall is RecallState.AGREED
    assert folded[B].handling == "02" and folded[B].recall is RecallState.REQUESTED
