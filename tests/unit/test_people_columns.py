"""Drift tripwire: the people statements write every column `pipeline/tables.py` has.

Covered: the profile chain's child rows, profile and companies (`store.people`), and the
job and e-mail observations of people workflows (`store.persons`).

The child-row inserts take their column lists from the table metadata; these tests fail if
a column of one of those tables is missing from a built statement, or from the rows the
writers hand it (a column the statement lists but no row carries would be written NULL).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, Insert, MetaData, Table, Text
from sqlalchemy.dialects import postgresql

from pipeline import tables as t
from pipeline.derive import derive_core
from pipeline.extract import extract_profile
from pipeline.store import persons
from pipeline.store.jsonrows import insert_from_json, written_columns
from pipeline.store.people import core, extracted
from pipeline.workflows.people_facts import EmailFact, JobFact, PersonFacts
from schemas.records import CompanyRecord
from tests.conftest import load_fixture

#: Each child table, the statement that fills it, and the JSON parameter carrying its rows.
CHILDREN = [
    (t.person_experience, extracted._INSERT_EXTRACTED_CHILDREN, "experiences"),
    (t.person_education, extracted._INSERT_EXTRACTED_CHILDREN, "educations"),
    (t.person_work_history, core._INSERT_CORE_CHILDREN, "work"),
    (t.person_promotions, core._INSERT_CORE_CHILDREN, "promotions"),
    (t.person_past_employer, core._INSERT_CORE_CHILDREN, "past"),
    (t.person_tenure, core._INSERT_CORE_CHILDREN, "tenure"),
]


def _sql(stmt: Any) -> str:
    return str(stmt.compile(dialect=postgresql.dialect()))


def _insert_clause(sql: str, table: Table) -> str:
    """The `INSERT INTO table (...) SELECT ... FROM jsonb_to_recordset(...) AS r(...)` part."""
    start = sql.index(f"INSERT INTO {table.schema}.{table.name} (")
    end = sql.index(")", sql.index(" AS r(", start))
    return sql[start:end]


@pytest.mark.parametrize(("table", "stmt", "param"), CHILDREN, ids=lambda x: getattr(x, "name", ""))
def test_every_written_column_is_inserted(table: Table, stmt: Insert, param: str) -> None:
    clause = _insert_clause(_sql(stmt), table)
    assert f"%({param})s" in clause
    columns = clause.split("(", 1)[1].split(")", 1)[0].split(", ")
    assert columns == [c.name for c in written_columns(table)]
    missing = [c.name for c in table.columns if c.name not in columns and c.server_default is None]
    assert missing == []
    record = clause.rsplit(" AS r(", 1)[1]
    assert [part.split(" ")[0] for part in record.split(", ")] == columns


def test_only_database_stamped_timestamps_are_left_out() -> None:
    left_out = {
        f"{table.name}.{c.name}"
        for table, _, _ in CHILDREN
        for c in table.columns
        if c not in written_columns(table)
    }
    assert left_out == {"person_tenure.updated_at"}


def test_a_new_column_is_written_without_touching_the_statement() -> None:
    copy = t.person_education.to_metadata(MetaData())
    copy.append_column(Column("honours", Text))
    clause = _insert_clause(_sql(insert_from_json(copy, "rows")), copy)
    assert "honours" in clause.split(" SELECT ")[0]
    assert "honours TEXT" in clause


def test_the_rows_carry_exactly_the_written_columns() -> None:
    profile = extract_profile(load_fixture("payloads/proxycurl_a.json")["raw_payload"])
    derived = derive_core(profile)
    ids = {c.company_key: i for i, c in enumerate(derived.companies, start=1)}
    url = profile.linkedin_url
    rows = {
        "person_experience": [extracted.experience_values(url, r) for r in profile.experiences],
        "person_education": [extracted.education_values(url, r) for r in profile.educations],
        "person_work_history": core.work_history_rows(1, derived, ids),
        "person_promotions": core.promotion_rows(1, derived, ids),
        "person_past_employer": core.past_employer_rows(1, derived, ids),
        "person_tenure": core.tenure_rows(1, derived, ids),
    }
    for table, _, _ in CHILDREN:
        assert rows[table.name], f"the fixture gives no {table.name} row"
        expected = {c.name for c in written_columns(table)}
        for row in rows[table.name]:
            assert set(row) == expected, table.name


def test_the_profile_upsert_updates_every_profile_column() -> None:
    sql = _sql(extracted._UPSERT_PROFILES)
    updated = sql.split("DO UPDATE SET ", 1)[1].split(" WHERE ", 1)[0]
    for c in t.person_profile.columns:
        if c.name != "linkedin_url":
            assert f"{c.name} = " in updated, c.name


def test_the_profile_rows_carry_every_written_profile_column() -> None:
    profile = extract_profile(load_fixture("payloads/clay_a.json")["raw_payload"])
    row = extracted._profile_values(extracted.ProfileWrite(profile, 1, "clay-person-profile"))
    assert set(row) == {c.name for c in written_columns(t.person_profile)}


def test_the_company_upsert_writes_every_field_of_a_company_record() -> None:
    assert [c.name for c in core.COMPANY_FIELDS] == [
        c.name for c in t.companies.columns if c.name in CompanyRecord.model_fields
    ]
    assert {c.name for c in core.COMPANY_FIELDS} == set(CompanyRecord.model_fields)
    sql = _sql(core._UPSERT_COMPANIES)
    for c in core.COMPANY_FIELDS:
        assert f"{c.name} {c.type.compile(dialect=postgresql.dialect())}" in sql, c.name


def test_the_email_upsert_writes_every_column_of_person_emails() -> None:
    sql = _sql(persons._UPSERT_EMAILS)
    inserted = sql.split("(", 1)[1].split(")", 1)[0].split(", ")
    assert inserted == [c.name for c in t.person_emails.columns]
    per_row = [c.name for c in t.person_emails.columns if c.name not in persons._PER_CALL]
    assert per_row == list(EmailFact.model_fields)  # each JSON row is one EmailFact
    updated = sql.split("DO UPDATE SET ", 1)[1].split(" WHERE ", 1)[0]
    for name in [*per_row, "source", "observed_at", "raw_payload_id"]:
        if name not in ("email", "provider"):
            assert f"{name} = excluded.{name}" in updated, name


def test_the_job_upsert_writes_every_column_and_its_rows_carry_them() -> None:
    sql = _sql(persons._UPSERT_JOBS)
    inserted = sql.split("(", 1)[1].split(")", 1)[0].split(", ")
    assert inserted == [c.name for c in t.person_jobs.columns]
    updated = sql.split("DO UPDATE SET ", 1)[1].split(" WHERE excluded.observed_at", 1)[0]
    for c in t.person_jobs.columns:
        if c.name not in ("person_id", "job_key"):
            assert f"{c.name} = " in updated, c.name

    facts = PersonFacts(jobs=(JobFact(company_name="Acme", title="CTO"),))
    (row,) = persons._job_rows(facts)
    per_row = {c.name for c in t.person_jobs.columns if c.name not in persons._PER_CALL}
    assert set(row) == per_row
