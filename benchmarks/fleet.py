"""The fleet's figures in one run (issue 13), as one table.

Runs each part whose module exists: ``benchmarks.fleet_intake`` (intake of
two nodes against one), ``benchmarks.fleet_pushes`` (the most pushes in
flight at one endpoint against its limit; seconds for a killed node's work
to move) and ``benchmarks.fleet_database`` (documents lost and seconds
until intake works again after a restart and after a failover). Each part
offers ``rows(figures) -> [(what, measured)]`` and an async ``run()``.

    python -m benchmarks.fleet
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import time
from typing import Any

PARTS = ("benchmarks.fleet_intake", "benchmarks.fleet_pushes", "benchmarks.fleet_database")


def _part(name: str) -> Any | None:
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def _table(rows: list[tuple[str, str]]) -> str:
    lines = ["| what | measured |", "|---|---|"]
    lines += [f"| {what} | {measured} |" for what, measured in rows]
    return "\n".join(lines)


def main() -> None:
    rows: list[tuple[str, str]] = []
    started = time.monotonic()
    load = os.getloadavg()
    for name in PARTS:
        part = _part(name)
        if part is None:
            rows.append((name, "not measured: the module does not exist yet"))
            continue
        print(f"running {name} ...", flush=True)
        figures = asyncio.run(part.run())
        rows.extend(part.rows(figures))
    print()
    print(_table(rows))
    print()
    print(
        f"{time.monotonic() - started:.0f} s; load average at start "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
