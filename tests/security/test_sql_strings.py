"""No SQL is built from strings: every statement is a SQLAlchemy construct or a constant.

An AST walk over the service's code rejects raw-SQL entry points (`text`, `literal_column`,
`DDL`, `exec_driver_sql`, `.execute`) whose SQL argument is an f-string, `%`-formatting,
`.format()`, `+` concatenation or `.join()`, directly or through a local variable assigned
one. A short allowlist names the DDL that interpolates our own constant identifiers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("gateway", "workers", "pipeline", "schemas")

#: Calls whose first argument is SQL text.
SQL_CALLS = frozenset({"text", "literal_column", "DDL", "exec_driver_sql", "execute"})

#: (file, function) pairs allowed to format SQL, and why. Keep this list short.
ALLOWED = {
    ("gateway/cli/embedded.py", "start_postgres"): "CREATE DATABASE on the constant EMBEDDED_DB",
}


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_built(node: ast.AST, built_names: set[str]) -> bool:
    """Whether an expression builds a string at run time (or names a local that did)."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _stringish(node.left) or _stringish(node.right) or _is_built(node.left, built_names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in {"format", "join", "replace"} and _stringish(node.func.value)
    return isinstance(node, ast.Name) and node.id in built_names


def _stringish(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    return isinstance(node, ast.JoinedStr | ast.BinOp | ast.Name | ast.Call)


def violations(source: str) -> Iterator[tuple[int, str]]:
    """(line, enclosing function) of every raw-SQL call given a string built at run time."""
    tree = ast.parse(source)
    for scope in [tree, *ast.walk(tree)]:
        if not isinstance(scope, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        name = getattr(scope, "name", "<module>")
        built = {
            target.id
            for node in ast.walk(scope)
            if isinstance(node, ast.Assign) and _is_built(node.value, set())
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in _own_nodes(scope):
            if (
                isinstance(node, ast.Call)
                and _called_name(node) in SQL_CALLS
                and node.args
                and _is_built(node.args[0], built)
            ):
                yield node.lineno, name


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a module or function, not of the functions nested in it."""
    for child in ast.iter_child_nodes(scope):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        yield child
        yield from _own_nodes(child)


def _sources() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def test_no_sql_is_built_from_strings() -> None:
    found = []
    for path in _sources():
        relative = path.relative_to(ROOT).as_posix()
        for line, function in violations(path.read_text()):
            if (relative, function) not in ALLOWED:
                found.append(f"{relative}:{line} in {function}()")
    assert found == [], "SQL built from strings (use bound parameters):\n" + "\n".join(found)


def test_the_allowlist_has_no_stale_entries() -> None:
    used = {
        (path.relative_to(ROOT).as_posix(), function)
        for path in _sources()
        for _line, function in violations(path.read_text())
    }
    assert set(ALLOWED) <= used


@pytest.mark.parametrize(
    "snippet",
    [
        'conn.execute(text(f"SELECT * FROM t WHERE id = {user_id}"))',
        'conn.execute(text("SELECT * FROM t WHERE id = %s" % user_id))',
        'conn.execute(text("SELECT * FROM t WHERE id = {}".format(user_id)))',
        'conn.execute(text("SELECT * FROM t WHERE id = " + user_id))',
        "conn.exec_driver_sql(f\"DELETE FROM t WHERE name = '{name}'\")",
        'cursor.execute("SELECT " + ", ".join(columns) + " FROM t")',
        'sql = f"SELECT {col} FROM t"\nconn.execute(text(sql))',
        'select(literal_column(f"{name}"))',
        'def f(x):\n    q = "UPDATE t SET a = %s" % x\n    return conn.execute(q)',
    ],
)
def test_the_check_catches_built_sql(snippet: str) -> None:
    assert list(violations(snippet)), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        'conn.execute(text("SELECT 1"))',
        'conn.execute(text("SELECT * FROM t WHERE id = :id"), {"id": user_id})',
        "conn.execute(select(t.c.id).where(t.c.name == name))",
        'cursor.execute("SELECT * FROM t WHERE id = %s", (user_id,))',
        'conn.execute(text("SELECT 1 " "FROM t"))',
        "message = f'no job {job_id}'\nraise ApiError(404, message)",
    ],
)
def test_the_check_accepts_bound_parameters(snippet: str) -> None:
    assert list(violations(snippet)) == [], snippet
