"""`gateway/cli/` is the outermost layer: no other product module imports it."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

PACKAGES = ("gateway", "workers", "pipeline", "schemas")


def _imports(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_nothing_outside_the_cli_imports_it() -> None:
    cli = ROOT / "gateway" / "cli"
    offenders = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if cli not in path.parents
        and any(
            n == "gateway.cli" or n.startswith("gateway.cli.") for n in _imports(path.read_text())
        )
    ]
    assert offenders == []
