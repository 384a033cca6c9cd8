"""The benchmark helpers still fit the code they measure (no services, well under a second).

The benchmarks themselves run with `python -m bench`, never under pytest; this only checks
the parts that would otherwise break silently: bodies still validate and stay in the
8–30 KB band, and the wrk and py-spy parsers still read what those tools print.
"""

from __future__ import annotations

import orjson
import pytest

from bench import load, lookup_load, payloads, profiling
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


def test_a_get_carries_no_body_and_a_post_its_length() -> None:
    get = load.request_bytes("/healthz", {"X-API-Key": "k"}, None, port=8000)
    post = load.request_bytes("/lookup", {}, b'{"a":1}', port=8000)

    assert get == b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nX-API-Key: k\r\n\r\n"
    assert b"Content-Length: 7\r\n" in post and post.endswith(b'\r\n\r\n{"a":1}')


def test_lookups_beside_healthz_come_back_whole_from_the_loader_process() -> None:
    lookups = load.LoadResult(seconds=1.0, latencies=[0.01] * 99 + [0.2])
    lookups.statuses.update({200: 98, 202: 2})
    health = load.LoadResult(seconds=1.0, latencies=[0.002] * 100)
    health.statuses.update({200: 100})

    pair = lookup_load.Pair.from_json(
        orjson.loads(orjson.dumps(lookup_load.Pair(lookups, health).as_json()))
    )

    assert pair.unanswered() == 2  # a 202 is a wait that ran out, not an answer
    assert pair.p99_over() == pytest.approx(200 - 2)
    assert "2 of 100 not 200" in pair.line()


def test_the_bare_baseline_takes_the_bodies_and_answers_202() -> None:
    from fastapi.testclient import TestClient

    from bench.apps import INGEST_PATH, bare_app

    with TestClient(bare_app()) as client:
        json_type = {"Content-Type": "application/json"}
        response = client.post(INGEST_PATH, content=payloads.encoded(3), headers=json_type)
        refused = client.post(INGEST_PATH, json={"linkedin_url": "x"})

    assert response.status_code == 202 and response.json()["job_id"]
    assert refused.status_code == 422


def test_profile_shares_go_to_the_innermost_claiming_part() -> None:
    from bench.accept import PARTS

    raw = (
        "run (uvicorn/x.py:1);FastAPI.__call__ (fastapi/applications.py:9);"
        "exact_json (gateway/routes.py:5);raw_decode (json/decoder.py:3) 3\n"
        "run (uvicorn/x.py:1);FastAPI.__call__ (fastapi/applications.py:9);"
        "solve_dependencies (fastapi/dependencies/utils.py:7) 2\n"
        "run (uvicorn/x.py:1);FastAPI.__call__ (fastapi/applications.py:9);x (fastapi/y.py:1) 1\n"
        "run (uvicorn/x.py:1);_send (workers/autopipe.py:4) 4\n"
        "run (uvicorn/x.py:1);data_received (uvicorn/h.py:2) 5\n"
    )
    shares = profiling.shares(raw, PARTS, within="FastAPI.__call__", rest="framework")

    assert shares == {
        "exact-number check": 3,
        "dependencies": 2,
        "framework": 1,
        "enqueue (message, Lua script)": 4,
        "server and event loop": 5,
    }
