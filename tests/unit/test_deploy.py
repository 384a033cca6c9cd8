"""The deploy files agree: compose.yaml runs the Procfile's lines, the Dockerfile names only
what exists, and requirements.lock pins every declared dependency.

Images cannot be built on these machines, so this reads the files instead.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from gateway.cli.serve import GROUPS, procfile
from tests.conftest import ROOT

#: The compose services built from our image, one per Procfile line.
APP_SERVICES = {"release", "web", "worker", "lookups"}


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def _shell_line(command: list[str]) -> str:
    """The Procfile line a `sh -c "exec env …"` command runs (compose's `$$` is one `$`)."""
    assert command[:2] == ["sh", "-c"], command
    assert command[2].startswith("exec env "), command
    return command[2].removeprefix("exec env ").replace("$$", "$")


def _runtime_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}


def _executable_distribution(name: str) -> str:
    """The distribution whose console script `name` is (fails if none is installed)."""
    found = metadata.entry_points(group="console_scripts", name=name)
    assert found, f"no installed package provides the command {name!r}"
    (entry,) = found
    assert entry.dist is not None
    return canonicalize_name(entry.dist.name)


def test_compose_runs_the_procfile_groups_with_the_same_commands() -> None:
    services = _compose()["services"]
    lines = procfile()
    assert set(lines) == APP_SERVICES
    assert set(GROUPS) == APP_SERVICES - {"release"}  # what `hq-ingest serve` runs
    for name in APP_SERVICES:
        assert _shell_line(services[name]["command"]) == lines[name], name
        assert services[name]["image"] == "hq-ingest"


def test_compose_waits_for_healthy_services_and_the_migration() -> None:
    services = _compose()["services"]
    for name in ("postgres", "redis", "web"):
        assert services[name]["healthcheck"]["test"], name
    assert "--appendonly" in services["redis"]["command"]
    for name in APP_SERVICES - {"release"}:
        needs = services[name]["depends_on"]
        assert needs["release"] == {"condition": "service_completed_successfully"}
        assert needs["postgres"] == needs["redis"] == {"condition": "service_healthy"}


def test_every_command_the_deploy_files_name_is_a_runtime_dependency() -> None:
    """uvicorn, dramatiq and alembic come from the image's packages (no extras)."""
    commands = [shlex.split(line)[0] for line in procfile().values()]
    commands = [c for c in commands if "=" not in c] + ["dramatiq"]  # worker: VAR=x dramatiq …
    runtime = _runtime_distributions()
    for name in {*commands, *_dockerfile_commands()}:
        assert _executable_distribution(name) in runtime, name


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def _dockerfile_commands() -> set[str]:
    """The programs the final image's CMD runs."""
    cmd = re.search(r"^CMD (\[.*\])$", _dockerfile(), re.MULTILINE)
    assert cmd is not None
    return {shlex.split(_shell_line(yaml.safe_load(cmd.group(1))))[0]}


def test_dockerfile_is_multi_stage_non_root_and_copies_what_exists() -> None:
    text = _dockerfile()
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) == 2
    assert re.search(r"^USER hq$", text, re.MULTILINE)
    assert "-c requirements.lock ." in text  # locked versions, no extras
    for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.MULTILINE):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), source
    cmd = re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)
    assert cmd is not None
    assert _shell_line(yaml.safe_load(cmd.group(1))) == procfile()["web"]


def test_the_image_gets_every_package_the_project_installs() -> None:
    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {pattern.rstrip("*") for pattern in found["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \1$", _dockerfile(), re.MULTILINE))
    assert packages <= copied


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"].values()
    every = [*project["dependencies"], *(r for group in extras for r in group)]
    return [Requirement(r) for r in every if not r.startswith("hq-ingest")]


@pytest.mark.parametrize("requirement", _declared(), ids=str)
def test_the_lock_pins_every_declared_dependency(requirement: Requirement) -> None:
    pins = _lock()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{name} is not in requirements.lock (run make lock)"
    assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} vs {requirement}"


def test_the_makefile_installs_with_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "-c requirements.lock -e '.[dev,embedded]'" in makefile
    assert not Path(ROOT / "requirements.lock").read_text().count("hq-ingest")
