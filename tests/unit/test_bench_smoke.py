"""The benchmark helpers still fit the code they measure (no services, well under a second).

The benchmarks themselves run with `python -m bench`, never under pytest; this only checks
the parts that would otherwise break silently: bodies still validate and stay in the
8–30 KB band, and the wrk and py-spy parsers still read what those tools print.
"""

from __future__ import annotations

import orjson
import pytest

from bench import load, payloads, profiling
from bench.__main__ import parser
from schemas.webhooks import PersonProfileIngest
from tests.conftest import fixtures_dir

WRK_OUTPUT = """Running 8s test @ http://127.0.0.1:41234/run/people/clay-native/person-profile/ingest
  1 threads and 32 connections
  Latency Distribution
     50%   12.50ms
     75%   20.10ms
     90%   31.00ms
     99%    1.20s
  4000 requests in 8.00s, 1.10MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    500.00
"""


@pytest.fixture(autouse=True)
def _fixtures() -> None:
    if not (fixtures_dir() / "payloads").is_dir():
        pytest.skip("shared fixtures are not available")


def test_bodies_are_valid_realistic_and_one_person_each() -> None:
    sizes = [len(payloads.encoded(i)) for i in range(len(payloads.templates()))]

    assert payloads.MIN_BYTES <= min(sizes) and max(sizes) <= payloads.MAX_BYTES + 2_000
    for i in (0, 7, 8, 47):
        body = PersonProfileIngest.model_validate(orjson.loads(payloads.encoded(i)))
        assert body.linkedin_url == payloads.person_url(i)


def test_wrk_report_is_parsed() -> None:
    result = load.parse_wrk(WRK_OUTPUT)

    assert (result.requests, result.errors, result.seconds) == (4000, 3, 8.0)
    assert (result.percentile_ms(0.5), result.percentile_ms(0.99)) == (12.5, 1200.0)


def test_profile_summary_counts_own_and_inclusive_time() -> None:
    raw = (
        "run (dramatiq/worker.py:10);sync_core (workers/stages.py:80) 3\n"
        "run (dramatiq/worker.py:10);evalsha (redis/commands/core.py:5) 1\n"
    )
    own, inclusive, total = profiling.parse(raw)

    assert total == 4
    assert own["sync_core (workers/stages.py)"] == 3
    assert inclusive["run (dramatiq/worker.py)"] == 4
    assert "75.0%  sync_core (workers/stages.py)" in profiling.summary(raw)


def test_cli_knows_every_benchmark() -> None:
    args = parser().parse_args(["chain", "--chain-profiles", "10"])

    assert args.names == ["chain"] and args.chain_profiles == 10
