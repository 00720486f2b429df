"""SQL lives in named blocks of the ``.sql`` files beside this module.

A block starts with a line ``-- name: some_query`` and runs to the next one.
Queries are looked up by name, so no SQL is ever assembled from strings.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

_BLOCK_START = re.compile(r"^--\s*name:\s*(?P<name>[a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def parse_named_blocks(text: str) -> dict[str, str]:
    blocks: dict[str, str] = {}
    matches = list(_BLOCK_START.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        name = match["name"]
        if name in blocks:
            raise ValueError(f"SQL block {name!r} is defined twice")
        blocks[name] = text[match.end() : end].strip()
    return blocks


@functools.cache
def all_queries() -> dict[str, str]:
    queries: dict[str, str] = {}
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".sql"):
            continue
        for name, text in parse_named_blocks(entry.read_text(encoding="utf-8")).items():
            if name in queries:
                raise ValueError(f"SQL block {name!r} is defined in two files")
            queries[name] = text
    return queries


def query(name: str) -> str:
    return all_queries()[name]
