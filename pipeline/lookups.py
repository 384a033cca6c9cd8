"""What the job-title and location lookups answer, from a reference row or the classifier.

A hit answers the stored row (``match_status: true``). A miss answers ``match_status:
false`` with empty fields and a ``suggestion`` from the built-in offline classifier, so a
Clay table can skip a paid enrichment for the easy cases and still know nothing matched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline import locations, titles


def title_answer(job_title: str, row: Mapping[Any, Any] | None) -> dict[str, Any]:
    """The body of a job-title lookup for `job_title`, given its reference row if any."""
    if row is not None:
        return {
            "match_status": True,
            "job_title": job_title,
            "cleaned_job_title": row["cleaned_job_title"],
            "seniority_level": row["seniority_level"],
            "job_function": row["job_function"],
        }
    return {
        "match_status": False,
        "job_title": job_title,
        "cleaned_job_title": None,
        "seniority_level": None,
        "job_function": None,
        "suggestion": titles.classify_title(job_title).model_dump(),
    }


def location_answer(location_name: str, row: Mapping[Any, Any] | None) -> dict[str, Any]:
    """The body of a location lookup for `location_name`, given its reference row if any."""
    found = row or {}
    city, state, country = found.get("city"), found.get("state"), found.get("country")
    answer: dict[str, Any] = {
        "match_status": row is not None,
        "location_name": location_name,
        "city": city,
        "state": state,
        "country": country,
        "has_city": bool(city),
        "has_state": bool(state),
        "has_country": bool(country),
    }
    if row is None:
        answer["suggestion"] = locations.classify_location(location_name).model_dump()
    return answer


def country_code(country: str | None) -> str | None:
    """ISO alpha-2 code for a country name an update sends, when the gazetteer knows it."""
    if not country:
        return None
    match = locations.classify_location(country)
    return match.country_code if match.city is None and match.state is None else None
