"""Unit and property tests for `pipeline.normalize`: the keys users join on."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from urllib.parse import quote

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from pipeline import dates, normalize
from schemas import canonical
from schemas.records import PartialDate

CANONICAL = "https://www.linkedin.com/in/jane-doe-42"


@pytest.mark.parametrize(
    "raw",
    [
        "https://www.linkedin.com/in/jane-doe-42",
        "https://www.linkedin.com/in/jane-doe-42/",
        "http://www.linkedin.com/in/jane-doe-42",
        "www.linkedin.com/in/jane-doe-42",
        "linkedin.com/in/jane-doe-42",
        "//linkedin.com/in/jane-doe-42",
        "HTTPS://WWW.LINKEDIN.COM/IN/JANE-DOE-42",
        "https://uk.linkedin.com/in/Jane-Doe-42",
        "https://m.linkedin.com/in/jane-doe-42/",
        "https://www.linkedin.com/mwlite/in/jane-doe-42",
        "https://linkedin.com./in/jane-doe-42",
        "https://www.linkedin.com:443/in/jane-doe-42",
        "https://www.linkedin.com/in/jane-doe-42/details/experience/",
        "https://www.linkedin.com/in/jane-doe-42/en?trk=x",
        "https://www.linkedin.com/in/jane-doe-42?utm_source=share&utm_medium=member_ios",
        "https://www.linkedin.com/in/jane-doe-42#experience",
        "https://www.linkedin.com//in//jane-doe-42//",
        "  https://www.linkedin.com/in/jane-doe-42  ",
        "https://www.linkedin.com/in/%6A%61ne-doe-42",
    ],
)
def test_linkedin_url_variants_share_one_key(raw: str) -> None:
    assert canonical.linkedin_url(raw) == CANONICAL


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "https://tr.linkedin.com/in/%C3%87a%C4%9Fla-Y%C4%B1ld%C4%B1r%C4%B1mo%C4%9Flu-3d",
            "https://www.linkedin.com/in/çağla-yıldırımoğlu-3d",
        ),
        (
            "pl.linkedin.com/in/%C5%81ucja-Zawadzka-ux",
            "https://www.linkedin.com/in/łucja-zawadzka-ux",
        ),
        # A decomposed "é" (e + combining acute) is composed by NFC.
        ("linkedin.com/in/jose\u0301-garcia", "https://www.linkedin.com/in/jos\u00e9-garcia"),
        # str.lower, not casefold: "ß" stays "ß"; dotted capital I keeps its combining dot.
        ("linkedin.com/in/Stra%C3%9Fe", "https://www.linkedin.com/in/straße"),
        ("linkedin.com/in/%C4%B0pek", "https://www.linkedin.com/in/i\u0307pek"),
        ("https://www.linkedin.com/in/ACoAAB12xyz", "https://www.linkedin.com/in/acoaab12xyz"),
        ("https://www.linkedin.com/in/под-ключ", "https://www.linkedin.com/in/под-ключ"),
        ("https://www.linkedin.com/in/john_doe", "https://www.linkedin.com/in/john_doe"),
    ],
)
def test_linkedin_url_decodes_and_lowercases_the_slug(raw: str, expected: str) -> None:
    assert canonical.linkedin_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "jane-doe-42",
        "https://www.linkedin.com/",
        "https://www.linkedin.com/in/",
        "https://www.linkedin.com/company/acme",
        "https://www.linkedin.com/pub/jane-doe/1/2/3",
        "https://www.linkedin.com/sales/people/ACwAAA,NAME",
        "https://www.linkedin.com/feed/",
        "https://evil-linkedin.com/in/jane-doe-42",
        "https://linkedin.com.evil.io/in/jane-doe-42",
        "https://lnkd.in/abc123",
        "https://www.linkedin.com/in/jane doe",
        "https://www.linkedin.com/in/jane%20doe",
        "https://www.linkedin.com/in/jane%2Fdoe",
        "https://www.linkedin.com/in/%2541",
        "https://www.linkedin.com/in/%FF%FE",
        "https://www.linkedin.com/in/jane.doe!",
        "https://www.linkedin.com:abc/in/jane-doe-42",
        "jane@linkedin.com/in/jane-doe-42",
    ],
)
def test_linkedin_url_rejects_non_profile_input(raw: str | None) -> None:
    assert canonical.linkedin_url(raw) is None


def test_linkedin_slug_is_the_canonical_last_segment() -> None:
    assert canonical.linkedin_slug("uk.linkedin.com/in/Jane-Doe-42/") == "jane-doe-42"
    assert canonical.linkedin_slug("https://www.linkedin.com/company/acme") is None


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("jane-doe-42", CANONICAL),
        ("/Jane-Doe-42/", CANONICAL),
        ("çağla-yıldırımoğlu-3d", "https://www.linkedin.com/in/çağla-yıldırımoğlu-3d"),
        ("jane doe", None),
        ("in/jane-doe", None),
        ("", None),
        (None, None),
    ],
)
def test_linkedin_url_from_slug(slug: str | None, expected: str | None) -> None:
    assert canonical.linkedin_url_from_slug(slug) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.linkedin.com/company/acme/", "https://www.linkedin.com/company/acme"),
        ("linkedin.com/company/Acme-Corp", "https://www.linkedin.com/company/acme-corp"),
        (
            "https://uk.linkedin.com/company/1234567/about/?x=1",
            "https://www.linkedin.com/company/1234567",
        ),
        ("https://www.linkedin.com/in/jane-doe-42", None),
        ("https://www.linkedin.com/school/some-university/", None),
        ("https://example.com/company/acme", None),
        (None, None),
    ],
)
def test_company_linkedin_url(raw: str | None, expected: str | None) -> None:
    assert canonical.company_linkedin_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/x", "acme.com"),
        ("http://Thistlecove.ai:443/careers", "thistlecove.ai"),
        ("gannetford.net.", "gannetford.net"),
        ("https://ferrisbay.ie/", "ferrisbay.ie"),
        ("www.corrieburn.com.au", "corrieburn.com.au"),
        ("https://Tallisferry.io:8443/en-au/", "tallisferry.io"),
        ("HTTPS://WWW.Skarvik-Maritime.no/en/contact#form", "skarvik-maritime.no"),
        ("http://sub.example.co.uk:8080/path?q", "sub.example.co.uk"),
        ("example.com?utm=1", "example.com"),
        ("example.com#top", "example.com"),
        ("//cdn.example.org/a.js", "cdn.example.org"),
        ("ftp://files.example.org", "files.example.org"),
        ("https://user:secret@www.example.org:8443/", "example.org"),
        ("www.www.example.com", "example.com"),
        ("www.com", "www.com"),
        ("  Example.COM  ", "example.com"),
        ("xn--bcher-kva.de", "bücher.de"),
        ("https://Bücher.DE/shop", "bücher.de"),
        ("www.xn--e1afmkfd.xn--p1ai", "пример.рф"),
        ("https://ПРИМЕР.РФ/", "пример.рф"),
        ("例え。テスト", "例え.テスト"),
        ("müller-gmbh.de", "müller-gmbh.de"),
    ],
)
def test_domain_normalises_hosts(raw: str, expected: str) -> None:
    assert canonical.domain(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "localhost",
        "acme",
        "http://",
        "a b.com",
        "jane@example.com",
        "mailto:jane@example.com",
        "192.168.0.1",
        "http://[::1]:8080/",
        "-acme.com",
        "acme-.com",
        "acme..com",
        "acme.c",
        "acme.123",
        "example.com:port",
        "xn--.com",
        "xn--zz-.com",
        "a" * 64 + ".com",
        "ab--cd.com",
    ],
)
def test_domain_rejects_what_is_not_a_host(raw: str | None) -> None:
    assert canonical.domain(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Hollis.Varga-Ngata@Skarvik-Maritime.NO ", "hollis.varga-ngata@skarvik-maritime.no"),
        ("LUCJA.ZAWADZKA@FERRISBAY.IE", "lucja.zawadzka@ferrisbay.ie"),
        ("mailto:Jane@Example.com?subject=Hi", "jane@example.com"),
        ("<jane+tag@example.co.uk>", "jane+tag@example.co.uk"),
        ("Jane Doe <Jane@Example.com>", "jane@example.com"),
        ("Jane <not an email>", None),
        ("jane@www.example.com", "jane@www.example.com"),
        ("jane@xn--bcher-kva.de", "jane@bücher.de"),
        ("jane@", None),
        ("@example.com", None),
        ("jane.example.com", None),
        ("jane doe@example.com", None),
        (".jane@example.com", None),
        ("jane.@example.com", None),
        ("ja..ne@example.com", None),
        ("jane@localhost", None),
        ("jane@example.com/path", None),
        ("", None),
        (None, None),
    ],
)
def test_email(raw: str | None, expected: str | None) -> None:
    assert normalize.email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jane@Example.com", "example.com"),
        ("mailto:jane@www.example.com", "example.com"),
        ("jane@mail.example.co.uk", "mail.example.co.uk"),
        ("not an email", None),
        (None, None),
    ],
)
def test_email_domain(raw: str | None, expected: str | None) -> None:
    assert normalize.email_domain(raw) == expected


@pytest.mark.parametrize(
    "address",
    [
        "cormac.delahunt.sre@outlook.com",
        "a@gmail.com",
        "a@GoogleMail.com",
        "a@hotmail.co.uk",
        "a@hotmail.fr",
        "a@live.com.mx",
        "a@msn.com",
        "a@yahoo.co.jp",
        "a@yahoo.com.au",
        "a@ymail.com",
        "a@icloud.com",
        "a@me.com",
        "a@mac.com",
        "a@aol.com",
        "a@protonmail.com",
        "a@proton.me",
        "a@gmx.de",
        "a@gmx.net",
        "a@web.de",
        "a@mail.ru",
        "a@yandex.ru",
        "a@qq.com",
        "a@163.com",
        "a@zoho.com",
        " A@Outlook.DE ",
    ],
)
def test_free_email_providers(address: str) -> None:
    assert normalize.is_free_email(address)


@pytest.mark.parametrize(
    "address",
    [
        "hollis.varga-ngata@skarvik-maritime.no",
        "a@gmail.company.com",
        "a@mygmail.com",
        "a@example.me",
        "a@outlook-consulting.com",
        "not an email",
        "",
        None,
    ],
)
def test_company_and_invalid_addresses_are_not_free_email(address: str | None) -> None:
    assert not normalize.is_free_email(address)


def test_free_email_domain_accepts_a_bare_domain() -> None:
    assert normalize.is_free_email_domain("https://www.gmail.com/")
    assert not normalize.is_free_email_domain("acme.com")


@pytest.mark.parametrize(
    ("raw", "clay", "expected"),
    [
        ("2016", False, (date(2016, 1, 1), "year")),
        ("2022-09", False, (date(2022, 9, 1), "month")),
        ("2021-04-19", False, (date(2021, 4, 19), "day")),
        ("2021-4-9", False, (date(2021, 4, 9), "day")),
        ("2023-06-01", True, (date(2023, 6, 1), "unknown")),
        ("2023-06-15", True, (date(2023, 6, 15), "day")),
        ("2023-06", True, (date(2023, 6, 1), "month")),
        ("2023-06-01", False, (date(2023, 6, 1), "day")),
        ("2021-04-19T10:11:12Z", False, (date(2021, 4, 19), "day")),
        ("2021/04/19", False, (date(2021, 4, 19), "day")),
        ("Sep 2023", False, (date(2023, 9, 1), "month")),
        ("September 2023", False, (date(2023, 9, 1), "month")),
        ("sept. 2023", False, (date(2023, 9, 1), "month")),
        ({"day": None, "month": 9, "year": 2023}, False, (date(2023, 9, 1), "month")),
        ({"day": None, "month": None, "year": 2016}, False, (date(2016, 1, 1), "year")),
        ({"day": 15, "month": 3, "year": 2021}, False, (date(2021, 3, 15), "day")),
        ({"day": 15, "month": None, "year": 2021}, False, (date(2021, 1, 1), "year")),
        ({"day": "15", "month": "3", "year": "2021"}, False, (date(2021, 3, 15), "day")),
        (2019, False, (date(2019, 1, 1), "year")),
        (date(2020, 2, 29), False, (date(2020, 2, 29), "day")),
    ],
)
def test_partial_date_reads_every_provider_spelling(
    raw: object, clay: bool, expected: tuple[date, str]
) -> None:
    parsed = dates.partial_date(raw, clay=clay)
    assert parsed is not None
    assert (parsed.value, parsed.precision) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "  ",
        "Present",
        "present",
        "PRESENT",
        "current",
        "2023-02-30",
        "2023-13",
        "2023-00-10",
        "0000",
        "20233",
        "23-06-01",
        "June",
        "Smarch 2020",
        "yesterday",
        {"day": 1, "month": 1, "year": None},
        {"day": 31, "month": 2, "year": 2020},
        {"month": 13, "year": 2020},
        {},
        {"year": True},
        True,
        12,
        2.5,
        ["2020"],
    ],
)
def test_partial_date_gives_none_for_open_or_invalid_dates(raw: object) -> None:
    assert dates.partial_date(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, True),
        ("Present", True),
        (" present ", True),
        ("", True),
        ({"day": None, "month": None, "year": None}, True),
        ("2020-01-01", False),
        ({"day": None, "month": None, "year": 2016}, False),
    ],
)
def test_is_open_end(raw: object, expected: bool) -> None:
    assert dates.is_open_end(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-02-17 08:41:52.604", datetime(2026, 2, 17, 8, 41, 52, 604000, tzinfo=UTC)),
        ("2026-02-17T08:41:52Z", datetime(2026, 2, 17, 8, 41, 52, tzinfo=UTC)),
        ("2026-02-17T09:41:52+01:00", datetime(2026, 2, 17, 8, 41, 52, tzinfo=UTC)),
        ("2026-02-17 08:41:52 UTC", datetime(2026, 2, 17, 8, 41, 52, tzinfo=UTC)),
        ("Tue, 17 Feb 2026 08:41:52 GMT", datetime(2026, 2, 17, 8, 41, 52, tzinfo=UTC)),
        ("2026-02-17", datetime(2026, 2, 17, tzinfo=UTC)),
        (1771317712, datetime(2026, 2, 17, 8, 41, 52, tzinfo=UTC)),
        (1771317712604, datetime(2026, 2, 17, 8, 41, 52, 604000, tzinfo=UTC)),
        ("1771317712", datetime(2026, 2, 17, 8, 41, 52, tzinfo=UTC)),
        (datetime(2026, 2, 17, 8, 41, 52), datetime(2026, 2, 17, 8, 41, 52, tzinfo=UTC)),
        ("not a time", None),
        ("", None),
        (None, None),
        (float("nan"), None),
        (True, None),
    ],
)
def test_timestamp(raw: object, expected: datetime | None) -> None:
    assert dates.timestamp(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Łucja   Zawadzka  ", "Łucja Zawadzka"),
        ("a\tb\nc\u00a0d", "a b c d"),
        ("Jose\u0301", "Jos\u00e9"),
        ("   ", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_clean_text(raw: object, expected: str | None) -> None:
    assert normalize.clean_text(raw) == expected


def test_clean_multiline_keeps_paragraphs() -> None:
    raw = "  First  line \r\n\r\n\r\n\r\n second   line  "
    assert normalize.clean_multiline(raw) == "First line\n\nsecond line"
    assert normalize.clean_multiline(" \n ") is None


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((" Hollis ", "VARGA-NGATA", None), ("Hollis", "VARGA-NGATA", "Hollis VARGA-NGATA")),
        ((None, None, "  Łucja   Zawadzka  "), ("Łucja", "Zawadzka", "Łucja Zawadzka")),
        ((None, None, "Mary Ann Smith"), ("Mary Ann", "Smith", "Mary Ann Smith")),
        (("Ann", None, "Ann van Dijk"), ("Ann", "van Dijk", "Ann van Dijk")),
        ((None, "van Dijk", "Ann van Dijk"), ("Ann", "van Dijk", "Ann van Dijk")),
        ((None, None, "Cher"), ("Cher", None, "Cher")),
        (("Cher", None, None), ("Cher", None, "Cher")),
        ((None, "Smith", None), (None, "Smith", "Smith")),
        (("", "  ", ""), (None, None, None)),
        (("Jane", "Doe", "Dr. Jane Doe"), ("Jane", "Doe", "Dr. Jane Doe")),
    ],
)
def test_person_name(
    parts: tuple[str | None, str | None, str | None],
    expected: tuple[str | None, str | None, str | None],
) -> None:
    assert normalize.person_name(*parts) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("501-1,000 employees", "501-1000"),
        ("51 - 200", "51-200"),
        ("10,001+", "10001+"),
        ("10.001+ employees", "10001+"),
        ("10000+", "10001+"),
        ("5001-10,000", "5001-10000"),
        ("1001–5000", "1001-5000"),
        ("2-10 employees", "1-10"),
        ("11 to 50", "11-50"),
        ("0-1 employees", "1-10"),
        ("1k-5k", "1001-5000"),
        ("10k+", "10001+"),
        ("5000", "1001-5000"),
        ("5,001", "5001-10000"),
        ("less than 10", "1-10"),
        ("over 10000", "10001+"),
        ("Self-employed", "1-10"),
        (5000, "1001-5000"),
        (1, "1-10"),
        (10, "1-10"),
        (11, "11-50"),
        (250000, "10001+"),
        (300.0, "201-500"),
        ("unknown", None),
        ("", None),
        (None, None),
        (-5, None),
        (True, None),
        (float("inf"), None),
    ],
)
def test_company_size_bucket(raw: object, expected: str | None) -> None:
    assert normalize.company_size_bucket(raw) == expected


@pytest.mark.parametrize(
    ("domain", "name", "expected"),
    [
        ("http://Thistlecove.ai:443/careers", "Thistlecove Robotics", "thistlecove.ai"),
        (None, "  Zwinhaven   Advies ", "name:zwinhaven advies"),
        (None, "ZWINHAVEN ADVIES", "name:zwinhaven advies"),
        (None, "Lalezar Yazılım A.Ş.", "name:lalezar yazılım a.ş."),
        ("not a domain", "Acme", "name:acme"),
        ("", "   ", None),
        (None, None, None),
    ],
)
def test_company_key(domain: str | None, name: str | None, expected: str | None) -> None:
    assert normalize.company_key(domain, name) == expected


# --- properties -------------------------------------------------------------------------

URLISH = st.one_of(
    st.text(),
    st.from_regex(r"\A(https?://|//)?[a-zA-Z0-9.:@%-]{0,30}(/[^\s]{0,20}){0,4}\Z"),
    st.builds(
        "{}{}linkedin.com{}{}".format,
        st.sampled_from(["", "https://", "HTTP://", "//"]),
        st.sampled_from(["", "www.", "m.", "uk.", "Www."]),
        st.sampled_from(["/in/", "/IN/", "/company/", "/mwlite/in/", "//in//"]),
        st.text(),
    ),
    st.builds("xn--{}.{}".format, st.text(), st.sampled_from(["com", "xn--p1ai", "de"])),
)
TEXT_NORMALISERS = [
    canonical.linkedin_url,
    canonical.company_linkedin_url,
    canonical.domain,
    normalize.email,
    normalize.clean_text,
    normalize.clean_multiline,
]


@pytest.mark.parametrize("normaliser", TEXT_NORMALISERS, ids=lambda f: f.__name__)
@settings(max_examples=300)
@given(value=URLISH)
@example(value="https://www.linkedin.com/in/%C4%B0%CC%87")
@example(value="xn--ls8h.la")
def test_text_normalisers_are_total_and_idempotent(
    normaliser: Callable[[str | None], str | None], value: str
) -> None:
    once = normaliser(value)
    assert once is None or isinstance(once, str)
    assert normaliser(once) == once


@settings(max_examples=300)
@given(value=URLISH)
def test_linkedin_slug_agrees_with_the_canonical_url(value: str) -> None:
    url = canonical.linkedin_url(value)
    assert canonical.linkedin_slug(value) == (url.rsplit("/", 1)[1] if url else None)
    assert canonical.linkedin_slug(url) == canonical.linkedin_slug(value)


SLUG = st.text(
    alphabet=st.characters(categories=["Lu", "Ll", "Nd"]) | st.sampled_from("-_"),
    min_size=1,
    max_size=30,
)


@settings(max_examples=300)
@given(
    slug=SLUG,
    prefix=st.sampled_from(["", "https://", "http://", "HTTPS://"]),
    host=st.sampled_from(["linkedin.com", "www.linkedin.com", "tr.linkedin.com", "M.LinkedIn.COM"]),
    suffix=st.sampled_from(["", "/", "/details/experience/", "?trk=a/b", "#x", "/?a=1#b"]),
    encode=st.booleans(),
)
def test_every_spelling_of_a_profile_url_maps_to_one_key(
    slug: str, prefix: str, host: str, suffix: str, encode: bool
) -> None:
    path_slug = quote(slug) if encode else slug
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", slug).lower())
    assume(all(c.isalnum() or c in "-_" for c in folded))  # NFKC may expand to "L·"
    expected = f"https://www.linkedin.com/in/{folded}"
    assert canonical.linkedin_url(f"{prefix}{host}/in/{path_slug}{suffix}") == expected


LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\Z").filter(lambda s: s[2:4] != "--")


@settings(max_examples=300)
@given(
    labels=st.lists(LABEL, min_size=1, max_size=3),
    tld=st.from_regex(r"\A[a-z]{2,6}\Z"),
    scheme=st.sampled_from(["", "http://", "https://", "HTTPS://"]),
    www=st.booleans(),
    port=st.sampled_from(["", ":80", ":8443"]),
    tail=st.sampled_from(["", "/", "/a/b?c=d", "#frag", "."]),
)
def test_every_spelling_of_a_website_maps_to_its_domain(
    labels: list[str], tld: str, scheme: str, www: bool, port: str, tail: str
) -> None:
    host = ".".join([*labels, tld])
    prefix = "www." if www else ""
    trailing_dot = "." if tail == "." else ""
    rest = "" if tail == "." else tail
    raw = f"{scheme}{prefix}{host.upper()}{trailing_dot}{port}{rest}"
    expected = host
    while expected.startswith("www.") and expected.count(".") > 1:
        expected = expected[4:]
    assert canonical.domain(raw) == expected


@settings(max_examples=200)
@given(
    first=st.none() | st.text(),
    last=st.none() | st.text(),
    full=st.none() | st.text(),
)
def test_person_name_is_total_and_idempotent(
    first: str | None, last: str | None, full: str | None
) -> None:
    once = normalize.person_name(first, last, full)
    assert normalize.person_name(*once) == once
    assert once[2] is None or once[2] == normalize.clean_text(once[2])


@settings(max_examples=300)
@given(value=st.text() | st.integers() | st.floats() | st.none())
def test_company_size_bucket_is_total_and_idempotent(value: object) -> None:
    bucket = normalize.company_size_bucket(value)
    assert bucket is None or bucket in normalize.SIZE_BUCKETS
    assert normalize.company_size_bucket(bucket) == bucket


DATE_PART = st.none() | st.integers(-5, 10000) | st.text(max_size=5) | st.booleans()
RAW_DATE = st.one_of(
    st.text(),
    st.from_regex(r"\A[0-9]{4}([-/.][0-9]{1,2}([-/.][0-9]{1,2})?)?\Z"),
    st.fixed_dictionaries({"day": DATE_PART, "month": DATE_PART, "year": DATE_PART}),
    st.integers(),
    st.none(),
)


def _render(value: PartialDate) -> str:
    """Write a partial date back the way a provider with that precision would."""
    width = {"year": 4, "month": 7}.get(value.precision, 10)
    return value.value.isoformat()[:width]


@settings(max_examples=300)
@given(raw=RAW_DATE, clay=st.booleans())
def test_partial_date_is_total_and_round_trips(raw: object, clay: bool) -> None:
    parsed = dates.partial_date(raw, clay=clay)
    assert dates.partial_date(parsed) == parsed
    if parsed is not None:
        # `clay` only reinterprets Clay's text dates; a {day, month, year} object keeps its day.
        text_clay = clay and isinstance(raw, str)
        assert dates.partial_date(_render(parsed), clay=text_clay) == parsed


@settings(max_examples=200)
@given(raw=st.text() | st.integers() | st.floats() | st.datetimes())
def test_timestamp_is_total_and_idempotent(raw: object) -> None:
    parsed = dates.timestamp(raw)
    assert parsed is None or parsed.tzinfo is not None
    assert dates.timestamp(parsed) == parsed
    if parsed is not None:
        assert dates.timestamp(parsed.isoformat()) == parsed


@settings(max_examples=200)
@given(domain=URLISH | st.none(), name=st.text() | st.none())
def test_company_key_is_total_and_stable(domain: str | None, name: str | None) -> None:
    key = normalize.company_key(domain, name)
    if key is None:
        return
    if key.startswith("name:"):
        assert normalize.company_key(None, key.removeprefix("name:")) == key
    else:
        assert normalize.company_key(key, name) == key


@settings(max_examples=200)
@given(value=URLISH)
def test_free_email_checks_are_total(value: str) -> None:
    assert normalize.is_free_email(value) in (True, False)
    assert normalize.is_free_email_domain(value) in (True, False)
    assert normalize.email_domain(value) == normalize.email_domain(normalize.email(value))


def test_the_whitespace_regex_is_str_isspace_for_every_code_point() -> None:
    # `canonical` rejects keys holding whitespace with a regex search; it must reject exactly
    # what the per-character `str.isspace` check it replaced rejected.
    space = canonical._SPACE
    assert [cp for cp in range(0x110000) if bool(space.search(chr(cp))) != chr(cp).isspace()] == []


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12))
def test_the_ascii_slug_fast_path_agrees_with_the_unicode_check(slug: str) -> None:
    folded = canonical.key_fold(slug)
    by_char = all(
        c.isalnum() or c in "-_" or unicodedata.category(c).startswith("M") for c in folded
    )
    if canonical._ASCII_SLUG.fullmatch(folded):
        assert by_char
    assert canonical._decode_slug(quote(slug)) == (folded if folded and by_char else None)
