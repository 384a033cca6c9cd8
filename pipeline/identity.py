"""Pure rules of company identity: which identifiers say two rows are one company.

A company is resolved on its identifiers in this order: normalised domain, normalised
LinkedIn company URL, provider org id (LinkedIn's numeric company id), normalised name.
The name key ignores case, accents' compatibility forms, punctuation and a trailing legal
form, so "Maybe-Consulting", "Maybe Consulting" and "maybe consulting GmbH" are one key.
"""

from __future__ import annotations

import re
import unicodedata

#: Identifier kinds in the order identity is resolved on them.
ORDER = ("domain", "linkedin", "org_id", "name")

_NOT_WORD = re.compile(r"[^\w]+")
#: Legal forms dropped from the end of a name before it is compared.
LEGAL_FORMS = frozenset(
    """inc incorporated llc l l c ltd limited corp corporation co company plc gmbh ag sa sas
    sarl bv nv as asa ab oy spa srl pty pte kg lp llp""".split()
)


def name_key(name: str | None) -> str | None:
    """The key two spellings of one company name share; None for a blank name."""
    if not name:
        return None
    folded = unicodedata.normalize("NFKC", name).casefold()
    words = [w for w in _NOT_WORD.sub(" ", folded).replace("_", " ").split() if w]
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words) or None


def org_id(value: object) -> str | None:
    """A provider org id as text ("12345"); None for blanks."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text if text and text.lower() not in {"null", "none", "undefined"} else None
