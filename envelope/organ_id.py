"""Agency identifiers (OrganId): the ``NNN.NN.NN.XNN`` form and its hierarchy.

Read right to left: the last part is the level-1 body (a letter group and two digits), then
levels 2, 3 and 4. Real data also carries codes outside the form (``28.22.H17``,
``vxp.saas.03``); the registry accepts those and simply derives no hierarchy for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["OrganId", "ancestors_of", "is_acceptable", "is_well_formed", "parent_of"]

_WELL_FORMED = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]+\d{2}")
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def is_well_formed(code: str) -> bool:
    """True for the standard form ``NNN.NN.NN.XNN`` (e.g. ``000.00.01.H53``)."""
    return _WELL_FORMED.fullmatch(code) is not None


def is_acceptable(code: str) -> bool:
    """True for any code the registry takes: 1 to 64 characters from ``[A-Za-z0-9._-]``."""
    return _ACCEPTABLE.fullmatch(code) is not None


def parent_of(code: str) -> str | None:
    """The parent agency's code: the leftmost non-zero numeric part set to zeros.

    ``000.00.01.H53`` -> ``000.00.00.H53``; a level-1 body, or a code outside the
    standard form, has no parent.
    """
    if not is_well_formed(code):
        return None
    parts = code.split(".")
    for index in range(3):
        if int(parts[index]):
            parts[index] = "0" * len(parts[index])
            return ".".join(parts)
    return None


def ancestors_of(code: str) -> tuple[str, ...]:
    """Every ancestor, nearest first; empty for a level-1 body or a legacy code."""
    chain: list[str] = []
    current = parent_of(code)
    while current is not None:
        chain.append(current)
        current = parent_of(current)
    return tuple(chain)


@dataclass(frozen=True, slots=True)
class OrganId:
    """An agency code as a value; construction accepts legacy codes, see :meth:`parse`."""

    code: str

    @classmethod
    def parse(cls, code: str) -> OrganId:
        """Builds the value from text, refusing what the registry would not accept."""
        cleaned = code.strip()
        if not is_acceptable(cleaned):
            raise ValueError(
                f"{code!r} is not an agency code (1 to 64 characters from A-Z, a-z, 0-9, . _ -)."
            )
        return cls(cleaned)

    @property
    def well_formed(self) -> bool:
        return is_well_formed(self.code)

    @property
    def acceptable(self) -> bool:
        return is_acceptable(self.code)

    @property
    def parent(self) -> OrganId | None:
        parent = parent_of(self.code)
        return None if parent is None else OrganId(parent)

    @property
    def ancestors(self) -> tuple[OrganId, ...]:
        return tuple(OrganId(code) for code in ancestors_of(self.code))

    def __str__(self) -> str:
        return self.code
