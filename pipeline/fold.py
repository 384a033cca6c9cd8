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

_NON_WORD = re.compile(r"[^\w&+#]+")


def fold(text: str) -> str:
    """Lower-case `text`, drop accents and map special Latin letters to ASCII look-alikes.

    Non-Latin scripts are kept as they are (lower-cased), so Hangul or Cyrillic names
    still match their own spelling.
    """
    lowered = unicodedata.normalize("NFKC", text).casefold().translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def fold_words(text: str) -> str:
    """Fold `text` and reduce it to single-space separated words (punctuation dropped).

    Underscores count as separators too; `&`, `+` and `#` are kept for "R&D", "C++", "C#".
    """
    return " ".join(_NON_WORD.sub(" ", fold(text).replace("_", " ")).split())
