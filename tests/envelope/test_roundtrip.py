"""``parse(build(values)) == values`` over generated documents and statuses."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings

from envelope import Document, Status, build, parse, validate
from tests.envelope.strategies import documents, statuses

SAMPLES = Path(__file__).parents[1] / "samples"
_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(documents())
def test_documents_round_trip(document: Document) -> None:
    data = build(document)
    parsed = parse(data)
    assert parsed == document
    assert parsed.raw == data
    assert parsed.parse_problems == ()
    assert build(parsed) == data


@_SETTINGS
@given(statuses)
def test_statuses_round_trip(status: Status) -> None:
    data = build(status)
    parsed = parse(data)
    assert parsed == status
    assert parsed.parse_problems == ()
    assert build(parsed) == data


@_SETTINGS
@given(documents())
def test_built_attachments_always_match_their_references(document: Document) -> None:
    problems = validate(parse(build(document)))
    assert not [p for p in problems if p.code.startswith("attachment.")]


def test_samples_survive_build_and_parse() -> None:
    for name in ("document-new-unsigned.edxml", "status-03-unsigned.edxml"):
        message = parse((SAMPLES / name).read_bytes())
        assert parse(build(message)) == message
