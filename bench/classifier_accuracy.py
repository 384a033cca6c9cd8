"""Print the accuracy of the built-in title and location classifiers, and the lookup time.

Run from the repository root: ``python bench/classifier_accuracy.py``. It scores the shared
fixtures (``$HQ_FIXTURES_DIR``, else ``../shared/fixtures``) and the hand-labelled sets in
``tests/data/``: *exact* counts the primary label only, *lenient* also the ``accept`` lists.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.fold import fold  # noqa: E402
from pipeline.locations import classify_location  # noqa: E402
from pipeline.titles import classify_title  # noqa: E402

LOCATION_FIELDS = ("city", "state", "country", "country_code")


def fixtures_dir() -> Path:
    """The shared fixtures folder."""
    configured = os.environ.get("HQ_FIXTURES_DIR")
    return Path(configured) if configured else ROOT.parent / "shared" / "fixtures"


def load(path: Path) -> list[dict[str, Any]] | None:
    """The items of a labelled set, or None when the file is absent."""
    if not path.is_file():
        return None
    items: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["items"]
    return items


def same(value: str | None, wanted: str | None) -> bool:
    """Case- and accent-insensitive equality where None only equals None."""
    return (value is None and wanted is None) or (
        value is not None and wanted is not None and fold(value) == fold(wanted)
    )


def share(hits: list[bool]) -> str:
    """Share of true values, as a percentage."""
    return f"{sum(hits) / len(hits):6.1%}"


def report_titles(name: str, items: list[dict[str, Any]]) -> None:
    """Seniority and function accuracy, exact and lenient."""
    matches = [classify_title(i["title"]) for i in items]
    line = f"titles    {name:<16} n={len(items):<4}"
    for field, attr in (("seniority", "seniority_level"), ("function", "job_function")):
        got = [getattr(m, attr) for m in matches]
        exact = share([g == i[field] for g, i in zip(got, items, strict=True)])
        lenient = share([g in i[f"accept_{field}"] for g, i in zip(got, items, strict=True)])
        line += f"  {field} exact {exact} lenient {lenient}"
    print(line)


def lenient_ok(value: str | None, item: dict[str, Any], field: str) -> bool:
    """The fixture rule: the primary value or one of the ``accept`` values."""
    allowed = [item[field], *item.get("accept", {}).get(field, [])]
    return any(same(value, a) for a in allowed)


def report_locations(name: str, items: list[dict[str, Any]]) -> None:
    """Per-field accuracy, exact and lenient, and the share of fully correct items."""
    matches = [classify_location(i["input"]) for i in items]
    print(f"locations {name:<16} n={len(items)}")
    for field in LOCATION_FIELDS:
        got = [getattr(m, field) for m in matches]
        exact = share([same(g, i[field]) for g, i in zip(got, items, strict=True)])
        lenient = share([lenient_ok(g, i, field) for g, i in zip(got, items, strict=True)])
        print(f"    {field:<13} exact {exact} lenient {lenient}")
    whole = [
        all(lenient_ok(getattr(m, f), i, f) for f in LOCATION_FIELDS)
        for m, i in zip(matches, items, strict=True)
    ]
    print(f"    {'all fields':<13} lenient {share(whole)}")


def report_speed(texts: list[str]) -> None:
    """Build time of the gazetteer and median/p95 time of an uncached lookup."""
    start = time.perf_counter()
    classify_location.__wrapped__("Warm, Up")
    print(f"gazetteer build {time.perf_counter() - start:.2f} s")
    timings = []
    for text in texts * 10:
        start = time.perf_counter()
        classify_location.__wrapped__(text)
        timings.append(time.perf_counter() - start)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95)]
    print(f"location lookup p50 {statistics.median(timings) * 1000:.3f} ms p95 {p95 * 1000:.3f} ms")


def main() -> None:
    """Score every labelled set that is present."""
    fixtures, extra = fixtures_dir(), ROOT / "tests" / "data"
    titles = [("fixtures", fixtures / "titles.json"), ("extra", extra / "titles_extra.json")]
    places = [("fixtures", fixtures / "locations.json"), ("extra", extra / "locations_extra.json")]
    loaded = {path: load(path) for _, path in titles + places}
    report_speed([i["input"] for _, path in places for i in loaded[path] or []])
    for name, path in titles:
        items = loaded[path]
        print(f"titles    {name}: missing {path}") if items is None else report_titles(name, items)
    for name, path in places:
        items = loaded[path]
        if items is None:
            print(f"locations {name}: missing {path}")
        else:
            report_locations(name, items)


if __name__ == "__main__":
    main()
