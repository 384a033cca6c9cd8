"""`pipeline.personsteps` over lists: one call of N items leaves exactly the rows N calls of one
would, whatever repeats, fails or interacts inside the list, at a statement count that does
not grow with N.

Rows are compared on natural keys: surrogate ids (people, companies, raw payloads) are
numbered in another order by a batch, which takes its row locks in key order, and the
database's `now()` stamps differ between transactions.
"""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, event, select, text
from sqlalchemy.exc import DBAPIError

from pipeline import personsteps
from pipeline import tables as t
from pipeline.errors import MissingRecordError
from pipeline.reference import describe_workflow
from pipeline.store import persons, reference
from pipeline.store.jsonrows import written_columns
from pipeline.workflows.facts import Facts
from pipeline.workflows.people_facts import JobFact, PersonFacts
from tests.conftest import load_fixture

pytestmark = pytest.mark.integration

SLUG = "clay-person-profile"
T1, T2, T3 = "2026-01-10 08:00:00", "2026-02-10 08:00:00", "2026-03-10 08:00:00"
#: A person the find-people workflow observed before any profile arrives.
OBSERVED = "observed-olga"
OBSERVATION_JOB = "00000000-0000-4000-8000-000000000001"


def _url(slug: str) -> str:
    return f"https://www.linkedin.com/in/{slug}"


def _job(company: str, domain: str | None = None, url: str | None = None, **more: Any) -> Any:
    return {"company": company, "company_domain": domain, "url": url, "title": "Engineer"} | more


def clay(slug: str, jobs: Sequence[dict[str, Any]], refreshed: str = T2) -> dict[str, Any]:
    """A Clay enrich-person body for person `slug` with these experience rows."""
    raw = copy.deepcopy(load_fixture("payloads/clay_a.json")["raw_payload"])
    rows = []
    for n, job in enumerate(jobs):
        start = f"{2010 + n}-01-01"
        current = n == 0
        row = {"end_date": "Present" if current else f"{2011 + n}-01-01", "is_current": current}
        rows.append(row | {"start_date": start, "org_id": None, "company_id": None} | job)
    raw |= {"experience": rows, "last_refresh": refreshed, "url": _url(slug), "slug": slug}
    return {"linkedin_url": _url(slug), "workflow_slug": SLUG, "raw_payload": raw}


def pool() -> list[dict[str, Any]]:
    """Payloads that interact: shared and renamed companies, a merge (gina's job links
    erin's and frank's companies), a domain learnt late, repeats of a person (newer,
    stale, equal time), a bad shape, observed people."""
    acme = _job("Acme", "acme.com", "https://www.linkedin.com/company/acme")
    return [
        clay("alice", [acme, _job("Beta Labs")]),
        clay("bob", [_job("Acme Inc"), _job("Gamma", "gamma.io")], refreshed=T1),
        clay("alice", [_job("Acme", "acme.com")], refreshed=T1),  # stale after the first
        {"linkedin_url": _url("carol"), "workflow_slug": SLUG, "raw_payload": {"odd": 1}},
        clay("erin", [_job("Xeno", "xeno.com")]),
        clay("frank", [_job("Xeno Social", url="https://www.linkedin.com/company/xeno-social")]),
        clay("gina", [_job("Xeno", "xeno.com", "https://www.linkedin.com/company/xeno-social")]),
        clay("hank", [_job("Hotel Co"), acme]),
        clay("ivan", [_job("Hotel", "hotel.com"), _job("Beta Labs", "betalabs.com")]),
        clay("bob", [_job("Gamma", "gamma.io"), _job("Delta", "delta.com")], refreshed=T3),
        clay(OBSERVED, [_job("Gamma", "gamma.io"), _job("Acme", "acme.com")]),
        clay("alice", [acme, _job("Epsilon", "epsilon.com")]),  # same time as the first
        clay("kate", [_job("Zeta", "zeta.com")]),
        clay("liam", [_job("Zeta", "zeta.com", "https://www.linkedin.com/company/zeta")]),
        clay("mia", [_job("Zeta Social", url="https://www.linkedin.com/company/zeta")]),
        clay("oscar", [_job("zulu", "zulu.io"), _job("ÄCME GmbH", "acme.com")]),
        clay("pia", [_job("Zulu", "zulu.io"), _job("alpha Zulu", "zulu.io")]),
        clay("quinn", [_job("Ärger Zulu", "zulu.io")]),
        load_fixture("payloads/pdl_a.json"),
        load_fixture("payloads/proxycurl_b.json"),
        load_fixture("payloads/clay_b.json"),
    ]


def _observe(conn: Connection) -> None:
    """Workflow observations of one person (facts and a job), as find-people writes them."""
    raw_id = conn.execute(
        t.workflow_payloads.insert()
        .values(job_id=OBSERVATION_JOB, workflow_slug="clay-find-people", raw_payload={})
        .returning(t.workflow_payloads.c.id)
    ).scalar_one()
    person = PersonFacts(
        linkedin_url=_url(OBSERVED),
        fields={"full_name": "Olga Observed", "headline": "Seen by a workflow"},
        jobs=(JobFact(company_name="Omega", company_domain="omega.com", title="Chief"),),
    )
    persons.apply(
        conn,
        facts=Facts(people=(person,)),
        source="clay-find-people",
        raw_id=raw_id,
        received_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def _fresh(engine: Engine) -> None:
    """Empty every table the chain and the observations write, then observe again."""
    names = ", ".join(tb.fullname for tb in t.metadata.sorted_tables if tb.schema in _SCHEMAS)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for slug in (SLUG, "clay-find-people"):
            reference.register_workflow(conn, info=describe_workflow(slug))
        _observe(conn)


_SCHEMAS = ("raw", "extracted", "core")


def _body(p: dict[str, Any]) -> personsteps.RawPayload:
    return personsteps.RawPayload(
        job_id=p["job_id"],
        linkedin_url=p["linkedin_url"],
        workflow_slug=p["workflow_slug"],
        raw_payload=p["raw_payload"],
    )


def _cut(items: Sequence[Any], sizes: Sequence[int]) -> list[Sequence[Any]]:
    """`items` in calls of `sizes` (repeated as a pattern until every item is in one)."""
    calls, start, n = [], 0, 0
    while start < len(items):
        calls.append(items[start : start + sizes[n % len(sizes)]])
        start += sizes[n % len(sizes)]
        n += 1
    return calls


def run_steps(engine: Engine, bodies: Sequence[dict[str, Any]], sizes: Sequence[int]) -> list[Any]:
    """Each step over every item in calls of `sizes`, one transaction a call, before the
    next step starts (`[1]`: one call per item), except that each `prepare_sync` call is
    followed by the `sync_people` call of what it prepared (its company ids are only good
    until a later call merges a company); returns every step's outcomes."""
    raw_ids: list[int] = []
    for call in _cut([_body(b) for b in bodies], sizes):
        with engine.begin() as conn:
            raw_ids += personsteps.store_raw(conn, call)
    extracted: list[Any] = []
    for call in _cut(raw_ids, sizes):
        with engine.begin() as conn:
            extracted += personsteps.extract_profiles(conn, call)
    urls = [e.linkedin_url for e in extracted if not isinstance(e, Exception) and e.fresh]
    prepared: list[Any] = []
    summaries: list[Any] = []
    for call in _cut(urls, sizes):  # prepare commits, then its sync runs (as the stage does)
        with engine.begin() as conn:
            ready = personsteps.prepare_sync(conn, call)
        prepared += ready
        with engine.begin() as conn:
            ok = [p for p in ready if not isinstance(p, Exception)]
            summaries += personsteps.sync_people(conn, ok)
    return [extracted, [_outcome(p) for p in prepared], _without_ids(summaries)]


def run_chain(engine: Engine, bodies: Sequence[dict[str, Any]]) -> list[Any]:
    """The four steps over one list, one call each; returns the steps' outcomes."""
    return run_steps(engine, bodies, [len(bodies)])


def _outcome(prepared: Any) -> Any:
    """A prepared item as it compares across databases (company ids by key)."""
    if isinstance(prepared, Exception):
        return prepared
    return (prepared.linkedin_url, prepared.profile, prepared.core, sorted(prepared.company_ids))


def _without_ids(summaries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in s.items() if k != "person_id"} for s in summaries]


def with_jobs(bodies: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b | {"job_id": str(uuid.uuid4())} for b in bodies]


def snapshot(engine: Engine) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every row of the chain's schemas with surrogate ids replaced by natural keys and
    the database's `now()` stamps left out."""
    with engine.connect() as conn:
        keys = {
            t.people: dict(conn.execute(select(t.people.c.id, t.people.c.linkedin_url)).all()),
            t.companies: dict(
                conn.execute(select(t.companies.c.id, t.companies.c.company_key)).all()
            ),
            t.person_payloads: dict(
                conn.execute(select(t.person_payloads.c.id, t.person_payloads.c.job_id)).all()
            ),
        }
        out = {}
        for table in t.metadata.sorted_tables:
            if table.schema not in _SCHEMAS:
                continue
            kept = [c for c in written_columns(table)]
            rows: Counter[tuple[Any, ...]] = Counter()
            for row in conn.execute(select(*kept)):
                rows[tuple(_natural(c, v, keys) for c, v in zip(kept, row, strict=True))] += 1
            out[table.fullname] = rows
    return out


def _natural(column: Any, value: Any, keys: dict[Any, dict[Any, Any]]) -> Any:
    for fk in column.foreign_keys:
        if fk.column.table in keys and value is not None:
            return ("→", keys[fk.column.table][value])
    return repr(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Exception) or isinstance(b, Exception):
        return type(a) is type(b) and str(a) == str(b)
    return bool(a == b)


def check_equivalent(
    engine: Engine,
    bodies: Sequence[dict[str, Any]],
    sizes: Sequence[int],
    baseline: Callable[[Engine, Sequence[dict[str, Any]]], Any] | None = None,
) -> None:
    """`bodies` through the steps one call per item (or `baseline`), then in calls of
    `sizes`: the same rows, and the same outcomes."""
    _fresh(engine)
    single = (baseline or (lambda e, b: run_steps(e, b, [1])))(engine, bodies)
    expected = snapshot(engine)
    _fresh(engine)
    batched = run_steps(engine, bodies, sizes)
    if baseline is None:
        assert _same(single, batched), (single, batched)
    got = snapshot(engine)
    for table in expected:
        assert got[table] == expected[table], table


def test_one_call_equals_one_call_per_item(engine: Engine) -> None:
    bodies = with_jobs(pool())
    check_equivalent(engine, bodies, [len(bodies)])


def test_calls_of_two_and_three_equal_one_call_per_item(engine: Engine) -> None:
    bodies = with_jobs(pool())
    check_equivalent(engine, bodies, [2, 3])


def chain_per_item(engine: Engine, bodies: Sequence[dict[str, Any]]) -> None:
    """Each payload through all four steps before the next (the unbatched stages)."""
    for body in bodies:
        run_steps(engine, [body], [1])


def test_a_merge_inside_a_call_leaves_the_rows_of_one_chain_per_payload(engine: Engine) -> None:
    """gina's job links erin's and frank's companies: frank's, prepared in the same call,
    is merged away before his sync, which writes the survivor instead (one chain per
    payload writes it on the loser, and the merge moves it)."""
    once = {b["linkedin_url"]: b for b in reversed(pool())}  # each person once (the first)
    bodies = with_jobs(list(reversed(once.values())))
    assert _url("gina") in once
    check_equivalent(engine, bodies, [len(bodies)], baseline=chain_per_item)


def test_the_pool_twice_in_one_call(engine: Engine) -> None:
    """Every person twice (the second round sees the first's rows and companies)."""
    bodies = with_jobs(pool() + pool())
    check_equivalent(engine, bodies, [len(bodies)])


@settings(
    max_examples=12,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a shrink re-runs whole chains
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_order_and_cut_equals_one_call_per_item(engine: Engine, data: st.DataObject) -> None:
    everything = pool()
    picks = data.draw(st.lists(st.integers(0, len(everything) - 1), min_size=1, max_size=14))
    bodies = with_jobs([everything[i] for i in picks])
    sizes = data.draw(st.lists(st.integers(1, len(bodies)), min_size=1, max_size=3))
    check_equivalent(engine, bodies, sizes)


def test_a_bad_payload_is_its_own_outcome(engine: Engine) -> None:
    _fresh(engine)
    everything = with_jobs(pool())
    good, bad = everything[0], everything[3]
    with engine.begin() as conn:
        raw_ids = personsteps.store_raw(conn, [_body(good), _body(bad)])
    with engine.begin() as conn:
        first, failed, missing = personsteps.extract_profiles(conn, [*raw_ids, 10**9])
    assert first == personsteps.Extracted(good["linkedin_url"], fresh=True)
    assert isinstance(failed, Exception) and not isinstance(failed, MissingRecordError)
    assert isinstance(missing, MissingRecordError)
    with engine.begin() as conn:
        ready, gone = personsteps.prepare_sync(conn, [good["linkedin_url"], _url("nobody")])
    assert isinstance(gone, MissingRecordError)
    assert not isinstance(ready, Exception)
    with engine.begin() as conn:
        [summary] = personsteps.sync_people(conn, [ready])
    assert summary["linkedin_url"] == good["linkedin_url"] and summary["companies"] == 2


def test_an_sql_error_raises_for_the_whole_call(engine: Engine) -> None:
    _fresh(engine)
    good, other = with_jobs(pool()[:2])
    bad = good | {"job_id": "not-a-uuid"}
    with pytest.raises(DBAPIError), engine.begin() as conn:
        personsteps.store_raw(conn, [_body(good), _body(bad)])
    run_chain(engine, [good, other])
    with engine.begin() as conn:
        prepared = personsteps.prepare_sync(conn, [good["linkedin_url"], other["linkedin_url"]])
    broken = [p for p in prepared if not isinstance(p, Exception)]
    unknown = {key: 10**12 for key in broken[1].company_ids}
    broken[1] = personsteps.Prepared(
        broken[1].linkedin_url, broken[1].profile, broken[1].core, unknown
    )
    with pytest.raises(DBAPIError), engine.begin() as conn:
        personsteps.sync_people(conn, broken)


def _people(n: int, offset: int) -> list[dict[str, Any]]:
    """`n` new people sharing companies (known and new), none of them observed."""
    return [
        clay(
            f"person-{offset + i}",
            [_job("Acme", "acme.com"), _job(f"Newco {offset + i}", f"newco{offset + i}.com")],
        )
        for i in range(n)
    ]


def statements_per_step(engine: Engine, bodies: Sequence[dict[str, Any]]) -> dict[str, int]:
    """The chain over one list, counting each step's statements (`before_cursor_execute`)."""
    counts: Counter[str] = Counter()
    step = ["store_raw"]

    def count(*_args: Any) -> None:
        counts[step[0]] += 1

    def begin(_conn: Any) -> None:  # each step is one transaction, in this order
        step[0] = next(order, "after")

    order = iter(["store_raw", "extract_profiles", "prepare_sync", "sync_people"])
    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "begin", begin)
    try:
        run_chain(engine, bodies)
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "begin", begin)
    return dict(counts)


def test_statements_per_call_do_not_grow_with_the_batch(engine: Engine) -> None:
    _fresh(engine)
    run_chain(engine, with_jobs(_people(1, 0)))  # Acme is known from here on
    per_size = {
        n: statements_per_step(engine, with_jobs(_people(n, offset)))
        for n, offset in ((1, 100), (5, 200), (20, 300))
    }
    for step in CONSTANT_STEPS:
        assert per_size[1][step] == per_size[5][step] == per_size[20][step], per_size


#: The steps whose statement count is constant in the call's size.
CONSTANT_STEPS = ("store_raw", "extract_profiles", "prepare_sync", "sync_people")
