"""Property tests for the normalisers `test_normalize.py` does not already cover.

Each is total (any input of its type in, no exception out) and idempotent where its output
is a valid input: title cleaning, folding, lead normalisation, the title and location
classifiers, slug URLs and open-ended dates. Inputs include what Clay and form tools send:
blank cells, "null", template tokens, stray punctuation, other scripts and control chars.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline import dates, fold, leads, locations, lookups, titles
from pipeline.errors import InvalidPayloadError
from schemas import canonical

#: Text as spreadsheets hold it: real words, placeholders, templates, odd whitespace.
CELL = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["", " ", "null", "N/A", "none", "-", "{{Title}}", "Sr. VP, Eng.", "CEO & Founder"]
    ),
    st.text(alphabet=st.characters(categories=["L", "M", "N", "P", "Zs", "Cc"]), max_size=40),
)


@settings(max_examples=300)
@given(title=st.none() | CELL)
@example(title="SR. ENG MGR")
@example(title="Vp.Eng")
def test_clean_title_is_total_and_idempotent(title: str | None) -> None:
    cleaned = titles.clean_title(title)
    assert cleaned is None or (cleaned == cleaned.strip() and cleaned)
    assert titles.clean_title(cleaned) == cleaned


@settings(max_examples=300)
@given(text=CELL)
def test_fold_is_total_and_idempotent(text: str) -> None:
    once = fold.fold(text)
    assert fold.fold(once) == once
    words = fold.fold_words(text)
    assert fold.fold_words(words) == words
    assert words == words.strip() and "  " not in words


@settings(max_examples=200, deadline=None)  # the first call loads the vocabulary
@given(title=st.none() | CELL)
def test_classify_title_is_total_and_stable_on_its_own_output(title: str | None) -> None:
    match = titles.classify_title(title)
    assert match.seniority_level is None or isinstance(match.seniority_level, str)
    again = titles.classify_title(match.cleaned_job_title)
    assert again.cleaned_job_title == match.cleaned_job_title


@settings(max_examples=200, deadline=None)  # the first call loads the gazetteer
@given(text=st.none() | CELL)
@example(text="Cork, County Cork, Ireland")
@example(text="94105")
def test_classify_location_is_total(text: str | None) -> None:
    match = locations.classify_location(text)
    assert match.country_code is None or len(match.country_code) == 2
    assert lookups.country_code(text) in (None, match.country_code)


@settings(max_examples=300)
@given(slug=st.none() | CELL)
def test_a_url_from_a_slug_round_trips(slug: str | None) -> None:
    url = canonical.linkedin_url_from_slug(slug)
    if url is not None:
        assert canonical.linkedin_url(url) == url
        assert canonical.linkedin_url_from_slug(canonical.linkedin_slug(url)) == url


@settings(max_examples=200)
@given(value=st.none() | CELL | st.integers() | st.dictionaries(st.text(max_size=5), CELL))
def test_is_open_end_is_total(value: object) -> None:
    assert dates.is_open_end(value) in (True, False)


#: Every field a form sends but the client (which the test picks from a few on purpose).
LEAD_FIELDS = sorted(leads.KNOWN_FIELDS - {"client_domain"})
LEAD_VALUE = st.one_of(st.none(), CELL, st.integers(), st.floats(allow_nan=False), st.booleans())


@settings(max_examples=200, deadline=None)
@given(
    client=st.sampled_from(["acme.com", "https://www.Acme.com/", "not a domain", ""]),
    fields=st.fixed_dictionaries({}, optional=dict.fromkeys(LEAD_FIELDS, LEAD_VALUE)),
)
def test_normalize_lead_is_total_and_idempotent(client: str, fields: dict[str, Any]) -> None:
    body = {"client_domain": client, **fields}
    try:
        record = leads.normalize_lead(body)
    except InvalidPayloadError:
        assert canonical.domain(client) is None
        return
    assert record.client_domain == "acme.com"
    again = leads.normalize_lead(
        {
            "client_domain": record.client_domain,
            "work_email": record.email,
            "person_linkedin_url": record.linkedin_url,
            "first_name": record.first_name,
            "last_name": record.last_name,
            "full_name": record.full_name,
        }
    )
    assert (again.email, again.linkedin_url) == (record.email, record.linkedin_url)
    assert (again.first_name, again.last_name, again.full_name) == (
        record.first_name,
        record.last_name,
        record.full_name,
    )


@pytest.mark.parametrize("value", ["", " ", None, "{{Company Domain}}"])
def test_client_domain_refuses_what_is_not_a_domain(value: object) -> None:
    with pytest.raises(InvalidPayloadError):
        leads.client_domain(value)
