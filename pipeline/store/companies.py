"""SQL for companies fed by workflows: identity, per-source facts, lists, the golden record.

- **Identity** (`resolve`): a company is found by normalised domain, then LinkedIn company
  URL, then provider org id, then normalised name (`pipeline.identity`), through
  `core.company_aliases` (every domain, URL, id, name key and former company key a company
  was known by) and the company row itself. When one payload's identifiers point at two
  companies they are merged (`merge`): one survivor, every reference moved, aliases kept.
- **Facts** (`core.company_facts`): one value per (company, field, source workflow), with
  when it was observed and the raw payload it came from. A source's value is replaced only
  by a newer observation of the same source, and only when it differs.
- **Golden record** (`recompute`): each field of `core.companies` is the value of the
  source with the best (lowest) registry priority, then the most recent observation; a
  field no source has keeps its value. `provenance` names each field's source and time.
- **Lists** (`core.company_items`): sets on (kind, natural key), from every source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Table,
    UniqueConstraint,
    bindparam,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from pipeline import identity, normalize
from pipeline import tables as t
from pipeline.store import applying, people
from pipeline.store.jsonrows import insert_from_json, json_params
from pipeline.workflows import registry
from pipeline.workflows.facts import COMPANY_FIELDS, CompanyFacts, Facts
from schemas.records import CompanyRecord

#: Tables that refer to a company and are moved by `merge` with their own rules.
_OWN_RULES = frozenset({"core.company_facts", "core.company_items", "core.company_aliases"})

#: A registered slug without a priority of its own takes its definition's
#: (`registry.priority`, applied in SQL by `_WINNERS`).
_DEFAULT_PRIORITIES = orjson.dumps(registry.DEFAULT_PRIORITIES).decode()


def apply(
    conn: Connection, *, facts: Facts, source: str, raw_id: int, received_at: datetime
) -> dict[str, Any]:
    """Apply one payload's facts; returns the companies touched and any flags raised."""
    origin = {"source": source, "raw_id": raw_id, "observed_at": facts.observed_at or received_at}
    touched, flags = applying.each_identified(
        facts.companies, lambda company: _apply_company(conn, company, origin)
    )
    return {"companies": touched, "flags": flags}


def _apply_company(
    conn: Connection, company: CompanyFacts, origin: Mapping[str, Any]
) -> applying.Touched:
    """Resolve the company, write its facts and items, recompute its golden record."""
    flags: list[str] = []
    if company.linkedin_url and not company.linkedin_trusted:
        if _linkedin_conflicts(conn, company):
            flags.append("linkedin_url_conflict")
            fields = {
                k: v
                for k, v in company.fields.items()
                if k not in ("linkedin_url", "linkedin_org_id")
            }
            company = company.model_copy(
                update={"linkedin_url": None, "org_id": None, "fields": fields}
            )
    company_id, merged = resolve(conn, company)
    params = {"company_id": company_id, **origin}
    applying.write_rows(conn, _UPSERT_FACTS, params, _fact_rows(company.fields))
    applying.write_rows(conn, _UPSERT_ITEMS, params, _item_rows(company))
    recompute(conn, company_id=company_id)
    row = conn.execute(
        select(t.companies.c.domain, t.companies.c.company_key).where(
            t.companies.c.id == company_id
        )
    ).one()
    touched = {"company_id": company_id, "domain": row.domain, "company_key": row.company_key}
    return touched | ({"merged": merged} if merged else {}), flags


# --- identity -----------------------------------------------------------------------------


def identifiers(company: CompanyFacts) -> list[tuple[str, str]]:
    """(kind, value) pairs a company is found by, in resolution order."""
    pairs = [
        ("domain", company.domain),
        ("linkedin", company.linkedin_url),
        ("org_id", company.org_id),
        ("name", identity.name_key(company.name)),
    ]
    return [(kind, value) for kind, value in pairs if value]


#: Companies each (kind, value) identifier names, through aliases or the company row itself;
#: `m.i` numbers the company a pair belongs to, `m.ord` the pair's rank in resolution order.
#: It locks nothing: the employers in person profiles are shared, hot rows (a workflow
#: payload, which may merge what it finds, locks them with `_LOCK` and looks again).
_LOOK = text(
    """
    SELECT m.i, m.ord, m.kind, m.value, c.id, c.company_key, c.domain, c.linkedin_url,
           hit.via_alias
    FROM jsonb_to_recordset(CAST(:pairs AS jsonb))
        AS m(i int, ord int, kind text, value text)
    JOIN LATERAL (
        SELECT a.company_id AS id, true AS via_alias FROM core.company_aliases a
        WHERE a.kind = m.kind AND a.value = m.value
        UNION ALL
        SELECT k.id, false FROM core.companies k WHERE m.kind = 'domain' AND k.domain = m.value
        UNION ALL
        SELECT k.id, false FROM core.companies k
        WHERE m.kind = 'linkedin' AND k.linkedin_url = m.value
        UNION ALL
        SELECT k.id, false FROM core.companies k
        WHERE m.kind = 'key' AND k.company_key = m.value
    ) AS hit ON true
    JOIN LATERAL (  -- by primary key, one row per hit (LIMIT keeps it a nested loop)
        SELECT c.id, c.company_key, c.domain, c.linkedin_url FROM core.companies c
        WHERE c.id = hit.id LIMIT 1
    ) AS c ON true
    ORDER BY m.i, m.ord, c.id
"""
)


def _matches(conn: Connection, company: CompanyFacts) -> list[Any]:
    found = identifiers(company)
    if company.name and (key := normalize.company_key(None, company.name)):
        found.append(("key", key))  # a company a person's profile named, without a domain
    pairs = [{"i": 0, "kind": k, "value": v, "ord": n} for n, (k, v) in enumerate(found)]
    if not pairs:
        return []
    params = {"pairs": orjson.dumps(pairs).decode()}
    ids = sorted({row.id for row in conn.execute(_LOOK, params)})
    if not ids:
        return []
    conn.execute(_LOCK, {"ids": ids})  # in id order: concurrent payloads cannot deadlock
    return list(conn.execute(_LOOK, params))  # as it stands now that they are locked


_LOCK = (
    select(t.companies.c.id)
    .where(t.companies.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(t.companies.c.id)
    .with_for_update()
)


def _linkedin_conflicts(conn: Connection, company: CompanyFacts) -> bool:
    """Whether an untrusted LinkedIn URL disagrees with what the domain's company has."""
    if company.domain is None:
        return False
    rows = _matches(conn, company)
    by_domain = next((r for r in rows if r.kind == "domain"), None)
    if by_domain is None:
        return False
    if by_domain.linkedin_url and by_domain.linkedin_url != company.linkedin_url:
        return True
    return any(r.kind in ("linkedin", "org_id") and r.id != by_domain.id for r in rows)


def resolve(conn: Connection, company: CompanyFacts) -> tuple[int, list[int]]:
    """The company these identifiers name (created if none), merging any second one they
    link to it; returns its id and the ids merged into it. Idempotent."""
    rows = identity.mergeable(_matches(conn, company), company.domain, company.linkedin_url)
    survivor = rows[0].id if rows else _insert(conn, company)
    merged: list[int] = []
    for row in rows:
        if row.id != survivor and row.id not in merged:
            merge(conn, survivor=survivor, loser=row.id)
            merged.append(row.id)
    _adopt_identifiers(conn, survivor, company)
    return survivor, merged


def _company_key(company: CompanyFacts) -> str:
    if company.domain:
        return company.domain
    if company.linkedin_url:
        return f"linkedin:{company.linkedin_url}"
    if company.org_id:
        return f"org:{company.org_id}"
    return normalize.company_key(None, company.name) or f"name:{company.name}"


def _insert(conn: Connection, company: CompanyFacts) -> int:
    key = _company_key(company)
    name = company.name or company.domain or key
    stmt = (
        insert(t.companies)
        .values(
            company_key=key,
            domain=company.domain,
            name=name,
            linkedin_url=company.linkedin_url,
        )
        .on_conflict_do_nothing()
        .returning(t.companies.c.id)
    )
    inserted = conn.execute(stmt).scalar()
    if inserted is not None:
        return int(inserted)
    # Created meanwhile by another transaction (or a person's sync): use that one.
    found = conn.execute(
        select(t.companies.c.id)
        .where((t.companies.c.company_key == key) | (t.companies.c.domain == company.domain))
        .with_for_update()
    ).scalar_one()
    return int(found)


def _adopt_identifiers(conn: Connection, company_id: int, company: CompanyFacts) -> None:
    """Give the company this payload's domain (when it had none) and every identifier as an
    alias; a name seen for the first time becomes one of its `aliases`."""
    row = conn.execute(select(t.companies).where(t.companies.c.id == company_id)).one()
    changes: dict[str, Any] = {}
    if row.domain is None and company.domain:
        changes = {"domain": company.domain, "company_key": company.domain}
    if row.linkedin_url is None and company.linkedin_url:
        changes["linkedin_url"] = company.linkedin_url
    names = [company.name] if company.name else []
    new_names = [n for n in names if n != row.name and n not in row.aliases]
    if new_names:
        changes["aliases"] = sorted({*row.aliases, *new_names})
    if changes:
        conn.execute(update(t.companies).where(t.companies.c.id == company_id).values(**changes))
    pairs = identifiers(company)
    if "company_key" in changes:
        pairs.append(("key", row.company_key))
    _add_aliases(conn, company_id, pairs)


def _add_aliases(conn: Connection, company_id: int, pairs: Iterable[tuple[str, str]]) -> None:
    _add_alias_rows(conn, [(kind, value, company_id) for kind, value in pairs])


def _add_alias_rows(conn: Connection, rows: Iterable[tuple[str, str, int]]) -> None:
    """Insert (kind, value, company id) aliases; one already there keeps its company.
    Sorted: concurrent transactions insert shared aliases in one order (no deadlock)."""
    first: dict[tuple[str, str], int] = {}
    for kind, value, company_id in rows:
        first.setdefault((kind, value), company_id)
    values = [{"kind": k, "value": v, "company_id": cid} for (k, v), cid in sorted(first.items())]
    if values:
        conn.execute(_INSERT_ALIASES, json_params({"rows": values}))


_INSERT_ALIASES = insert_from_json(
    t.company_aliases, "rows", order_by=["kind", "value"]
).on_conflict_do_nothing()


_MOVE_FACTS = """
UPDATE core.company_facts s
SET value = l.value, observed_at = l.observed_at, raw_payload_id = l.raw_payload_id
FROM core.company_facts l
WHERE s.company_id = :survivor AND l.company_id = :loser
  AND s.field = l.field AND s.source = l.source AND l.observed_at > s.observed_at;
DELETE FROM core.company_facts l USING core.company_facts s
WHERE l.company_id = :loser AND s.company_id = :survivor
  AND s.field = l.field AND s.source = l.source;
UPDATE core.company_facts SET company_id = :survivor WHERE company_id = :loser;
UPDATE core.company_items s
SET value = l.value, observed_at = l.observed_at, source = l.source,
    raw_payload_id = l.raw_payload_id
FROM core.company_items l
WHERE s.company_id = :survivor AND l.company_id = :loser
  AND s.kind = l.kind AND s.item_key = l.item_key AND l.observed_at > s.observed_at;
DELETE FROM core.company_items l USING core.company_items s
WHERE l.company_id = :loser AND s.company_id = :survivor
  AND s.kind = l.kind AND s.item_key = l.item_key;
UPDATE core.company_items SET company_id = :survivor WHERE company_id = :loser;
UPDATE core.company_aliases SET company_id = :survivor WHERE company_id = :loser
"""


def merge(conn: Connection, *, survivor: int, loser: int) -> bool:
    """Fold company `loser` into `survivor` in the caller's transaction; False if it is gone.

    Every row referring to the loser is moved (found from the foreign keys in
    `pipeline.tables`, so a new table is covered); a row that would then duplicate one of
    the survivor's (the same person's past employer) is dropped. The loser's domain, names,
    URL and key stay as aliases of the survivor.
    """
    gone = conn.execute(
        select(t.companies).where(t.companies.c.id == loser).with_for_update()
    ).first()
    if gone is None or survivor == loser:
        return False
    for statement in _MOVE_FACTS.split(";"):
        conn.execute(text(statement), {"survivor": survivor, "loser": loser})
    for table, column in _referrers():
        _move(conn, table, column, survivor=survivor, loser=loser)
    keep = conn.execute(select(t.companies).where(t.companies.c.id == survivor)).one()
    conn.execute(t.companies.delete().where(t.companies.c.id == loser))
    names = {*keep.aliases, *gone.aliases, gone.name} - {keep.name}
    changes: dict[str, Any] = {"aliases": sorted(names)}
    if keep.domain is None and gone.domain:
        changes |= {"domain": gone.domain, "company_key": gone.domain}
    if keep.linkedin_url is None and gone.linkedin_url:
        changes["linkedin_url"] = gone.linkedin_url
    conn.execute(update(t.companies).where(t.companies.c.id == survivor).values(**changes))
    pairs = [
        ("domain", gone.domain),
        ("linkedin", gone.linkedin_url),
        ("name", identity.name_key(gone.name)),
        ("key", gone.company_key),
    ]
    if "company_key" in changes:
        pairs.append(("key", keep.company_key))
    _add_aliases(conn, survivor, [(k, v) for k, v in pairs if v])
    recompute(conn, company_id=survivor)
    return True


def _referrers() -> list[tuple[Table, str]]:
    """(table, column) of every foreign key to `core.companies.id` outside this module."""
    found = []
    for table in t.metadata.sorted_tables:
        if table.fullname in _OWN_RULES:
            continue
        for fk in table.foreign_keys:
            if fk.column.table is t.companies and fk.parent.table is table:
                found.append((table, fk.parent.name))
    return found


def _move(conn: Connection, table: Table, column: str, *, survivor: int, loser: int) -> None:
    """Point `table.column` from loser to survivor, first dropping rows that would clash on a
    key that includes the column."""
    keys = [list(table.primary_key.columns)] + [
        list(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)
    ]
    for key in keys:
        names = [c.name for c in key]
        if column not in names or len(names) < 2:
            continue
        other = table.alias("s")
        clash = (
            select(other.c[column])
            .where(
                other.c[column] == survivor,
                *(other.c[n].is_not_distinct_from(table.c[n]) for n in names if n != column),
            )
            .exists()
        )
        conn.execute(delete(table).where(table.c[column] == loser, clash))
    conn.execute(update(table).where(table.c[column] == loser).values({column: survivor}))


# --- the companies a person's profile names ------------------------------------------------


def upsert_identified_many(
    conn: Connection, *, records: Sequence[Sequence[CompanyRecord]]
) -> list[dict[str, int]]:
    """`upsert_identified` for the companies of many profiles, in order, as one call each
    would; returns each profile's {record key: id}.

    The common path is set-based: one look-up of every identifier the profiles name, the
    resolution replayed in Python profile by profile (what an earlier profile creates or
    names is what a later one finds: `pipeline.identity.Replay`), then one upsert of every company
    and one insert of every new alias, each in key order. A profile whose companies need
    a merge or a domain learnt late ends the round before it and then runs alone on fresh
    rows (`_identify`: the rare path, unchanged); the rest start a new round. A company merged into
    another by a later profile is answered by its survivor (one call each would have
    written the earlier person's rows on the loser, and the merge then moved them).
    """
    found: list[dict[str, int]] = []
    merged: dict[int, int] = {}
    while len(found) < len(records):
        found += _identify_round(conn, records[len(found) :], merged)
    return [{key: _survivor(merged, cid) for key, cid in ids.items()} for ids in found]


def _identify_round(
    conn: Connection, records: Sequence[Sequence[CompanyRecord]], merged: dict[int, int]
) -> list[dict[str, int]]:
    """Resolve profiles from the first up to the first that needs the rare path and write
    them; returns their ids (at least the first profile's)."""
    groups = [identity.group_companies(r) if r else [] for r in records]
    pairs = sorted({p for profile in groups for r, _ in profile for p in identity.record_keys(r)})
    seen = identity.Replay(_look_all(conn, pairs))
    planned: list[list[identity.Step]] = []
    for profile in groups:
        steps = [seen.settle(record, keys) for record, keys in profile]
        if any(step is None for step in steps):
            break
        planned.append([step for step in steps if step is not None])
        for step in planned[-1]:
            seen.apply(step)
    if not planned:  # the first profile merges or teaches a domain: alone, on fresh rows
        return [_identify(conn, records[0], merged)]
    ids = people.upsert_companies(conn, companies=seen.upserts(), folded=seen.folded())
    _add_alias_rows(conn, [(kind, value, ids[key]) for (kind, value), key in seen.new_aliases()])
    return [{k: ids[s.company.company_key] for s in steps for k in s.keys} for steps in planned]


def _look_all(conn: Connection, pairs: Sequence[tuple[str, str]]) -> list[Any]:
    """Every company each (kind, value) names, one statement for all (`_LOOK`)."""
    if not pairs:
        return []
    values = [{"i": n, "ord": 0, "kind": k, "value": v} for n, (k, v) in enumerate(pairs)]
    return list(conn.execute(_LOOK, {"pairs": orjson.dumps(values).decode()}))


def _survivor(merged: Mapping[int, int], company_id: int) -> int:
    while company_id in merged:
        company_id = merged[company_id]
    return company_id


def upsert_identified(conn: Connection, *, records: Sequence[CompanyRecord]) -> dict[str, int]:
    """The companies of one profile (`upsert_identified_many`); returns {record key: id}."""
    return upsert_identified_many(conn, records=[records])[0]


def _identify(
    conn: Connection, records: Sequence[CompanyRecord], merged: dict[int, int]
) -> dict[str, int]:
    """Upsert the companies of one profile through identity; returns {record key: id}.

    Records naming one company are folded first (`pipeline.identity.group_companies`); each
    group is then resolved on its domain, LinkedIn URL, key and name keys against known
    companies, merging any second company it links (rare: only then are rows locked).
    Identifiers not yet known become aliases, so the next profile finds the company at once.
    """
    if not records:
        return {}
    groups = identity.group_companies(records)
    pairs = [
        {"i": i, "ord": n, "kind": kind, "value": value}
        for i, (record, _keys) in enumerate(groups)
        for n, (kind, value) in enumerate(identity.record_keys(record))
    ]
    hits: dict[int, list[Any]] = {}
    for row in conn.execute(_LOOK, {"pairs": orjson.dumps(pairs).decode()}):
        hits.setdefault(row.i, []).append(row)
    resolved: list[CompanyRecord] = []
    for i, (record, _keys) in enumerate(groups):
        usable = identity.mergeable(hits.get(i, []), record.domain, record.linkedin_url)
        resolved.append(_settle(conn, record, usable, merged))
    ids = people.upsert_companies(conn, companies=resolved)
    result: dict[str, int] = {}
    for i, ((record, keys), settled) in enumerate(zip(groups, resolved, strict=True)):
        company_id = ids[settled.company_key]
        result |= dict.fromkeys(keys, company_id)
        known = {(r.kind, r.value) for r in hits.get(i, []) if r.via_alias and r.id == company_id}
        new = [*identity.record_keys(record), *(("key", k) for k in keys)]
        _add_aliases(conn, company_id, [p for p in new if p not in known])
    return result


def _settle(
    conn: Connection, record: CompanyRecord, hits: list[Any], merged: dict[int, int]
) -> CompanyRecord:
    """The record under the key of the company it is; merges any second one it links
    (noted in `merged`, loser → survivor)."""
    if not hits:
        return record
    survivor = hits[0]
    for other in sorted({r.id for r in hits} - {survivor.id}):
        if merge(conn, survivor=survivor.id, loser=other):
            merged[other] = survivor.id
    key = survivor.company_key
    if len({r.id for r in hits}) > 1 or (survivor.domain is None and record.domain):
        row = conn.execute(
            select(t.companies).where(t.companies.c.id == survivor.id).with_for_update()
        ).one()
        key = row.company_key
        if row.domain is None and record.domain:
            conn.execute(
                update(t.companies)
                .where(t.companies.c.id == survivor.id)
                .values(domain=record.domain, company_key=record.domain)
            )
            _add_aliases(conn, survivor.id, [("key", row.company_key)])
            key = record.domain
    return record.model_copy(update={"company_key": key})


# --- facts and lists ----------------------------------------------------------------------

_UPSERT_FACTS = text(
    """
    INSERT INTO core.company_facts AS f
        (company_id, field, source, value, observed_at, raw_payload_id)
    SELECT :company_id, r.field, :source, r.value, :observed_at, :raw_id
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(field text, value jsonb)
    ON CONFLICT (company_id, field, source) DO UPDATE
    SET value = excluded.value, observed_at = excluded.observed_at,
        raw_payload_id = excluded.raw_payload_id, updated_at = now()
    WHERE excluded.observed_at > f.observed_at AND excluded.value IS DISTINCT FROM f.value
    """
)


def _fact_rows(fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"field": k, "value": v} for k, v in sorted(fields.items())]


_UPSERT_ITEMS = text(
    """
    INSERT INTO core.company_items AS i
        (company_id, kind, item_key, value, source, observed_at, raw_payload_id)
    SELECT :company_id, r.kind, r.key, r.value, :source, :observed_at, :raw_id
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(kind text, key text, value jsonb)
    ON CONFLICT (company_id, kind, item_key) DO UPDATE
    SET value = excluded.value, observed_at = excluded.observed_at, source = excluded.source,
        raw_payload_id = excluded.raw_payload_id
    WHERE excluded.observed_at > i.observed_at AND excluded.value IS DISTINCT FROM i.value
    """
)


def _item_rows(company: CompanyFacts) -> list[dict[str, Any]]:
    unique = {(i.kind, i.key): i for i in company.items}
    return [{"kind": i.kind, "key": i.key, "value": i.value} for _, i in sorted(unique.items())]


# --- the golden record ----------------------------------------------------------------------

_WINNERS = text(
    """
    SELECT DISTINCT ON (f.field) f.field, f.value, f.source, f.observed_at
    FROM core.company_facts f
    LEFT JOIN reference.enrichment_workflow_registry r ON r.workflow_slug = f.source
    WHERE f.company_id = :company_id
    ORDER BY f.field,
        coalesce(r.priority, CAST(CAST(:defaults AS jsonb) ->> r.definition AS int), :unregistered),
        f.observed_at DESC, f.source
    """
)


def recompute(conn: Connection, *, company_id: int) -> bool:
    """Set the golden fields from the winning facts; True if the row changed."""
    winners = list(
        conn.execute(
            _WINNERS,
            {
                "company_id": company_id,
                "defaults": _DEFAULT_PRIORITIES,
                "unregistered": registry.UNREGISTERED_PRIORITY,
            },
        )
    )
    if not winners:
        return False
    row = conn.execute(select(t.companies).where(t.companies.c.id == company_id)).one()
    values = {w.field: w.value for w in winners if w.field in COMPANY_FIELDS}
    provenance = {
        w.field: {"source": w.source, "observed_at": w.observed_at.isoformat()}
        for w in winners
        if w.field in COMPANY_FIELDS
    }
    changes = {k: v for k, v in values.items() if getattr(row, k) != v}
    if provenance != row.provenance:
        changes["provenance"] = provenance
    if "name" in changes and row.name:
        changes["aliases"] = sorted({*row.aliases, row.name} - {changes["name"]})
    if not changes:
        return False
    conn.execute(
        update(t.companies)
        .where(t.companies.c.id == company_id)
        .values(**changes, updated_at=text("now()"))
    )
    return True


# --- reading -----------------------------------------------------------------------------


def find_by_domain(conn: Connection, *, domain: str) -> int | None:
    """The company that has this domain, or had it before a merge."""
    companies, aliases = t.companies, t.company_aliases
    found = conn.execute(select(companies.c.id).where(companies.c.domain == domain)).scalar()
    if found is None:
        found = conn.execute(
            select(aliases.c.company_id).where(
                aliases.c.kind == "domain", aliases.c.value == domain
            )
        ).scalar()
    return int(found) if found is not None else None


def items(conn: Connection, *, company_id: int) -> dict[str, list[dict[str, Any]]]:
    """The company's lists by kind, each in key order."""
    table = t.company_items
    rows = conn.execute(
        select(table.c.kind, table.c.value)
        .where(table.c.company_id == company_id)
        .order_by(table.c.kind, table.c.item_key)
    )
    grouped: dict[str, list[dict[str, Any]]] = {}
    for kind, value in rows:
        grouped.setdefault(kind, []).append(value)
    return grouped
