"""Tests for `pipeline.titles`: cleaning, seniority and job function of job titles.

Every item of the shared ``titles.json`` must pass under its accept lists; the hand-labelled
``tests/data/titles_extra.json`` (seven languages) must stay above an accuracy floor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.titles import classify_title, clean_title
from tests.conftest import fixture_params

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("item", fixture_params("titles.json", id_key="title"))
def test_fixture_titles_pass_their_accept_lists(item: dict[str, Any]) -> None:
    match = classify_title(item["title"])
    assert match.seniority_level in item["accept_seniority"], match
    assert match.job_function in item["accept_function"], match


def test_extra_titles_accuracy_floor() -> None:
    items = json.loads((DATA / "titles_extra.json").read_text(encoding="utf-8"))["items"]
    assert len(items) >= 150
    matches = [classify_title(item["title"]) for item in items]
    seniority = sum(
        m.seniority_level == i["seniority"] for m, i in zip(matches, items, strict=True)
    )
    function = sum(m.job_function == i["function"] for m, i in zip(matches, items, strict=True))
    print(f"titles_extra n={len(items)} seniority={seniority / len(items):.1%}", end=" ")
    print(f"function={function / len(items):.1%}")
    assert seniority / len(items) >= 0.85
    assert function / len(items) >= 0.80


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("  Sr.  Product   Designer ", "Senior Product Designer"),
        ("Sr.Manager, Mktg", "Senior Manager, Marketing"),
        ("VP Eng", "Vice President Engineering"),
        ("Lead Software Eng.", "Lead Software Engineer"),
        ("Eng Manager", "Engineering Manager"),
        ("SVP, Sales", "Senior Vice President, Sales"),
        ("Asst. Mgr", "Assistant Manager"),
        ("SR SOFTWARE ENGINEER", "SENIOR SOFTWARE ENGINEER"),
        ("CEO", "CEO"),
        ("Sprachwissenschaftlerin", "Sprachwissenschaftlerin"),
        ("- Founder |", "Founder"),
    ],
)
def test_clean_title_expands_abbreviations_and_keeps_the_words(raw: str, cleaned: str) -> None:
    assert clean_title(raw) == cleaned


@pytest.mark.parametrize("raw", [None, "", "   ", "-", "N/A", "none", "..."])
def test_empty_or_placeholder_titles_give_none_fields(raw: str | None) -> None:
    match = classify_title(raw)
    assert (match.cleaned_job_title, match.seniority_level, match.job_function) == (None,) * 3


@pytest.mark.parametrize(
    ("title", "seniority", "function"),
    [
        ("CFO", "CXO", "Finance"),
        ("CMO", "CXO", "Marketing"),
        ("Chief People Officer", "CXO", "Human Resources"),
        ("Co-Founder & CTO", "CXO", "Engineering"),
        ("Founder", "Owner", "Entrepreneurship"),
        ("Product Owner", "Entry", "Product Management"),
        ("Managing Partner", "Partner", None),
        ("HR Business Partner", "Entry", "Human Resources"),
        ("Channel Partner Manager", "Manager", "Business Development"),
        ("Vice President, Finance", "VP", "Finance"),
        ("Head of Engineering", "Director", "Engineering"),
        ("Assistant to the Chief Executive Officer", "Entry", "Administrative"),
        ("Lead Data Engineer", "Senior", "Engineering"),
        ("Design Lead", "Manager", "Arts and Design"),
        ("Volunteer Coordinator", "Entry", "Community and Social Services"),
        ("Software Engineer Intern", "Training", "Engineering"),
        ("Geschäftsführerin", "CXO", "Entrepreneurship"),
        ("Teamleiter Einkauf", "Manager", "Purchasing"),
        ("Jefe de Ventas", "Manager", "Sales"),
        ("Praktikantin Personalwesen", "Training", "Human Resources"),
        ("Estagiária de Compras", "Training", "Purchasing"),
        ("Stagiair Inkoop", "Training", "Purchasing"),
        ("Analyst", "Entry", None),
    ],
)
def test_rules(title: str, seniority: str, function: str | None) -> None:
    match = classify_title(title)
    assert (match.seniority_level, match.job_function) == (seniority, function)
