"""Does a PT-BR text mention an entity: a category ("cama_mesa_banho" as "cama, mesa e banho"), a
state ("SP" or "São Paulo"), a month ("2017-05" as "maio de 2017" or "05/2017"), or any name;
and where it first does (to read which of several candidates an answer names first)."""
from __future__ import annotations

import re
from functools import lru_cache

from rewards.parsing import fold, words
from schemas.brazil import MONTHS_PT, STATE_NAMES

STATES = {uf.lower(): fold(name) for uf, name in STATE_NAMES.items()}
MONTHS = tuple(fold(m) for m in MONTHS_PT)
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_CONNECTORS = frozenset({"e", "de", "da", "do", "das", "dos", "para", "a", "o"})
_TOKEN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=4096)
def _spellings(entity: str) -> tuple[tuple[str, ...], ...]:
    """Word sequences (folded) that count as a mention of `entity`."""
    folded = fold(entity).strip()
    m = _YEAR_MONTH.match(folded)
    if m:
        year, month = m.group(1), int(m.group(2))
        name = MONTHS[month - 1] if 1 <= month <= 12 else ""
        return ((year, f"{month:02d}"), (f"{month:02d}", year), (str(month), year), (name, "de", year),
                (name, year), (name[:3], year))
    forms = [tuple(words(folded))]
    if folded in STATES:
        forms.append(tuple(STATES[folded].split()))
    reduced = tuple(w for w in forms[0] if w not in _CONNECTORS)
    if reduced and reduced != forms[0]:
        forms.append(reduced)
    return tuple(f for f in forms if f)


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def mentions(text: str, entity: str) -> bool:
    """True when `text` names `entity` as a run of words (accents and case ignored); a
    multi-word category also counts when its words appear joined by connectors ("cama, mesa e
    banho" for "cama_mesa_banho")."""
    text_words = tuple(words(text))
    content = tuple(w for w in text_words if w not in _CONNECTORS)
    return any(_contains(text_words, form) or _contains(content, form) for form in _spellings(entity))


def _first_run(tokens: list[str], needle: tuple[str, ...]) -> int | None:
    n = len(needle)
    return next((i for i in range(len(tokens) - n + 1) if tuple(tokens[i:i + n]) == needle), None)


def first_position(text: str, entity: str) -> int | None:
    """The index of the first word of `text` where `entity` is named, or None.

    Like `mentions`, except that a state's two-letter code counts only written in capitals as a
    word of its own ("SE" is Sergipe, "se" is a pronoun)."""
    raw = [m.group(0) for m in _TOKEN.finditer(text)]
    tokens = [fold(t) for t in raw]
    content_idx = [i for i, t in enumerate(tokens) if t not in _CONNECTORS]
    content = [tokens[i] for i in content_idx]
    code = entity.strip()
    hits = []
    if code.upper() == code and code.lower() in STATES:
        hits += [i for i, t in enumerate(raw) if t == code][:1]
        forms = (tuple(STATES[code.lower()].split()),)
    else:
        forms = _spellings(entity)
    for form in forms:
        at = _first_run(tokens, form)
        if at is not None:
            hits.append(at)
        at = _first_run(content, form)
        if at is not None:
            hits.append(content_idx[at])
    return min(hits) if hits else None


def word_positions(text: str, spellings: frozenset[str]) -> int | None:
    """The index of the first word of `text` (folded) that is one of `spellings`, or None."""
    return next((i for i, m in enumerate(_TOKEN.finditer(text)) if fold(m.group(0)) in spellings), None)
