"""Job-title classification on LinkedIn's ten seniority levels and 26 job functions.

`classify_title` is the built-in classifier behind the job-title lookup suggestion and the
reference backfill: it cleans the title as written (whitespace, common abbreviations) and
derives seniority and function from rules over a multilingual vocabulary
(`pipeline.title_vocab`, `pipeline.title_functions`). It is pure and needs no data files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from pipeline import title_functions as functions
from pipeline import title_vocab as vocab
from pipeline.fold import fold_words
from schemas.records import TitleMatch

#: Abbreviations expanded in the cleaned title (matched case-insensitively, whole words).
_ABBREVIATIONS: dict[str, str] = {
    "sr": "Senior",
    "snr": "Senior",
    "jr": "Junior",
    "mgr": "Manager",
    "mngr": "Manager",
    "dir": "Director",
    "asst": "Assistant",
    "assoc": "Associate",
    "exec": "Executive",
    "engr": "Engineer",
    "mktg": "Marketing",
    "mgmt": "Management",
    "acct": "Account",
    "coord": "Coordinator",
    "rep": "Representative",
    "svcs": "Services",
    "svc": "Service",
    "intl": "International",
    "int'l": "International",
    "dept": "Department",
    "vp": "Vice President",
    "svp": "Senior Vice President",
    "evp": "Executive Vice President",
    "avp": "Assistant Vice President",
}

_ABBREVIATION = re.compile(
    r"(?<![\w'])(" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r"|eng)\b\.?(?=\W|$)",
    re.IGNORECASE,
)
#: "Eng" means Engineering before these words or after "of"/"VP"/"Head"/"Director".
_ENG_AS_FIELD_NEXT = re.compile(r"\s*(?:manager|director|lead|team|head|vp)\b", re.IGNORECASE)
_ENG_AS_FIELD_PREV = re.compile(r"(?:\bof|\bvp|\bhead|\bdirector|\bpresident),?\s*$", re.IGNORECASE)
_GLUED_ABBREVIATION = re.compile(r"\b(sr|jr|mgr|asst|snr)\.(?=[^\W\d])", re.IGNORECASE)
_PLACEHOLDERS = frozenset({"n a", "na", "none", "null", "unknown", "tbd", "nil", "no"})
#: Where a title's department starts: "Managing Partner, Corporate Law", "Intern – Finance".
_DEPARTMENT = re.compile(r"\s*(?:,|\s[-–—|]\s)\s*")
_EDGE_PUNCTUATION = " \t-–—|,;:/·•*"

#: "…to the X", "…for the X": the words after describe someone else.
_OTHER_PERSON = re.compile(r"\b(?:to|for) the\b|\breporting to\b")
#: "Assistant to X", "Secretaria de X": keep the noun, drop who it serves.
_SERVES = re.compile(
    vocab.ASSISTANT_NOUNS + r"\b(?= (?:to|of|for|de|du|del|della|der|des|di|van|al|a|do|da|dem)\b)"
)


def _expand(match: re.Match[str], text: str, upper: bool) -> str:
    """Replace one abbreviation, picking Engineering/Engineer for "Eng" from its neighbours."""
    key = match.group(1).lower()
    if key == "eng":
        before, after = text[: match.start()], text[match.end() :]
        field = _ENG_AS_FIELD_NEXT.match(after) or _ENG_AS_FIELD_PREV.search(before)
        word = "Engineering" if field else "Engineer"
    else:
        word = _ABBREVIATIONS[key]
    return word.upper() if upper else word


#: Words kept lower case inside a title-cased title (not as its first word).
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into nor of on or per the to vs via with"
    " de del della der des di du da do dos das e et en la le les y und von van zu fur für".split()
)
#: Words written in capitals when a lower-case title is title-cased.
_ACRONYMS = frozenset(
    {*vocab.CXO_FUNCTIONS, "vp", "svp", "evp", "avp", "hr", "it", "qa", "qc", "ux", "ui", "pr"}
    | {"r&d", "seo", "sem", "sdr", "bdr", "pmo", "ai", "ml", "sre", "hrbp", "fp&a", "b2b"}
    | {"b2c", "gm", "md", "cpa", "cfa", "mba", "emea", "apac", "latam", "us", "uk", "eu"}
    | {"ii", "iii", "iv", "vi", "vii", "erp", "sap", "crm", "bi", "gtm", "kam", "dei", "esg"}
    | {"hse", "ehs", "rn", "np", "pa", "cna", "lpn", "ceo", "gis", "nlp", "hvac", "it/ot"}
)
#: Words with a case of their own.
_OWN_CASE = {"ios": "iOS", "saas": "SaaS", "devops": "DevOps", "phd": "PhD", "iot": "IoT"}
_TITLE_WORD = re.compile(r"[^\W\d_][\w'’&]*", re.UNICODE)


def _title_case_word(match: re.Match[str], first: bool) -> str:
    """One word of a lower-case title in title case (small words lower, acronyms upper)."""
    word = match.group(0)
    if word in _OWN_CASE:
        return _OWN_CASE[word]
    if word in _ACRONYMS:
        return word.upper()
    if word in _SMALL_WORDS and not first:
        return word
    return word[:1].upper() + word[1:]


def title_case(text: str) -> str:
    """Title-case a title written all in lower case; a title with any capital is kept.

    "research scientist and manager" → "Research Scientist and Manager"; small words stay
    lower, acronyms (VP, CEO, HR, IT…) go upper, hyphenated parts are each capitalised.
    """
    if text != text.lower() or text == text.upper():
        return text
    return _TITLE_WORD.sub(lambda m: _title_case_word(m, m.start() == 0), text)


def clean_title(title: str | None) -> str | None:
    """Return the title as the person wrote it, tidied: trimmed, single-spaced, expanded.

    Common abbreviations (Sr., Jr., VP, Mgr, Eng…) become words; a title written all in
    lower case is title-cased (`title_case`), any other keeps its case.
    Returns None for empty, punctuation-only or placeholder titles ("N/A", "none").
    """
    if title is None:
        return None
    text = " ".join(title.split()).strip(_EDGE_PUNCTUATION)
    if not any(ch.isalpha() for ch in text) or fold_words(text) in _PLACEHOLDERS:
        return None
    text = _GLUED_ABBREVIATION.sub(r"\1. ", text)
    upper = text.isupper() and len(text) > 4
    text = title_case(text)
    return " ".join(_ABBREVIATION.sub(lambda m: _expand(m, text, upper), text).split())


def _own_words(words: str) -> str:
    """Cut the part of a folded title that describes another person ("Assistant to the CEO")."""
    other = _OTHER_PERSON.search(words)
    words = words[: other.start()].strip() if other else words
    serves = _SERVES.search(words)
    return words[: serves.end()] if serves else words


def _word_before(words: str, start: int) -> str:
    """The word that ends just before index `start` of `words`, or ""."""
    head = words[:start].split()
    return head[-1] if head else ""


def _word_after(words: str, end: int) -> str:
    """The word that starts just after index `end` of `words`, or ""."""
    tail = words[end:].split()
    return tail[0] if tail else ""


def _is_owner(words: str) -> bool:
    """Founders and owners, but not "Product Owner" nor "Founding Engineer"."""
    if _rx(vocab.OWNER_WORDS).search(words):
        return True
    return any(
        _word_before(words, m.start()) not in vocab.ROLE_OWNERS
        for m in re.finditer(r"\bowner\b", words)
    )


def _is_partner(words: str) -> bool:
    """Partner as a rank ("Audit Partner"), not a job name ("HR Business Partner")."""
    return any(
        _word_before(words, m.start()) not in vocab.PARTNER_JOB_PREV
        and _word_after(words, m.end()) not in vocab.PARTNER_JOB_NEXT
        for m in _rx(vocab.PARTNER_WORDS).finditer(words)
    )


def _is_cxo(words: str) -> bool:
    """C-suite acronyms, "Chief … Officer", presidents and their non-English equivalents."""
    if _cxo_acronyms(words) or re.search(r"\bchief\b(?! of staff)(?: \w+){0,4}? officer\b", words):
        return True
    return any(
        not re.search(vocab.VICE, words[: m.start()]) for m in _rx(vocab.CXO_WORDS).finditer(words)
    )


def _lead_rank(words: str) -> str | None:
    """Rank implied by "lead": Senior before an individual-contributor noun, else Manager."""
    level = None
    for m in re.finditer(r"\blead\b(?! (?:generation|gen|qualification|nurturing)\b)", words):
        following = words[m.end() :].split()[:2]
        tech = _word_before(words, m.start()) in {"tech", "technical"}
        if tech or any(word in vocab.IC_NOUNS for word in following):
            level = level or "Senior"
        else:
            return "Manager"
    return level


def _is_unpaid(words: str) -> bool:
    """Volunteers and unpaid roles, but not paid jobs that manage volunteers."""
    return bool(_rx(vocab.UNPAID_WORDS).search(words)) and not re.search(
        vocab.VOLUNTEER_JOBS, words
    )


def _matches(pattern: str) -> Callable[[str], bool]:
    """A predicate that is true when `pattern` occurs in a folded title."""
    return lambda words: bool(_rx(pattern).search(words))


#: Seniority tests in priority order; the first that holds gives the level.
_LEVELS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("Unpaid", _is_unpaid),
    ("CXO", _is_cxo),
    ("Owner", _is_owner),
    ("Partner", _is_partner),
    ("VP", _matches(vocab.VP_WORDS)),
    ("Director", _matches(vocab.DIRECTOR_WORDS)),
    ("Training", _matches(vocab.TRAINING_WORDS)),
    ("Manager", lambda w: _matches(vocab.MANAGER_WORDS)(w) or _lead_rank(w) == "Manager"),
    ("Senior", lambda w: _matches(vocab.SENIOR_WORDS)(w) or _lead_rank(w) == "Senior"),
)


@lru_cache(maxsize=512)
def _rx(pattern: str) -> re.Pattern[str]:
    """Compile a vocabulary pattern once."""
    return re.compile(pattern)


def _cxo_acronyms(words: str) -> list[str]:
    """The C-suite acronyms in a folded title, in order."""
    return [w for w in words.split() if w in vocab.CXO_FUNCTIONS]


def seniority_of(words: str) -> str:
    """LinkedIn seniority for a folded title; "Entry" when no rank word is present."""
    return next((level for level, test in _LEVELS if test(words)), "Entry")


def _ranked_function(words: str) -> tuple[int, str] | None:
    """The function of a folded title with its tier (0 for a C-suite acronym), or None."""
    for acronym in _cxo_acronyms(words):
        function = vocab.CXO_FUNCTIONS[acronym]
        if function:
            return 0, function
    best: tuple[int, int, int, str] | None = None
    for tier, function, pattern in functions.FAMILIES:
        found = _rx(pattern).search(words)
        if found:
            key = (tier, found.start(), found.start() - found.end(), function)
            best = key if best is None or key < best else best
    return (best[0], best[3]) if best else None


def function_of(words: str) -> str | None:
    """LinkedIn job function for a folded title, or None when no keyword says which.

    A C-suite acronym's letter decides first (CTO → Engineering); then the best tier of
    `pipeline.title_functions`, the earliest and then the longest match within it.
    """
    ranked = _ranked_function(words)
    return ranked[1] if ranked else None


def _function(cleaned: str, words: str) -> str | None:
    """The function of a cleaned title, where a department after a comma names the field.

    "Managing Partner, Corporate Law" is Legal and "Intern, Finance" is Finance: the part
    after the first comma (or dash, or bar) wins when it says more than the rank before it,
    that is when its best keyword is of a stronger tier than the head's.
    """
    head, *rest = _DEPARTMENT.split(cleaned, maxsplit=1)
    department = rest[0] if rest else ""
    if not department.strip() or not head.strip():
        return function_of(words)
    own = _ranked_function(_own_words(fold_words(head)))
    field = _ranked_function(_own_words(fold_words(department)))
    if field is not None and (own is None or field[0] < own[0]):
        return field[1]
    return function_of(words)


@lru_cache(maxsize=65536)
def classify_title(title: str | None) -> TitleMatch:
    """Clean a job title and place it on LinkedIn's seniority levels and job functions.

    Fields are None when the title is empty or says nothing (a placeholder).
    """
    cleaned = clean_title(title)
    if cleaned is None:
        return TitleMatch(cleaned_job_title=None, seniority_level=None, job_function=None)
    words = _own_words(fold_words(cleaned))
    return TitleMatch(
        cleaned_job_title=cleaned,
        seniority_level=seniority_of(words),
        job_function=_function(cleaned, words),
    )
