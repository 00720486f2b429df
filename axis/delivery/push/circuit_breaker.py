"""A circuit breaker per push endpoint.

Closed: pushes flow. After ``threshold`` consecutive failures it opens: no
pushes for ``cool_down`` seconds (the endpoint's work is postponed, not
failed). Then half-open: one probe push; success closes it, failure opens it
again for another cool-down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        threshold: int = 5,
        cool_down: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = threshold
        self._cool_down = cool_down
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at < self._cool_down:
            return CircuitState.OPEN
        return CircuitState.HALF_OPEN

    @property
    def reopens_in(self) -> float:
        """Seconds until a probe may run; zero unless open."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._cool_down - (self._clock() - self._opened_at))

    def slots(self, limit: int) -> int:
        """How many pushes may start now, given ``limit`` when closed."""
        state = self.state
        if state is CircuitState.CLOSED:
            return limit
        if state is CircuitState.HALF_OPEN and not self._probing:
            return 1
        return 0

    def started(self) -> None:
        if self.state is CircuitState.HALF_OPEN:
            self._probing = True

    def succeeded(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def failed(self) -> bool:
        """Records a failure; True when this failure opened the circuit."""
        self._failures += 1
        state = self.state
        if state is CircuitState.OPEN:
            # A push that started before the circuit opened: already counted.
            return False
        if state is CircuitState.HALF_OPEN or self._failures >= self._threshold:
            self._opened_at = self._clock()
            self._probing = False
            return True
        return False
