"""`python -m bench [accept chain lookup memory reprocess] [flags]`: run benchmarks, print a table.

With no names it runs them all with modest sizes (a few minutes on 2 cores); the flags make
bigger runs (`--memory-profiles 10000`, `--chain-profiles 2000`, …). `--profile-dir DIR`
also samples the gateway and the chain worker with py-spy and prints where the time goes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import accept, chain, lookup, memory, report, reprocess

BENCHMARKS: dict[str, Callable[[argparse.Namespace], list[report.Figure]]] = {
    "accept": accept.run,
    "chain": chain.run,
    "lookup": lookup.run,
    "memory": memory.run,
    "reprocess": reprocess.run,
}


def parser() -> argparse.ArgumentParser:
    """Every benchmark's flags, plus which to run and where to put results."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        choices=[*BENCHMARKS, []],
        metavar="NAME",
        help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})",
    )
    parser.add_argument("--processes", type=int, default=2, help="worker processes (Procfile)")
    parser.add_argument("--threads", type=int, default=32, help="threads per worker process")
    parser.add_argument("--profile-dir", default=None, help="py-spy the gateway and the worker")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    for module in (accept, chain, lookup, memory, reprocess):
        module.add_arguments(parser)
    return parser


def main(argv: list[str]) -> int:
    """Run the chosen benchmarks in order and print every figure in one table."""
    args = parser().parse_args(argv)
    names = args.names or list(BENCHMARKS)
    print(f"machine: {report.machine()}", flush=True)
    figures: list[report.Figure] = []
    for name in names:
        started = time.monotonic()
        print(f"[{name}] starting; {report.load_average()}", flush=True)
        figures += BENCHMARKS[name](args)
        print(
            f"[{name}] done in {time.monotonic() - started:.0f} s; {report.load_average()}\n",
            flush=True,
        )
    print(report.table(figures))
    if args.json:
        report.save(figures, args.json, argv=argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
