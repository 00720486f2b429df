"""Which status message (receipt) may be sent now, by whom, and where it goes.

Pure: the caller loads the document's sender, recipients and earlier status
events; :func:`judge` says yes (and to whom the status is routed) or raises
:class:`axis.intake.refusals.Refusal` (a
:class:`~axis.intake.refusals.Forbidden` or a
:class:`~axis.intake.refusals.StatusNotAllowed`).

Rules (edxml.md, with the details decided here):

* Codes 01-06, 15 and 16 come only from one of the document's recipients;
  13 (recall) only from the document's sender. Anyone else is
  refused (forbidden) ``status.not_participant``.
* Handling codes move forward per recipient along 01 -> 03 -> 04 -> 05 -> 06;
  steps may be skipped (a clerk may register, 03, without an explicit 01),
  but a code equal to or before the recipient's latest is refused. 02
  (rejected) may follow nothing or 01 only, and nothing follows 02. 06 is
  last by construction.
* 13 asks every recipient that has not already agreed to a recall; it is
  refused while every such recipient still has an unanswered 13 (a repeat)
  or when all recipients already agreed.
* 15/16 answer an unanswered 13 to that recipient, once.
* Refused moves are ``status.not_allowed`` with the reason.

A recipient's status is routed to the document's sender; a 13 is routed to
the recipients it asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from axis.intake.refusals import Forbidden, StatusNotAllowed
from envelope import StatusCode

HANDLING_ORDER: dict[StatusCode, int] = {
    StatusCode.ARRIVED: 1,
    StatusCode.ACCEPTED: 3,
    StatusCode.ASSIGNED: 4,
    StatusCode.PROCESSING: 5,
    StatusCode.COMPLETED: 6,
}
REJECTED = StatusCode.REJECTED
RECALL = StatusCode.RECALL
RECALL_ANSWERS = (StatusCode.RECALL_AGREED, StatusCode.RECALL_REFUSED)
RECIPIENT_CODES = frozenset({*HANDLING_ORDER, REJECTED, *RECALL_ANSWERS})


class RecallState(Enum):
    NONE = "none"
    REQUESTED = "requested"
    AGREED = "agreed"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """An accepted status about the document: who sent which code."""

    from_id: str
    code: StatusCode


@dataclass(frozen=True, slots=True)
class RecipientState:
    handling: StatusCode | None = None
    recall: RecallState = RecallState.NONE


@dataclass(frozen=True, slots=True)
class Verdict:
    routed_to: tuple[str, ...]


def states(
    sender_id: str, recipients: Sequence[str], events: Iterable[StatusEvent]
) -> dict[str, RecipientState]:
    """Each recipient's state after the accepted events, in order."""
    current = {recipient: RecipientState() for recipient in recipients}
    for event in events:
        if event.code == RECALL and event.from_id == sender_id:
            for recipient, state in current.items():
                if state.recall is not RecallState.AGREED:
                    current[recipient] = RecipientState(state.handling, RecallState.REQUESTED)
        elif event.from_id in current:
            state = current[event.from_id]
            if event.code in RECALL_ANSWERS:
                agreed = event.code is StatusCode.RECALL_AGREED
                answer = RecallState.AGREED if agreed else RecallState.REFUSED
                current[event.from_id] = RecipientState(state.handling, answer)
            else:
                current[event.from_id] = RecipientState(event.code, state.recall)
    return current


def _not_allowed(detail: str) -> StatusNotAllowed:
    return StatusNotAllowed(detail)


def _judge_handling(code: StatusCode, state: RecipientState, from_id: str) -> None:
    latest = state.handling
    if latest == REJECTED:
        raise _not_allowed(f"{from_id} already rejected the document (02); nothing may follow.")
    if code == REJECTED:
        if latest not in (None, StatusCode.ARRIVED):
            raise _not_allowed(
                f"{from_id} cannot reject (02) after status {latest}; "
                "02 may only follow nothing or 01."
            )
        return
    if latest is not None and HANDLING_ORDER[code] <= HANDLING_ORDER[latest]:
        raise _not_allowed(
            f"Status {code} from {from_id} does not move forward from {latest} "
            "(01 -> 03 -> 04 -> 05 -> 06)."
        )


def judge(
    code: StatusCode,
    from_id: str,
    sender_id: str,
    recipients: Sequence[str],
    events: Iterable[StatusEvent],
) -> Verdict:
    """Allows the status or raises a refusal; returns where it is routed."""
    current = states(sender_id, recipients, events)
    if code == RECALL:
        if from_id != sender_id:
            raise Forbidden(
                f"Only the document's sender {sender_id} may recall it (13), not {from_id}.",
                code="status.not_participant",
            )
        asked = tuple(r for r, s in current.items() if s.recall is not RecallState.AGREED)
        if not asked:
            raise _not_allowed("Every recipient has already agreed to the recall.")
        if all(current[r].recall is RecallState.REQUESTED for r in asked):
            raise _not_allowed("A recall (13) is already waiting for every recipient's answer.")
        return Verdict(asked)
    if from_id not in current:
        raise Forbidden(
            f"{from_id} is not a recipient of the document, so it cannot send status {code}.",
            code="status.not_participant",
        )
    state = current[from_id]
    if code in RECALL_ANSWERS:
        if state.recall is not RecallState.REQUESTED:
            raise _not_allowed(
                f"Status {code} answers a recall (13), but no recall is waiting for {from_id}."
            )
    elif code in HANDLING_ORDER or code == REJECTED:
        _judge_handling(code, state, from_id)
    else:
        raise _not_allowed(f"Status code {code} is not one the axis routes.")
    return Verdict((sender_id,))
