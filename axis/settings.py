"""Configuration: one frozen object, read once at start-up.

Precedence: command-line options over ``AXIS_*`` environment variables over
defaults. Every setting is declared once in ``SETTINGS`` with its parser, so
a bad value is reported with the setting's name and what is wrong, and the
README's configuration table can be checked against this list.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from axis.errors import ConfigurationError
from axis.working_days import DEFAULT_HOLIDAYS, parse_holidays


@dataclass(frozen=True, slots=True)
class RetentionOverride:
    """One sending agency's own retention, for one kind (None: both kinds)."""

    organ_id: str
    kind: str | None
    body_days: int
    metadata_days: int | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path(".axis")
    database_url: str | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    workers: int = 1
    shutdown_timeout: float = 10.0
    pool_size: int = 10
    max_message_bytes: int = 150 * 1024 * 1024
    secret_key: str | None = None
    operator_token: str | None = None
    vxp_prefix: str = "/vxp"
    retry_budget_seconds: float = 3 * 24 * 3600.0
    push_timeout: float = 30.0
    push_concurrency_per_endpoint: int = 4
    demo: bool = False
    receipt_deadline_working_days: int = 1
    public_holidays: tuple[str, ...] = DEFAULT_HOLIDAYS
    stats_refresh_seconds: float = 60.0
    seal_key_file: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_certificates: str = "off"
    tls_client_ca: Path | None = None
    rate_limit_source_per_minute: int = 600
    rate_limit_agency_per_minute: int = 6000
    trusted_proxies: tuple[str, ...] = ()
    retention_body_days_edoc: int = 90
    retention_body_days_status: int = 90
    retention_metadata_days_edoc: int = 3653
    retention_metadata_days_status: int = 3653
    retention_overrides: tuple[RetentionOverride, ...] = ()
    archive_dir: Path | None = None
    # This axis's name among its peers (AXIS_NAME); the default is the host name.
    name: str = field(default_factory=socket.gethostname)

    def __post_init__(self) -> None:
        # Settings that only make sense together are refused together, at start-up.
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigurationError(
                "Settings AXIS_TLS_CERT and AXIS_TLS_KEY go together: give both or neither."
            )
        if self.tls_client_certificates != "off" and (
            self.tls_cert is None or self.tls_client_ca is None
        ):
            raise ConfigurationError(
                "Setting AXIS_TLS_CLIENT_CERTIFICATES needs HTTPS (AXIS_TLS_CERT, AXIS_TLS_KEY) "
                "and the CAs client certificates chain to (AXIS_TLS_CLIENT_CA)."
            )

    @property
    def serves_https(self) -> bool:
        return self.tls_cert is not None

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def embedded_database_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104
        return f"{'https' if self.serves_https else 'http'}://{host}:{self.port}"


def _integer(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"must be a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, not {value}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"must be a number of seconds, not {text!r}") from None
    if value <= 0:
        raise ValueError(f"must be more than zero seconds, not {text!r}")
    return value


def _choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip()
        for option in options:
            if value.lower() == option.lower():
                return option
        raise ValueError(f"must be one of {', '.join(options)}, not {text!r}")

    return parse


def _database_url(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    scheme = urlsplit(value).scheme
    if scheme not in ("postgresql", "postgres"):
        raise ValueError(f"must be a postgresql:// URL, not {value!r}")
    return value


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"must be true or false, not {text!r}")


def _non_empty(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text


def _addresses(text: str) -> tuple[str, ...]:
    values = tuple(part.strip() for part in text.split(",") if part.strip())
    for value in values:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"must be IP addresses separated by commas, not {value!r}") from None
    return values


_AXIS_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _axis_name(text: str) -> str:
    # It travels in X-Axis-Path, comma-separated, and is a peer's name on
    # the far side: the same characters as a peer name, no commas.
    value = text.strip()
    if not _AXIS_NAME.match(value):
        raise ValueError("must be 1 to 64 letters, digits, '.', '_' or '-'")
    return value


def _path_prefix(text: str) -> str:
    value = "/" + text.strip().strip("/")
    if value == "/":
        raise ValueError("must name a path such as /vxp")
    return value


_RETENTION_DAYS = (1, 365 * 100)


def _retention_overrides(text: str) -> tuple[RetentionOverride, ...]:
    """``ORGAN_ID:KIND:BODY_DAYS[:METADATA_DAYS]`` entries separated by commas; KIND is
    edoc, status or * (both)."""
    days = _integer(*_RETENTION_DAYS)
    overrides = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        pieces = entry.split(":")
        if len(pieces) not in (3, 4) or pieces[1] not in ("edoc", "status", "*"):
            raise ValueError(
                f"must be ORGAN_ID:KIND:BODY_DAYS[:METADATA_DAYS] entries (KIND edoc, status "
                f"or *) separated by commas, not {entry!r}"
            )
        organ_id, kind = pieces[0].strip(), pieces[1]
        if not organ_id:
            raise ValueError(f"names no agency in {entry!r}")
        metadata = days(pieces[3]) if len(pieces) == 4 else None
        overrides.append(
            RetentionOverride(organ_id, None if kind == "*" else kind, days(pieces[2]), metadata)
        )
    return tuple(overrides)


@dataclass(frozen=True, slots=True)
class SettingSpec:
    name: str
    parse: Callable[[str], Any]
    description: str

    @property
    def environment_variable(self) -> str:
        return "AXIS_" + self.name.upper()


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("host", _non_empty, "address to listen on"),
    SettingSpec("port", _integer(1, 65535), "TCP port to listen on"),
    SettingSpec("data_dir", Path, "folder for the embedded database and local state"),
    SettingSpec("database_url", _database_url, "external PostgreSQL; empty means the embedded one"),
    SettingSpec("log_level", _choice("DEBUG", "INFO", "WARNING", "ERROR"), "logging threshold"),
    SettingSpec("log_format", _choice("text", "json"), "text, or JSON lines for collectors"),
    SettingSpec("workers", _integer(1, 64), "server processes sharing the port"),
    SettingSpec("shutdown_timeout", _seconds, "seconds in-flight requests get on shutdown"),
    SettingSpec("pool_size", _integer(1, 200), "database connections per process"),
    SettingSpec("max_message_bytes", _integer(1024, 2**31), "largest accepted envelope"),
    SettingSpec(
        "secret_key", _non_empty, "key that encrypts agency secrets at rest (required in prod)"
    ),
    SettingSpec("operator_token", _non_empty, "bearer token for the operator API"),
    SettingSpec("vxp_prefix", _path_prefix, "path prefix of the VXP-compatible surface"),
    SettingSpec("retry_budget_seconds", _seconds, "how long a push is retried before dead"),
    SettingSpec("push_timeout", _seconds, "seconds one push to an endpoint may take"),
    SettingSpec("push_concurrency_per_endpoint", _integer(1, 256), "parallel pushes per endpoint"),
    SettingSpec("demo", _boolean, "register demo agencies and keep documents flowing"),
    SettingSpec(
        "receipt_deadline_working_days",
        _integer(1, 30),
        "working days a recipient has after delivery to send its first status (01)",
    ),
    SettingSpec("public_holidays", parse_holidays, "non-working days: MM-DD or YYYY-MM-DD, commas"),
    SettingSpec("stats_refresh_seconds", _seconds, "how often the statistics facts are refreshed"),
    SettingSpec(
        "seal_key_file",
        Path,
        "Ed25519 key (PKCS#8 PEM) that seals unsigned envelopes of agencies in transition "
        "(default: seal.key in the data folder; required with an external database)",
    ),
    SettingSpec("tls_cert", Path, "PEM certificate chain: serve HTTPS with it (with AXIS_TLS_KEY)"),
    SettingSpec("tls_key", Path, "PEM private key of AXIS_TLS_CERT"),
    SettingSpec(
        "tls_client_certificates",
        _choice("off", "optional", "required"),
        "ask callers for a client certificate bound to their registered one (mTLS)",
    ),
    SettingSpec("tls_client_ca", Path, "PEM bundle of the CAs client certificates chain to"),
    SettingSpec(
        "rate_limit_source_per_minute",
        _integer(1, 10_000_000),
        "requests per minute one address may make without agency credentials (fleet-wide)",
    ),
    SettingSpec(
        "rate_limit_agency_per_minute",
        _integer(1, 10_000_000),
        "requests per minute of an agency without its own allowance (fleet-wide)",
    ),
    SettingSpec(
        "trusted_proxies",
        _addresses,
        "reverse proxies whose X-Forwarded-For names the source address, commas",
    ),
    SettingSpec(
        "retention_body_days_edoc",
        _integer(*_RETENTION_DAYS),
        "days a document's body is kept once settled (every recipient acked, discarded or dead)",
    ),
    SettingSpec(
        "retention_body_days_status",
        _integer(*_RETENTION_DAYS),
        "days a status's body is kept once settled",
    ),
    SettingSpec(
        "retention_metadata_days_edoc",
        _integer(*_RETENTION_DAYS),
        "days a document's metadata, statuses, refusals and audit entries are kept",
    ),
    SettingSpec(
        "retention_metadata_days_status",
        _integer(*_RETENTION_DAYS),
        "days a status's metadata is kept",
    ),
    SettingSpec(
        "retention_overrides",
        _retention_overrides,
        "per sending agency: ORGAN_ID:KIND:BODY_DAYS[:METADATA_DAYS], KIND edoc, status or *",
    ),
    SettingSpec(
        "archive_dir",
        Path,
        "folder the daily retention task writes monthly archive bundles to before it purges "
        "(unset: the task never purges)",
    ),
    SettingSpec(
        "name",
        _axis_name,
        "this axis's name among its peers (X-Axis-Origin, X-Axis-Path); default: the host name",
    ),
)

_SPEC_BY_NAME = {spec.name: spec for spec in SETTINGS}


def load_settings(
    environ: Mapping[str, str], options: Mapping[str, object] | None = None
) -> Settings:
    """Builds the settings from the environment and the command-line options.

    ``options`` holds already-typed values from the command line; ``None``
    means "not given". Environment values are text and parsed here.
    """
    values: dict[str, object] = {}
    for spec in SETTINGS:
        raw = environ.get(spec.environment_variable)
        if raw is None:
            continue
        try:
            values[spec.name] = spec.parse(raw)
        except ValueError as problem:
            raise ConfigurationError(f"Setting {spec.environment_variable} {problem}.") from None
    for name, value in (options or {}).items():
        if value is None:
            continue
        if name not in _SPEC_BY_NAME:
            raise ConfigurationError(f"Unknown setting {name!r}.")
        if isinstance(value, str):
            try:
                values[name] = _SPEC_BY_NAME[name].parse(value)
            except ValueError as problem:
                flag = "--" + name.replace("_", "-")
                raise ConfigurationError(f"Option {flag} {problem}.") from None
        else:
            values[name] = value
    settings = Settings(**values)  # type: ignore[arg-type]
    logging.getLogger(__name__).debug(
        "settings loaded",
        extra={
            "settings": {
                field.name: getattr(settings, field.name)
                for field in fields(settings)
                if field.name not in ("secret_key", "operator_token", "database_url")
            }
        },
    )
    return settings
