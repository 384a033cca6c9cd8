"""Dead-letter causes: the same cause with different specifics is one group, others are not."""

from __future__ import annotations

import pytest

from pipeline import errorgroups


def _group(error: str, *, stage: str = "sync_core", slug: str | None = "clay-a") -> str:
    return errorgroups.fingerprint(workflow_slug=slug, stage=stage, error=error).group


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("KeyError: 'first_name'", "KeyError: 'last_name'"),
        (
            "PermanentError: job 2b1c9a4e-8d6f-4c1e-9a0b-3f5d7e9c1a2b refused",
            "PermanentError: job 7f00aa11-0000-4c1e-9a0b-000000000001 refused",
        ),
        (
            "InvalidPayloadError: no usable LinkedIn profile URL: webhook linkedin_url='x' "
            "and the clay payload's own profile URL are missing",
            "InvalidPayloadError: no usable LinkedIn profile URL: webhook linkedin_url=None "
            "and the clay payload's own profile URL are missing",
        ),
        ("HTTPError: 502 from https://api.a.io/v1/x?id=3", "HTTPError: 503 from http://b.io/y"),
        ("ValueError: bad address ann@acme.com", "ValueError: bad address bob.x@foo.co.uk"),
        ("TransientError: row 17 of 4,000 locked", "TransientError: row 9 of 12 locked"),
        (
            "LookupError: no company c0ffee1234 (acct_9x8y7z)",
            "LookupError: no company ab12cd34ef (acct_1a2b3c)",
        ),
        (
            "UnknownShapeError: raw_payload matches no known provider shape (clay, proxycurl, "
            "pdl; marker scores clay=1, pdl=0, proxycurl=0); keys seen: a, b, name",
            "UnknownShapeError: raw_payload matches no known provider shape (clay, proxycurl, "
            "pdl; marker scores pdl=1, clay=0, proxycurl=0); keys seen: foo, zed",
        ),
        ('RuntimeError: value "x y" rejected', 'RuntimeError: value "z" rejected'),
    ],
)
def test_same_cause_with_different_specifics_is_one_group(first: str, second: str) -> None:
    assert _group(first) == _group(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("KeyError: 'first_name'", "ValueError: 'first_name'"),
        ("PermanentError: company table locked", "PermanentError: person refused"),
        ("PermanentError: can't parse date 7", "PermanentError: can't parse title 7"),
    ],
)
def test_different_causes_are_different_groups(first: str, second: str) -> None:
    assert _group(first) != _group(second)


def test_workflow_and_stage_are_part_of_the_group() -> None:
    error = "KeyError: 'x'"
    assert _group(error) != _group(error, stage="extract_profile")
    assert _group(error) != _group(error, slug="clay-b")
    assert _group(error, slug=None) != _group(error)


def test_class_and_pattern_are_readable() -> None:
    found = errorgroups.fingerprint(
        workflow_slug=None,
        stage="sync_core",
        error="PermanentError: person 'https://linkedin.com/in/ann-1' refused, 3 tries, id 42",
    )
    assert found.error_class == "PermanentError"
    assert found.pattern == "person <value> refused, <n> tries, id <n>"
    assert len(found.group) == 16


def test_message_without_a_class_and_a_long_message() -> None:
    assert errorgroups.split_error("age_limit") == ("age_limit", "")
    assert errorgroups.split_error("the stage timed out: 3 s") == ("", "the stage timed out: 3 s")
    long = "TimeoutError: " + "word " * 200
    assert len(errorgroups.fingerprint(workflow_slug=None, stage="s", error=long).pattern) <= 401
