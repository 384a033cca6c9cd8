"""What the lookup benchmark sends, and its loader: lookups and `/healthz` in turns.

A lookup's latency only means something beside what the same load generator sees on a
route that does nothing, on the same machine at the same moment: on a shared 2-core
machine, other people's runs move both. `alternate` sends lookups at `rate` for a block,
then `GET /healthz` at the same rate for a block of the same length, `rounds` times, so
both see the same neighbours. Run as `python -m bench.lookup_load`, the same loader runs in
a process of its own (as an outside client does) and prints both results as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import orjson

from bench import load
from pipeline.reference import lookup_key

TITLE_PATH = "/run/people/db/person-job-title/lookup"
LOCATION_PATH = "/run/people/db/person-location/lookup"
#: The route that does nothing: what the load generator and the HTTP server cost alone.
HEALTH_PATH = "/healthz"
#: Share of requests whose key is in the reference table.
HIT_SHARE = 0.8

_LEVELS = ("", "Senior ", "Lead ", "Head of ", "VP of ", "Director of ", "Junior ", "Chief ")
_AREAS = ("Sales", "Marketing", "Engineering", "Finance", "Operations", "Product", "People")
_ROLES = ("", " Manager", " Specialist", " Analyst", " Partner", " Operations", " Strategy")
_PLACES = (
    ("Austin", "Texas", "United States"),
    ("Denver", "Colorado", "United States"),
    ("Leeds", "England", "United Kingdom"),
    ("Lyon", "Auvergne-Rhône-Alpes", "France"),
    ("Utrecht", "Utrecht", "Netherlands"),
    ("Pune", "Maharashtra", "India"),
    ("Calgary", "Alberta", "Canada"),
    ("Bergen", "Vestland", "Norway"),
)


def seed_rows() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Reference rows: (key, title, cleaned, seniority, function) and (key, name, city, …)."""
    titles = []
    for level in _LEVELS:
        for area in _AREAS:
            for role in _ROLES:
                title = f"{level}{area}{role}".strip()
                titles.append((title, title, level.strip() or "Entry", area))
    for n in range(2000 - len(titles)):
        titles.append((f"{_AREAS[n % 7]} Consultant {n}", "Consultant", "Senior", _AREAS[n % 7]))
    places = []
    for n in range(2000):
        city, state, country = _PLACES[n % len(_PLACES)]
        name = f"{city} Area {n}" if n >= len(_PLACES) else f"{city}, {state}, {country}"
        places.append((name, city, state, country))
    title_rows: list[tuple[str, ...]] = [(str(lookup_key(t[0])), *t) for t in titles]
    place_rows: list[tuple[str, ...]] = [(str(lookup_key(p[0])), *p) for p in places]
    return title_rows, place_rows


def requests(titles: list[tuple[str, ...]], places: list[tuple[str, ...]]) -> list[Any]:
    """A reproducible request mix: (path, field, text) — hits in other spellings, misses."""
    rng = random.Random(11)
    misses = [f"{rng.choice(_AREAS)} Wrangler {n}" for n in range(200)]
    miss_places = [f"{p[0]} Metro {n}" for n, p in enumerate(_PLACES * 25)]
    out = []
    for n in range(4000):
        is_title, hit = n % 2 == 0, rng.random() < HIT_SHARE
        if is_title:
            text = rng.choice(titles)[1] if hit else rng.choice(misses)
            out.append((TITLE_PATH, "job_title", _respell(rng, text)))
        else:
            text = rng.choice(places)[1] if hit else rng.choice(miss_places)
            out.append((LOCATION_PATH, "location_name", _respell(rng, text)))
    return out


def _respell(rng: random.Random, text: str) -> str:
    """The same key written as Clay cells do: other case, padding, doubled spaces."""
    if rng.random() < 0.5:
        text = text.upper() if rng.random() < 0.5 else text.lower()
    return "  " + text.replace(" ", "  ") + " " if rng.random() < 0.3 else text


def routed(port: int, key: str, mix: list[Any], *, rate: float, seconds: float) -> load.LoadResult:
    """Lookups through the gateway at `rate` per second (open loop)."""

    def request(seq: int) -> tuple[str, bytes | None]:
        path, field, text = mix[seq % len(mix)]
        return path, orjson.dumps({field: text})

    headers = {"Authorization": f"Bearer {key}"}
    return load.open_loop(port, headers=headers, request=request, rate=rate, seconds=seconds)


def healthz(port: int, *, rate: float, seconds: float) -> load.LoadResult:
    """`GET /healthz` at `rate` per second, through the same open-loop client."""
    return load.open_loop(
        port, headers={}, request=lambda seq: (HEALTH_PATH, None), rate=rate, seconds=seconds
    )


@dataclass
class Pair:
    """Lookups and `/healthz` as one load generator saw them in one run."""

    lookups: load.LoadResult
    health: load.LoadResult
    #: CPU seconds the loader's own process spent sending both (what it takes from the
    #: machine the stack runs on).
    loader_cpu_s: float = 0.0

    def unanswered(self) -> int:
        """Lookups not answered in the request (a 202 is a wait that ran out)."""
        return self.lookups.requests - self.lookups.statuses[200]

    def p99_over(self) -> float:
        """How much later the lookups' p99 is than `/healthz`'s, in ms."""
        return self.lookups.percentile_ms(0.99) - self.health.percentile_ms(0.99)

    def line(self) -> str:
        """lookup p50/p99 beside healthz p50/p99 and the difference."""
        look, health = self.lookups, self.health
        return (
            f"lookup p50 {look.percentile_ms(0.5):.1f} / p99 {look.percentile_ms(0.99):.1f} ms"
            f" ({self.unanswered()} of {look.requests} not 200: {dict(look.statuses)}),"
            f" healthz p50 {health.percentile_ms(0.5):.1f}"
            f" / p99 {health.percentile_ms(0.99):.1f} ms; p99 difference {self.p99_over():.1f} ms;"
            f" loader CPU {1000 * self.loader_cpu_s / max(look.requests + health.requests, 1):.2f}"
            " ms a request"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "lookups": _dump(self.lookups),
            "health": _dump(self.health),
            "loader_cpu_s": self.loader_cpu_s,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pair:
        return cls(_load(data["lookups"]), _load(data["health"]), data["loader_cpu_s"])


def alternate(
    port: int,
    key: str,
    mix: list[Any],
    *,
    rate: float,
    seconds: float,
    rounds: int,
    during_lookups: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> Pair:
    """`seconds` of lookups and `seconds` of `/healthz`, in `rounds` alternating blocks.

    `during_lookups` wraps each lookup block (e.g. a CPU meter).
    """
    pair = Pair(load.LoadResult(seconds=0.0), load.LoadResult(seconds=0.0))
    block, cpu_before = seconds / rounds, time.process_time()
    for number in range(rounds):
        with during_lookups():
            part = routed(port, key, mix[number * int(rate * block) :], rate=rate, seconds=block)
        _add(pair.lookups, part)
        _add(pair.health, healthz(port, rate=rate, seconds=block))
    pair.loader_cpu_s = time.process_time() - cpu_before
    return pair


def _add(total: load.LoadResult, part: load.LoadResult) -> None:
    total.seconds += part.seconds
    total.latencies += part.latencies
    total.tags += part.tags
    total.statuses.update(part.statuses)


def _dump(result: load.LoadResult) -> dict[str, Any]:
    statuses = {str(k): v for k, v in result.statuses.items()}
    return {"seconds": result.seconds, "latencies": result.latencies, "statuses": statuses}


def _load(data: dict[str, Any]) -> load.LoadResult:
    result = load.LoadResult(seconds=data["seconds"], latencies=list(data["latencies"]))
    result.statuses.update({int(k): v for k, v in data["statuses"].items()})
    return result


def main(argv: list[str]) -> int:
    """`python -m bench.lookup_load --port P --key K`: `alternate` in this process, as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.lookup_load")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True, help="an API key the gateway admits")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    mix = requests(*seed_rows())
    pair = alternate(
        args.port, args.key, mix, rate=args.rate, seconds=args.seconds, rounds=args.rounds
    )
    json.dump(pair.as_json(), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
