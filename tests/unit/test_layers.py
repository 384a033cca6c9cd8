"""The layers of the README's "Layout" never reach back (an AST walk of every import),
and importing the gateway builds nothing.

    gateway ──> workers ──> pipeline ──> schemas  (schemas/canonical.py: the leaf)
       └────────────────────────┴───────────^

Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator

from tests.conftest import ROOT
from workers.broker import ACTOR_MODULES

#: Our top-level packages.
OURS = frozenset({"gateway", "workers", "pipeline", "schemas"})

#: The leaf module of shared types: it imports nothing of ours, not even the rest of schemas/.
LEAF = "schemas/canonical.py"

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
    assert "schemas.canonical" in {module for _, module in imports("pipeline")}


def test_pipeline_knows_no_http_no_queue_and_nothing_above_it() -> None:
    assert violations("pipeline", HTTP | QUEUE | {"gateway", "workers"}) == []


def test_schemas_import_nothing_of_ours_but_schemas() -> None:
    assert violations("schemas", HTTP | QUEUE | (OURS - {"schemas"})) == []


def test_the_leaf_imports_nothing_of_ours_and_no_http_or_queue() -> None:
    leaf = [module for where, module in imports("schemas") if where == LEAF]
    assert "pydantic" in leaf
    assert [m for m in leaf if m.split(".")[0] in OURS | HTTP | QUEUE] == []


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
