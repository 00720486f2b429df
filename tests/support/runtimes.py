"""A broker runtime on the test's database, with settings a test may override."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from axis.runtime import Runtime, open_runtime
from axis.settings import Settings
from axis.storage.database import Pool

RuntimeFactory = Callable[..., Runtime]

# Short timeouts so a test that waits on a push or a shutdown is quick.
TEST_RUNTIME_SETTINGS: dict[str, Any] = {
    "secret_key": "runtime-test-key",
    "operator_token": "operator-token",
    "push_timeout": 5.0,
    "shutdown_timeout": 2.0,
    "retry_budget_seconds": 3600.0,
}


def runtime_factory(pool: Pool) -> RuntimeFactory:
    def build(**overrides: Any) -> Runtime:
        return open_runtime(Settings(**{**TEST_RUNTIME_SETTINGS, **overrides}), pool)

    return build
