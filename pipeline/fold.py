"""Case- and accent-insensitive keys for matching free text against vocabularies.

Titles and locations are compared on these keys, so "Kraków", "KRAKOW" and "krakow" meet,
and "Geschäftsführer" matches a pattern written as "geschaftsfuhrer".
"""

from __future__ import annotations

import re
import unicodedata

#: Letters that NFKD does not decompose into a base letter plus a combining mark.
_SPECIAL = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "ı": "i",
        "’": "'",
        "‘": "'",
        "–": "-",
        "—": "-",
    }
)

_NON_WORD = re.compile(r"(?:[^\w&+#]|_)+")
#: Combining diacritical marks (the accents NFKD splits off Latin, Greek and Cyrillic letters).
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lower-case `text`, drop accents and map special Latin letters to ASCII look-alikes.

    Non-Latin scripts are kept as they are (lower-cased), so Hangul or Cyrillic names
    still match their own spelling.
    """
    if text.isascii():
        return text.lower()
    lowered = unicodedata.normalize("NFKC", text).casefold().translate(_SPECIAL)
    stripped = _MARKS.sub("", unicodedata.normalize("NFKD", lowered))
    return unicodedata.normalize("NFC", stripped)


def fold_words(text: str) -> str:
    """Fold `text` and reduce it to single-space separated words (punctuation dropped).

    Underscores count as separators too; `&`, `+` and `#` are kept for "R&D", "C++", "C#".
    """
    return _NON_WORD.sub(" ", fold(text)).strip()
