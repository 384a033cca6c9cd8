"""`run.json`: the admin commands find a live `serve` only, and a killed one's children stop."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from gateway.cli import embedded

#: A stand-in process whose command line reads like the real one's.
SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def _record(data: Path, pid: int, children: list[int] | None = None) -> None:
    (data / "run.json").write_text(json.dumps({"pid": pid, "children": children or []}))


def test_a_live_serve_is_found_and_a_dead_or_reused_pid_is_not(tmp_path: Path) -> None:
    serve = subprocess.Popen([*SLEEPER, "serve"])
    try:
        _record(tmp_path, serve.pid)
        assert embedded.running(tmp_path) == {"pid": serve.pid, "children": []}
        with pytest.raises(RuntimeError, match="already runs"):
            embedded.stop_leftovers(tmp_path)
        serve.kill()  # not reaped: a zombie, still no running serve
        zombie = psutil.Process(serve.pid)
        wait_for = time.monotonic() + 10
        while zombie.status() != psutil.STATUS_ZOMBIE and time.monotonic() < wait_for:
            time.sleep(0.01)
        assert embedded.running(tmp_path) is None
    finally:
        serve.kill()
        serve.wait()
    other = subprocess.Popen(SLEEPER)  # a pid now used by something else
    try:
        _record(tmp_path, other.pid)
        assert embedded.running(tmp_path) is None
    finally:
        other.kill()
        other.wait()


def test_the_children_a_killed_serve_left_are_stopped(tmp_path: Path) -> None:
    left = subprocess.Popen([*SLEEPER, "dramatiq"], start_new_session=True)
    stranger = subprocess.Popen(SLEEPER, start_new_session=True)
    try:
        _record(tmp_path, 2**22 + 1, children=[left.pid, stranger.pid])  # serve is gone
        embedded.stop_leftovers(tmp_path)
        assert left.poll() is not None  # stopped (and reaped by stop_leftovers' wait)
        assert stranger.poll() is None  # not one of ours: left alone
        assert not (tmp_path / "run.json").exists()
    finally:
        for process in (left, stranger):
            process.kill()
            process.wait()
