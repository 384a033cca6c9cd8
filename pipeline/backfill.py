"""People Data Labs title levels and roles, mapped onto LinkedIn's taxonomy.

The job-title backfill fills `reference.job_title_lookup` from what PDL already said about
titles in `extracted.person_experience` (``title_levels``, ``title_role``,
``title_sub_role``). These tables are the whole rule; `pipeline.store.reference` ships
them to PostgreSQL as bound arrays so the backfill runs as one set-based statement, and
`linkedin_from_pdl` is the same rule for one row, in Python (tests hold the two together).
"""

from __future__ import annotations

from collections.abc import Iterable

from schemas.canonical import seniority_rank
from schemas.records import TitleMatch

#: PDL ``job_title_levels`` → LinkedIn seniority (PDL's ten levels are LinkedIn's ten).
PDL_LEVELS: dict[str, str] = {
    "unpaid": "Unpaid",
    "training": "Training",
    "entry": "Entry",
    "senior": "Senior",
    "manager": "Manager",
    "director": "Director",
    "vp": "VP",
    "cxo": "CXO",
    "partner": "Partner",
    "owner": "Owner",
}

#: PDL ``job_title_role`` (v28+ taxonomy and the legacy one) → LinkedIn job function.
PDL_ROLES: dict[str, str] = {
    "advisory": "Consulting",
    "analyst": "Research",
    "creative": "Arts and Design",
    "customer_service": "Customer Success and Support",
    "design": "Arts and Design",
    "education": "Education",
    "engineering": "Engineering",
    "finance": "Finance",
    "fulfillment": "Operations",
    "health": "Healthcare Services",
    "hospitality": "Operations",
    "human_resources": "Human Resources",
    "legal": "Legal",
    "manufacturing": "Operations",
    "marketing": "Marketing",
    "media": "Media and Communication",
    "operations": "Operations",
    "partnerships": "Business Development",
    "product": "Product Management",
    "professional_service": "Consulting",
    "public_relations": "Media and Communication",
    "public_service": "Military and Protective Services",
    "real_estate": "Real Estate",
    "research": "Research",
    "sales": "Sales",
    "sales_engineering": "Sales",
    "support": "Customer Success and Support",
    "trade": "Operations",
    "trades": "Operations",
}

#: PDL ``job_title_sub_role`` values that say more than their role does (they win).
PDL_SUB_ROLES: dict[str, str] = {
    "accounting": "Accounting",
    "accounting_services": "Accounting",
    "accounts": "Accounting",
    "bookkeeping": "Accounting",
    "administrative": "Administrative",
    "business_development": "Business Development",
    "customer_success": "Customer Success and Support",
    "graphic_design": "Arts and Design",
    "product_design": "Arts and Design",
    "web_design": "Arts and Design",
    "journalism": "Media and Communication",
    "broadcasting": "Media and Communication",
    "editorial": "Media and Communication",
    "project_management": "Program and Project Management",
    "procurement": "Purchasing",
    "purchasing": "Purchasing",
    "quality_assurance": "Quality Assurance",
    "qa_engineering": "Quality Assurance",
    "recruiting": "Human Resources",
    "talent": "Human Resources",
    "information_technology": "Information Technology",
    "it": "Information Technology",
    "real_estate": "Real Estate",
}

#: The seniority a PDL-classified title (it has a role) gets when PDL found no level word:
#: PDL leaves ``levels`` empty exactly where LinkedIn would say "Entry".
NO_LEVEL_SENIORITY = "Entry"


def seniority_from_levels(levels: Iterable[str], *, classified: bool) -> str | None:
    """The highest LinkedIn level among PDL's levels; "Entry" if PDL classified but gave none."""
    mapped = [PDL_LEVELS[level.lower()] for level in levels if level.lower() in PDL_LEVELS]
    if mapped:
        return max(mapped, key=seniority_rank)
    return NO_LEVEL_SENIORITY if classified else None


def function_from_role(role: str | None, sub_role: str | None) -> str | None:
    """The LinkedIn function for a PDL role, refined by its sub-role where that says more."""
    if sub_role and sub_role.lower() in PDL_SUB_ROLES:
        return PDL_SUB_ROLES[sub_role.lower()]
    return PDL_ROLES.get(role.lower()) if role else None


def linkedin_from_pdl(
    levels: Iterable[str], role: str | None, sub_role: str | None = None
) -> TitleMatch:
    """One experience row's PDL title data on LinkedIn's taxonomy (no cleaned title)."""
    return TitleMatch(
        cleaned_job_title=None,
        seniority_level=seniority_from_levels(levels, classified=role is not None),
        job_function=function_from_role(role, sub_role),
    )
