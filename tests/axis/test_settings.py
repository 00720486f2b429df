from __future__ import annotations

from pathlib import Path

import pytest

from axis.errors import ConfigurationError
from axis.settings import SETTINGS, Settings, load_settings


def test_defaults_without_environment() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.uses_embedded_database
    assert settings.port == 8080
    assert settings.host == "127.0.0.1"


def test_environment_overrides_defaults() -> None:
    settings = load_settings(
        {
            "AXIS_HOST": "0.0.0.0",
            "AXIS_PORT": "9000",
            "AXIS_DATA_DIR": "/srv/axis",
            "AXIS_DATABASE_URL": "postgresql://axis@db.example/axis",
            "AXIS_LOG_LEVEL": "debug",
        }
    )
    assert settings.host == "0.0.0.0"
    assert settings.port == 9000
    assert settings.data_dir == Path("/srv/axis")
    assert settings.database_url == "postgresql://axis@db.example/axis"
    assert settings.log_level == "DEBUG"
    assert not settings.uses_embedded_database


def test_options_override_environment() -> None:
    settings = load_settings({"AXIS_PORT": "9000"}, {"port": "9100", "host": None})
    assert settings.port == 9100
    assert settings.host == "127.0.0.1"


def test_settings_are_frozen() -> None:
    settings = load_settings({})
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"AXIS_PORT": "abc"}, "Setting AXIS_PORT must be a whole number, not 'abc'."),
        ({"AXIS_PORT": "70000"}, "Setting AXIS_PORT must be between 1 and 65535, not 70000."),
        (
            {"AXIS_DATABASE_URL": "mysql://x"},
            "Setting AXIS_DATABASE_URL must be a postgresql:// URL, not 'mysql://x'.",
        ),
        (
            {"AXIS_LOG_LEVEL": "LOUD"},
            "Setting AXIS_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, not 'LOUD'.",
        ),
        ({"AXIS_WORKERS": "0"}, "Setting AXIS_WORKERS must be between 1 and 64, not 0."),
    ],
)
def test_bad_value_names_the_setting(environment: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(environment)
    assert caught.value.message == expected


def test_bad_option_names_the_flag() -> None:
    with pytest.raises(ConfigurationError, match=r"Option --port must be a whole number"):
        load_settings({}, {"port": "eighty"})


def test_empty_database_url_means_embedded() -> None:
    assert load_settings({"AXIS_DATABASE_URL": ""}).uses_embedded_database


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [s.environment_variable for s in SETTINGS if s.environment_variable not in readme]
    assert missing == []
