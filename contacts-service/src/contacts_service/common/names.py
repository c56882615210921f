"""Person names folded for comparison, and the phonetic keys that find them despite typos.

``name_keys`` is stored on every contact (derived with its other columns) and indexed, so
duplicate detection can ask "who sounds like this?" with an index probe instead of a scan:
"Katherine Johnson" and "Kathrine Jonson" share their Metaphone codes (K0RN, JNSN). Each
key tolerates a different mistake:

- ``p:`` both names by sound, in either order (swapped first and last names);
- ``l:`` the first name's initial and the last name by sound (any typo in the first name);
- ``f:`` the first name by sound and the last name's first three letters (a typo in the
  last name that changes its sound, as long as it is not in those letters).

Digits are kept as they are: "Test1" and "Test2" are numbered placeholders, not typos.
Changing how keys are built changes what is stored: it needs a migration that recomputes
``contacts.name_keys``, as ``2026-12-01_fuzzy_name_keys`` does.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jellyfish

_NOT_WORD = re.compile(r"[^0-9a-z]+")
_DIGITS = re.compile(r"[0-9]+")


@lru_cache(maxsize=65536)  # scans and imports fold the same names over and over
def fold(text: str | None) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed: 'José-M.' -> 'jose m'."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_NOT_WORD.sub(" ", bare).split())


def digits(word: str) -> str:
    return "".join(_DIGITS.findall(word))


@lru_cache(maxsize=65536)
def _sound(word: str) -> str:
    """The Metaphone code of a folded word's letters, then its digits."""
    return jellyfish.metaphone(_DIGITS.sub("", word)) + digits(word)


def name_keys(first_name: str | None, last_name: str | None) -> list[str]:
    """The blocking keys of a person's name (see the module docstring), sorted."""
    first_words = fold(first_name).split()
    first = first_words[0] if first_words else ""
    last = fold(last_name).replace(" ", "")
    sounds = sorted(s for s in (_sound(first), _sound(last)) if s)
    if not sounds:
        return []
    keys = {"p:" + " ".join(sounds)}
    if first and last:
        if _sound(last):
            keys.add(f"l:{first[0]}:{_sound(last)}")
        if _sound(first):
            keys.add(f"f:{_sound(first)}:{last[:3]}")
    return sorted(keys)
