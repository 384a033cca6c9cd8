"""The layers of the README's "Layout" never reach back (an AST walk of every import),
and importing the gateway builds nothing.

    gateway ──> workers ──> pipeline ──> schemas ──> base
       └────────────────────────┴───────────┴──────────^

Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT
from workers.broker import ACTOR_MODULES

#: Our top-level packages.
OURS = frozenset({"base", "gateway", "workers", "pipeline", "schemas"})

#: Libraries that speak HTTP or talk to the queue: none of them in pure code.
HTTP = frozenset({"fastapi", "starlette", "httpx", "uvicorn"})
QUEUE = frozenset({"dramatiq", "redis", "fakeredis"})


def imports(package: str) -> Iterator[tuple[str, str]]:
    """(module file, imported module) for every absolute import in `package`."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield where, alias.name
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield where, node.module
                for alias in node.names:  # `from workers import stages` names a module
                    yield where, f"{node.module}.{alias.name}"


def violations(package: str, forbidden: frozenset[str]) -> list[str]:
    """The imports of `package` whose module is, or is inside, one of `forbidden`."""
    return sorted(
        f"{where} imports {module}"
        for where, module in imports(package)
        if any(module == bad or module.startswith(bad + ".") for bad in forbidden)
    )


def test_the_walk_sees_imports() -> None:
    found = {module for _, module in imports("schemas")}
    assert "pydantic" in found
    assert "base.canonical" in found


def test_pipeline_knows_no_http_no_queue_and_nothing_above_it() -> None:
    assert violations("pipeline", HTTP | QUEUE | {"gateway", "workers"}) == []


def test_schemas_import_only_the_leaf_of_ours() -> None:
    assert violations("schemas", HTTP | QUEUE | {"gateway", "workers", "pipeline"}) == []


@pytest.mark.parametrize("module", sorted(p.stem for p in (ROOT / "base").glob("*.py")))
def test_base_imports_nothing_of_ours(module: str) -> None:
    ours = [
        f"base/{module}.py imports {imported}"
        for where, imported in imports("base")
        if where == f"base/{module}.py" and imported.split(".")[0] in OURS
    ]
    assert ours == []


def test_the_leaf_knows_no_http_and_no_queue() -> None:
    assert violations("base", HTTP | QUEUE - {"dramatiq"}) == []
    # `base.logs` may ask dramatiq which message the thread runs (lazily); the leaf may not.
    leaf = [m for where, m in imports("base") if where == "base/canonical.py"]
    assert not [m for m in leaf if m.split(".")[0] in HTTP | QUEUE]


def test_workers_never_import_the_gateway() -> None:
    assert violations("workers", frozenset({"gateway"})) == []


def test_the_gateway_never_imports_an_actor_module() -> None:
    assert "workers.stages" in ACTOR_MODULES
    assert violations("gateway", frozenset(ACTOR_MODULES) | {"workers.setup"}) == []


def test_importing_the_gateway_builds_no_broker_and_no_actor() -> None:
    probe = (
        "import sys, dramatiq.broker, gateway.app, gateway.cli.main, workers;"
        "assert dramatiq.broker.global_broker is None, 'a broker was built at import';"
        f"loaded = sorted(m for m in {sorted(ACTOR_MODULES)!r} if m in sys.modules);"
        "assert not loaded, loaded"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
