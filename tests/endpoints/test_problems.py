"""The one table of broker errors as HTTP: the statuses agencies script against."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from axis.delivery.pull.inbox import MessageNotFound
from axis.errors import AxisError
from axis.intake import refusals
from endpoints.problems import problem_for, status_of


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (refusals.MalformedMessage(), 400),
        (refusals.Unauthenticated(code="auth.missing"), 401),
        (refusals.Forbidden(code="sender.mismatch"), 403),
        (refusals.ConflictingMessage(), 409),
        (refusals.MessageTooLarge(), 413),
        (refusals.InvalidMessage(code="signature.invalid"), 422),
        (refusals.StatusNotAllowed(), 422),
    ],
)
def test_each_kind_of_refusal_has_its_status(refusal: refusals.Refusal, status: int) -> None:
    assert status_of(refusal) == status


def test_every_kind_of_refusal_is_in_the_table() -> None:
    kinds = {cls.kind for cls in refusals.Refusal.__subclasses__()}
    for cls in refusals.Refusal.__subclasses__():
        assert status_of(cls()) != HTTPStatus.BAD_REQUEST or cls is refusals.MalformedMessage
    assert len(kinds) == len(refusals.Refusal.__subclasses__())


def test_a_problem_carries_the_errors_own_code_and_message() -> None:
    problem = problem_for(refusals.InvalidMessage("Bad signature.", code="signature.invalid"))
    assert (problem.status, problem.code, problem.detail) == (
        422,
        "signature.invalid",
        "Bad signature.",
    )
    assert (problem_for(MessageNotFound()).status, problem_for(MessageNotFound()).code) == (
        404,
        "message.not_found",
    )


def test_an_error_the_table_does_not_list_is_a_plain_400() -> None:
    problem = problem_for(AxisError("Nope."))
    assert (problem.status, problem.code, problem.detail) == (400, "request.refused", "Nope.")
