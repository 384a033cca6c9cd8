"""Where the time goes: py-spy samples of a child process, and CPU use per process group.

`record` runs `py-spy record --gil --format raw` (collapsed stacks, non-blocking so the
target is not paused) beside a measured run and prints the top frames by own ("self") and
inclusive time, and own time by package. `CpuMeter` adds up CPU seconds of the worker,
PostgreSQL and Redis processes over a run, which tells whether a stage is bound by Python
or waits on the database.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

#: Frames shown in each top list.
TOP = 15

#: Top-level packages of this repository, listed on their own in a summary.
OUR_PACKAGES = ("gateway", "workers", "pipeline", "schemas", "bench")


def _py_spy() -> str:
    local = Path(sys.executable).with_name("py-spy")
    found = str(local) if local.exists() else shutil.which("py-spy")
    if found is None:
        raise RuntimeError("py-spy is not installed: .venv/bin/pip install py-spy")
    return found


@contextmanager
def record(
    pid: int, prefix: Path, *, seconds: float, subprocesses: bool = False, rate: int = 50
) -> Iterator[None]:
    """Sample `pid` (and its children) while the block runs; print a summary afterwards.

    Only threads holding the GIL are sampled (`--gil`): on a loaded machine, threads that
    are runnable but not running would otherwise pass for busy ones, and a worker's eight
    threads share one GIL, so GIL time is the CPU time that limits it.
    """
    prefix.parent.mkdir(parents=True, exist_ok=True)
    raw = prefix.with_suffix(".txt")
    cmd = [_py_spy(), "record", "--pid", str(pid), "--format", "raw", "--nonblocking", "--gil"]
    cmd += ["--rate", str(rate), "--duration", str(max(1, round(seconds))), "-o", str(raw)]
    if subprocesses:
        cmd.append("--subprocesses")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield
    finally:
        _, err = proc.communicate(timeout=seconds + 120)
        if proc.returncode != 0:
            print(f"py-spy failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    if raw.exists():
        print(f"  profile: {raw} (collapsed stacks; flamegraph.pl or speedscope open it)")
        print(summary(raw.read_text()))


_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+)(?::\d+)?\)$")


def _frame(text: str) -> str:
    """`func (path/to/mod.py:12)` → `func (path/to/mod.py)`: lines merged, files kept."""
    match = _FRAME.match(text.strip())
    if match is None:
        return text.strip()
    file = re.sub(r"^.*site-packages/", "", match["file"])
    file = re.sub(r"^.*/lib/python3\.\d+/", "stdlib/", file)
    return f"{match['func']} ({file})"


def _package(frame: str) -> str:
    match = re.search(r"\(([^)/]+)", frame)
    if match is None:
        return "?"
    head = match[1]
    return "stdlib/" + frame.split("stdlib/")[1].split("/")[0] if head == "stdlib" else head


def parse(raw: str) -> tuple[Counter[str], Counter[str], int]:
    """Self counts, inclusive counts and total samples from py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";") if "(" in f]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    return own, inclusive, total


def summary(raw: str, *, top: int = TOP) -> str:
    """Top frames by own and inclusive time, and own time per package, as percentages."""
    own, inclusive, total = parse(raw)
    if not total:
        return "  (no samples)"
    packages: Counter[str] = Counter()
    for frame, count in own.items():
        packages[_package(frame)] += count

    def block(title: str, counts: Counter[str]) -> list[str]:
        lines = [f"  {title}:"]
        lines += [f"    {100 * n / total:5.1f}%  {name}" for name, n in counts.most_common(top)]
        return lines

    ours = Counter({f: n for f, n in inclusive.items() if _package(f) in OUR_PACKAGES})
    lines = [f"  {total} samples"]
    lines += block("own time by package", packages)
    lines += block("own time by frame", own)
    lines += block("inclusive time by frame", inclusive)
    lines += block("inclusive time in hq-ingest code", ours)
    return "\n".join(lines)


@dataclass
class CpuMeter:
    """CPU seconds of groups of processes between `start()` and `stop()`."""

    groups: dict[str, Callable[[], list[psutil.Process]]]
    before: dict[str, dict[int, float]] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def _times(procs: list[psutil.Process]) -> dict[int, float]:
        out = {}
        for proc in procs:
            try:
                times = proc.cpu_times()
                out[proc.pid] = times.user + times.system
            except psutil.Error:
                continue
        return out

    def start(self) -> None:
        self.before = {name: self._times(find()) for name, find in self.groups.items()}

    def stop(self) -> dict[str, float]:
        for name, find in self.groups.items():
            after = self._times(find())
            start = self.before.get(name, {})
            self.used[name] = sum(t - start.get(pid, 0.0) for pid, t in after.items())
        return self.used


def children(pid: int) -> Callable[[], list[psutil.Process]]:
    """The process `pid` and all its descendants."""

    def find() -> list[psutil.Process]:
        try:
            root = psutil.Process(pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    return find


def matching(pattern: str) -> Callable[[], list[psutil.Process]]:
    """Processes whose command line contains `pattern` (e.g. a database name)."""

    def find() -> list[psutil.Process]:
        found = []
        for proc in psutil.process_iter(["cmdline"]):
            cmdline = " ".join(proc.info["cmdline"] or [])
            if pattern in cmdline:
                found.append(proc)
        return found

    return find


def describe_cpu(used: dict[str, float], seconds: float) -> str:
    """CPU use per group as cores busy (1.0 = one core all the time)."""
    parts = [f"{name} {value / seconds:.2f}" for name, value in used.items()]
    return "  CPU cores busy: " + ", ".join(parts)


#: A part of a request's work: its name, the frames that belong to it (substrings of
#: py-spy's `func (file:line)`), and whether it claims everything it calls.
Part = tuple[str, tuple[str, ...], bool]


def shares(raw: str, parts: Sequence[Part], *, within: str, rest: str) -> Counter[str]:
    """Samples per part, from py-spy's collapsed stacks.

    A sample goes to the innermost frame of a part that claims what it calls (so the JSON
    read inside the exact-number check is the check's), else to the innermost frame of any
    other part (tasks the app started count too: a shared Redis pipeline's), else to
    `rest` if its stack passes through a frame containing `within` (the app), else to
    "server and event loop".
    """
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        part = _part(frames, parts)
        if part is None:  # in the app, or in the server (uvicorn) and the event loop
            part = rest if any(within in frame for frame in frames) else "server and event loop"
        counts[part] += int(count_text)
    return counts


def _part(frames: list[str], parts: Sequence[Part]) -> str | None:
    for claiming in (True, False):
        for frame in reversed(frames):
            for name, patterns, claims in parts:
                if claims == claiming and any(p in frame for p in patterns):
                    return name
    return None
