"""LinkedIn's job taxonomy: the ten seniority levels and 26 job functions, and their spellings.

The reference tables, the lookup suggestions and the PDL backfill all speak this
vocabulary. `canonical_seniority` / `canonical_function` turn what a caller sends ("vp",
"Entry level", "customer success") into the one spelling stored, or None when the value
is not on the list.
"""

from __future__ import annotations

import re

#: LinkedIn seniority, urn:li:seniority:1..10 in rank order (lowest first).
SENIORITY_LEVELS = (
    "Unpaid",
    "Training",
    "Entry",
    "Senior",
    "Manager",
    "Director",
    "VP",
    "CXO",
    "Partner",
    "Owner",
)

#: LinkedIn job functions, urn:li:function:1..26 (26 was called "Support").
JOB_FUNCTIONS = (
    "Accounting",
    "Administrative",
    "Arts and Design",
    "Business Development",
    "Community and Social Services",
    "Consulting",
    "Education",
    "Engineering",
    "Entrepreneurship",
    "Finance",
    "Healthcare Services",
    "Human Resources",
    "Information Technology",
    "Legal",
    "Marketing",
    "Media and Communication",
    "Military and Protective Services",
    "Operations",
    "Product Management",
    "Program and Project Management",
    "Purchasing",
    "Quality Assurance",
    "Real Estate",
    "Research",
    "Sales",
    "Customer Success and Support",
)

#: Other spellings callers use for a level or function (keys are folded, see `_fold`).
_ALIASES = {
    "entry level": "Entry",
    "vice president": "VP",
    "c level": "CXO",
    "c suite": "CXO",
    "cxo level": "CXO",
    "intern": "Training",
    "internship": "Training",
    "support": "Customer Success and Support",
    "customer success": "Customer Success and Support",
    "customer support": "Customer Success and Support",
    "it": "Information Technology",
    "hr": "Human Resources",
    "project management": "Program and Project Management",
    "program management": "Program and Project Management",
    "qa": "Quality Assurance",
    "arts & design": "Arts and Design",
    "media & communication": "Media and Communication",
}

_SEPARATORS = re.compile(r"[\s_\-]+")


def _fold(value: str) -> str:
    return _SEPARATORS.sub(" ", value).strip().casefold()


_SENIORITY = {_fold(v): v for v in SENIORITY_LEVELS}
_FUNCTIONS = {_fold(v): v for v in JOB_FUNCTIONS}


def canonical_seniority(value: str) -> str | None:
    """The stored spelling of a seniority level, or None if it is not one of the ten."""
    key = _fold(value)
    found = _SENIORITY.get(key) or _ALIASES.get(key)
    return found if found in SENIORITY_LEVELS else None


def canonical_function(value: str) -> str | None:
    """The stored spelling of a job function, or None if it is not one of the 26."""
    key = _fold(value)
    found = _FUNCTIONS.get(key) or _ALIASES.get(key)
    return found if found in JOB_FUNCTIONS else None


def seniority_rank(level: str) -> int:
    """Position of a canonical level in LinkedIn's order (Unpaid = 0 … Owner = 9)."""
    return SENIORITY_LEVELS.index(level)
