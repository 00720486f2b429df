"""The policy's rules, per kind and per sending agency, against a clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from axis.errors import ConfigurationError
from axis.retention.months import InvalidMonth, Month
from axis.retention.policy import Keep, Policy
from axis.settings import RetentionOverride, load_settings

SETTLED = datetime(2026, 1, 10, tzinfo=UTC)


def test_defaults_are_ninety_days_of_bodies_and_ten_years_of_metadata() -> None:
    policy = Policy.from_settings(load_settings({}))
    assert policy.keep_for("edoc", "A") == Keep(90, 3653)
    assert policy.keep_for("status", "A") == Keep(90, 3653)
    assert policy.body_due("edoc", "A", SETTLED) == SETTLED + timedelta(days=90)
    assert policy.metadata_due("edoc", "A", SETTLED).year == 2036


def test_an_agency_overrides_per_kind_and_the_most_specific_rule_wins() -> None:
    settings = load_settings(
        {
            "AXIS_RETENTION_BODY_DAYS_STATUS": "30",
            "AXIS_RETENTION_OVERRIDES": "000.00.00.G22:*:365:7305, 000.00.00.G22:status:10",
        }
    )
    policy = Policy.from_settings(settings)
    assert policy.keep_for("status", "other") == Keep(30, 3653)
    assert policy.keep_for("edoc", "000.00.00.G22") == Keep(365, 7305)
    assert policy.keep_for("status", "000.00.00.G22") == Keep(10, 3653)
    assert settings.retention_overrides[1] == RetentionOverride("000.00.00.G22", "status", 10)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AXIS_RETENTION_OVERRIDES", "000.00.00.G22:edoc"),
        ("AXIS_RETENTION_OVERRIDES", "000.00.00.G22:letters:30"),
        ("AXIS_RETENTION_OVERRIDES", ":edoc:30"),
        ("AXIS_RETENTION_OVERRIDES", "000.00.00.G22:edoc:0"),
        ("AXIS_RETENTION_BODY_DAYS_EDOC", "ninety"),
    ],
)
def test_bad_retention_settings_are_named(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        load_settings({name: value})


def test_months_are_ranges_of_time_ordered_ids() -> None:
    from axis.intake.message_ids import new_message_id
    from axis.retention.months import message_id_at

    january = Month.parse("2026-01")
    assert str(january) == "2026-01" and january.next() == Month(2026, 2)
    assert Month(2026, 12).next() == Month(2027, 1)
    inside = message_id_at(datetime(2026, 1, 31, 23, 59, 59, 999000, tzinfo=UTC), "f" * 20)
    assert january.low_id <= inside < january.high_id
    assert Month.of_message(inside) == january
    assert Month.of_message(new_message_id()) == Month.of(datetime.now(UTC))
    assert Month.of_message("not-a-time-id") is None
    assert not january.is_over(datetime(2026, 1, 31, tzinfo=UTC))
    assert january.is_over(datetime(2026, 2, 1, tzinfo=UTC))
    for bad in ("2026-13", "2026-1", "26-01", ""):
        with pytest.raises(InvalidMonth):
            Month.parse(bad)
