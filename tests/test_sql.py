from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import axis
from axis.storage import sql


def test_named_blocks_split_on_name_lines() -> None:
    blocks = sql.parse_named_blocks(
        "-- name: first\nSELECT 1\n\n-- name: second\nSELECT 2\nFROM t\n"
    )
    assert blocks == {"first": "SELECT 1", "second": "SELECT 2\nFROM t"}


def test_duplicate_block_is_an_error() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        sql.parse_named_blocks("-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n")


def test_packaged_queries_load() -> None:
    assert sql.query("ping") == "SELECT 1"


# Every block is found by its literal name: a reader can grep a name from the
# .sql file to its one caller, and a block nobody calls is dead SQL.
_AXIS = Path(axis.__file__).parent


@dataclass(frozen=True)
class QueryCall:
    module: str
    function: str  # the innermost def holding the call ("" at module level)
    line: int
    name: str | None  # None: the argument is not a string literal


def _is_sql_query(call: ast.Call) -> bool:
    function = call.func
    return (
        isinstance(function, ast.Attribute)
        and function.attr == "query"
        and isinstance(function.value, ast.Name)
        and function.value.id == "sql"
    )


def _literal_name(call: ast.Call) -> str | None:
    argument = call.args[0] if len(call.args) == 1 and not call.keywords else None
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return argument.value
    return None


def _calls_in(module: str, tree: ast.AST, function: str) -> list[QueryCall]:
    calls: list[QueryCall] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            calls += _calls_in(module, node, node.name)
            continue
        if isinstance(node, ast.Call) and _is_sql_query(node):
            calls.append(QueryCall(module, function, node.lineno, _literal_name(node)))
        calls += _calls_in(module, node, function)
    return calls


def _query_calls() -> list[QueryCall]:
    calls: list[QueryCall] = []
    for path in sorted(_AXIS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        calls += _calls_in(path.relative_to(_AXIS).as_posix(), tree, "")
    return calls


def test_the_walk_finds_the_calls() -> None:
    # Guards the test itself: a walk that finds nothing would pass vacuously.
    assert len(_query_calls()) > 50


def test_every_query_call_names_a_block_literally() -> None:
    computed = [call for call in _query_calls() if call.name is None]
    assert not computed, f"sql.query() must be given a literal block name: {computed}"


def test_every_named_query_exists() -> None:
    unknown = [call for call in _query_calls() if call.name not in (None, *sql.all_queries())]
    assert not unknown, f"sql.query() names a block no .sql file defines: {unknown}"


def test_every_block_is_used() -> None:
    used = {call.name for call in _query_calls()}
    unused = sorted(set(sql.all_queries()) - used)
    assert not unused, f"SQL blocks no sql.query() call in axis/ uses: {unused}"


def test_query_is_reached_only_as_sql_query() -> None:
    # `from axis.storage.sql import query` would hide calls from the walk above.
    hiding = [
        f"{path.relative_to(_AXIS)}:{node.lineno}"
        for path in sorted(_AXIS.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and node.module == "axis.storage.sql"
        and any(alias.name == "query" for alias in node.names)
    ]
    assert not hiding, f"import the module (from axis.storage import sql): {hiding}"
