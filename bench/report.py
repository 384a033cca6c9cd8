"""Figures the benchmarks produce, and the table `python -m bench` prints at the end."""

from __future__ import annotations

import json
import math
import platform
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil


@dataclass
class Figure:
    """One measured figure beside its same-run baseline and its target.

    `ratio` is value / baseline; `ok` says whether the target is met (None: no target, or
    not measured).
    """

    bench: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None
    note: str = ""


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"


def show(figure: Figure) -> None:
    """Print one figure as it is measured."""
    line = f"  {figure.name}: {_fmt(figure.value)} {figure.unit}"
    if figure.baseline is not None:
        line += f"  (baseline {_fmt(figure.baseline)})"
    if figure.ratio is not None:
        line += f"  ratio {figure.ratio:.2f}"
    if figure.target:
        verdict = {True: "MET", False: "MISSED", None: "n/a"}[figure.ok]
        line += f"  target {figure.target}: {verdict}"
    if figure.note:
        line += f"  [{figure.note}]"
    print(line, flush=True)


def machine() -> str:
    """A one-line description of where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    memory = psutil.virtual_memory().total / 2**30
    return f"{psutil.cpu_count()} CPUs ({cpu}), {memory:.0f} GiB RAM, {platform.platform()}"


def load_average() -> str:
    """The 1/5/15-minute load averages: how shared the machine was while measuring."""
    return "load average " + " ".join(f"{v:.1f}" for v in psutil.getloadavg())


def table(figures: list[Figure]) -> str:
    """A Markdown table of every figure with a target or a ratio."""
    rows = ["| bench | figure | value | baseline | ratio | target | met |", "|---" * 7 + "|"]
    for f in figures:
        verdict = {True: "yes", False: "**no**", None: "-"}[f.ok]
        ratio = f"{f.ratio:.2f}" if f.ratio is not None else "-"
        rows.append(
            f"| {f.bench} | {f.name} | {_fmt(f.value)} {f.unit} | {_fmt(f.baseline)} | {ratio}"
            f" | {f.target or '-'} | {verdict} |"
        )
    return "\n".join(rows)


def save(figures: list[Figure], path: Path, *, argv: list[str]) -> None:
    """Write the figures as JSON, with the machine, the date and the command line."""
    data = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_at_end": load_average(),
        "argv": argv,
        "figures": [asdict(f) for f in figures],
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
