"""Pure readers shared by the company workflows: a LinkedIn company object, places, lists."""

from __future__ import annotations

from typing import Any

from pipeline import identity, normalize
from pipeline.locations import classify_location
from pipeline.workflows import values as v
from pipeline.workflows.facts import Item
from schemas import canonical

#: LinkedIn company URL keys providers use.
LINKEDIN_KEYS = ("linkedin_url", "url", "company_linkedin_url", "linkedin")


def linkedin_from(payload: dict[str, Any]) -> str | None:
    """The company's LinkedIn URL from the first key that holds one (or its slug)."""
    for key in LINKEDIN_KEYS:
        if url := v.company_linkedin_url(payload.get(key)):
            return url
    slug = v.text(payload.get("slug"))
    if slug and "/" not in slug and " " not in slug:
        return canonical.company_linkedin_url(f"https://www.linkedin.com/company/{slug}")
    return None


def place(text: str | None) -> dict[str, Any]:
    """City, state, country and code read from a free-text place ("San Francisco, CA")."""
    if text is None:
        return {}
    match = classify_location(text)
    return v.compact(
        {
            "city": match.city,
            "state": match.state,
            "country": match.country,
            "country_code": match.country_code,
        }
    )


def country_code(value: object) -> str | None:
    """An ISO alpha-2 code when the cell holds one ("US", "gb" → "GB"; UK is GB)."""
    code = v.text(value)
    if code is None or len(code) != 2 or not code.isalpha():
        return None
    return "GB" if code.upper() == "UK" else code.upper()


def simple_items(kind: str, value: object, *, split_commas: bool = True) -> list[Item]:
    """List items keyed on their folded text (so "DevOps" and "devops" are one)."""
    items: dict[str, Item] = {}
    for name in v.texts(value, split_commas=split_commas):
        key = identity.name_key(name) or name.casefold()
        items.setdefault(key, Item(kind=kind, key=key, value={"name": name}))
    return list(items.values())


def location_item(location: dict[str, Any]) -> Item | None:
    """One office of a company, keyed on its normalised address parts."""
    parts = v.compact(
        {
            "line1": v.text(location.get("line1") or location.get("address")),
            "city": v.text(location.get("city")),
            "state": v.text(location.get("geographic_area") or location.get("state")),
            "postal_code": v.text(location.get("postal_code")),
            "country": v.text(location.get("country")),
        }
    )
    if not parts:
        return None
    key = "|".join((identity.name_key(parts.get(k)) or "") for k in ("line1", "city", "country"))
    primary = v.flag(location.get("is_primary") or location.get("is_hq"))
    value = {**parts, **({"is_primary": primary} if primary is not None else {})}
    return Item(kind="location", key=key, value=value)


def size_fields(size: object, employees: object) -> dict[str, Any]:
    """Size bucket and head count from a size text ("51-200 employees") and a count."""
    count = v.count(employees)
    bucket = normalize.company_size_bucket(v.text(size)) if v.text(size) else None
    if bucket is None and count is not None:
        bucket = normalize.company_size_bucket(count)
    return v.compact({"size_range": bucket, "employee_count": count})
