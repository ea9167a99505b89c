"""Reading model output: the answer behind <think> blocks, the JSON object it answers with (fenced,
bare or inside prose; damaged or cut off), and Brazilian-Portuguese notation of numbers ("4,5",
"1.234,56", "1,2 mil"), booleans (sim/não) and labels.

Every reward reads answers through this one module, so that a right answer is never punished for
its notation and a wrong one is never paid for a lucky reading. Nothing here raises on arbitrary
text: what cannot be read is None.

How a JSON answer is read (`extract_json_object`); the rules a careful reader applies:

1. Answer text: what follows the last `</think>`. A `<think>` never closed opens reasoning, not an
   answer: what follows it is dropped (a completion cut off while thinking has no answer).
2. Objects: every JSON object in the answer counts, wherever it sits (a ```json fence, bare, inside
   prose); braces inside strings belong to the string, and a prose brace that opens no object
   (`{nome}`) is skipped.
3. The answer is the last complete object holding at least one expected key with a real value (a
   draft followed by its correction: the correction counts); a complete object beats a later
   truncated one. Objects without an expected key (`{}`, metadata like `{"modelo": "x"}`) are not
   answers, nor is a format example echoed from the prompt: placeholders (`"<número de -1 a 1>"`,
   `"positivo|neutro|negativo"`, `true ou false`, `"..."`) are not values (`is_placeholder`, plus
   what the caller's `keep` rejects), and an object holding nothing else is no answer.
4. Wrappers: an object with no expected key of its own is looked into, two levels deep: the one
   object it wraps (`{"resposta": {...}}`, `{"analise": {...}}`, a one-item list, a JSON string).
5. Lexical repairs, outside strings only: trailing, doubled and missing commas; single, curly and
   mismatched quotes; bare keys; bare one-word values; Python/JS literals (True, False, None,
   undefined, NaN -> null); // # /* */ comments; a `]` closing an object; JSON encoded twice
   (`"{\"a\": 1}"`).
6. Notation, not damage (format credit stays full): decimal commas in values (`"score": 4,5`,
   `0,8`), thousands separators (`1.234,56`), every Unicode minus or dash used as a sign (U+2212,
   U+2010-2015, U+FE63, U+FF0D: `−0,8` is -0.8; a sign is never dropped), bare sim/não,
   verdadeiro/falso. Arrays keep JSON's commas (`[1,2,3]`).
7. Truncation: only members whose values are complete are kept; a half-written value never is: a
   string without its closing quote, a bare word at the very end (`fal`), a number at the very end
   or followed only by a comma (`0,` may be the start of `0,8`). A nested object keeps its complete
   members.
8. Types: values come back as written (after notation). Coercion to a field's type is done in one
   place, `rewards.fields.FieldSpec.coerce`, with `coerce_bool` (sim/não, verdadeiro/falso,
   "true"/"false", 1/0), `parse_number` (numbers, numeric strings in PT-BR or EN notation) and
   `coerce_label`; a value that cannot be coerced is a wrong field, never an error.

Quality (the format stage): 1.0 for an object written as valid JSON (rule 6 allowed), 0.5 when it
needed a repair of rule 5 or was truncated, 0.0 when no answer was found.
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Collection, NamedTuple

import orjson

# --- answer text ---------------------------------------------------------------------------------

_FENCE_LANGS = frozenset({"json", "sql", "duckdb", "postgresql", "postgres", "sqlite", "mysql", "psql", "text", "md"})


def strip_think(text: str) -> str:
    """The answer part of a completion: what follows the last `</think>` (a closed block, or a
    chat template that opened it in the prompt); an unclosed `<think>` drops the rest (it is
    reasoning, not an answer)."""
    if "think>" not in text and "THINK>" not in text and "Think>" not in text:
        return text.strip()
    low = text.lower()
    close = low.rfind("</think>")
    if close >= 0:
        text, low = text[close + len("</think>"):], low[close + len("</think>"):]
    start = low.find("<think>")
    if start >= 0:
        text = text[:start]
    return text.strip()


@dataclass(frozen=True)
class Fence:
    lang: str   # lower-case info string ("json", "sql", "" when none)
    body: str


def code_fences(text: str) -> list[Fence]:
    """Fenced blocks in order; an unterminated last fence (a truncated completion) counts too,
    and so does a one-line fence ("```sql SELECT 1```")."""
    fences: list[Fence] = []
    pos = 0
    while True:
        start = text.find("```", pos)
        if start < 0:
            return fences
        head = start + 3
        close = text.find("```", head)
        newline = text.find("\n", head)
        if close >= 0 and (newline < 0 or close < newline):  # one line
            lang, _, rest = text[head:close].strip().partition(" ")
            if lang.lower() in _FENCE_LANGS:
                fences.append(Fence(lang.lower(), rest.strip()))
            else:
                fences.append(Fence("", text[head:close].strip()))
            pos = close + 3
            continue
        if newline < 0:
            return fences
        info = text[head:newline].strip().split()
        body_end = text.find("```", newline + 1)
        body = text[newline + 1:body_end] if body_end >= 0 else text[newline + 1:]
        fences.append(Fence(info[0].lower() if info else "", body.strip()))
        if body_end < 0:
            return fences
        pos = body_end + 3


# --- text normalization --------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_WORD = re.compile(r"[0-9a-z]+")
_LABEL_STOPWORDS = frozenset({"a", "o", "as", "os", "de", "da", "do", "das", "dos", "na", "no",
                              "nas", "nos", "em", "e", "com", "ao", "aos", "pelo", "pela"})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents ("Não" -> "nao"), for comparisons only."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def readability(text: str) -> float:
    """1.0 for ordinary prose, towards 0 for degenerate output (few distinct words, run-on junk).

    Free-text rewards scale by it so that length, sentence count or vacuous precision never pay
    for a repeated token, the usual failure of a small model.
    """
    tokens = words(text)
    if not tokens:
        return 0.0
    distinct = len(set(tokens)) / len(tokens)
    junk = sum(len(t) > 30 for t in tokens) / len(tokens)
    return max(0.0, min(1.0, distinct / 0.35) - junk)


@lru_cache(maxsize=16384)
def normalize_label(value: str) -> str:
    """A category label in canonical form: "Produto não recebido" -> "produto_nao_recebido",
    "Atraso na entrega" -> "atraso_entrega" (accents, case, separators and PT stop words)."""
    tokens = [t for t in _NON_ALNUM.split(fold(value)) if t]
    kept = [t for t in tokens if t not in _LABEL_STOPWORDS] or tokens
    return "_".join(kept)


def coerce_label(value: Any, choices: tuple[str, ...], aliases: dict[str, str] | None = None) -> str | None:
    """Map a model's label onto one of `choices` (already canonical), or None."""
    if not isinstance(value, str):
        return None
    label = normalize_label(value)
    if aliases and label in aliases:
        label = aliases[label]
    return label if label in choices else None


# --- booleans ------------------------------------------------------------------------------------

_TRUE = frozenset({"true", "sim", "verdadeiro", "verdadeira", "yes", "s", "v", "1"})
_FALSE = frozenset({"false", "nao", "falso", "falsa", "no", "n", "f", "0"})


def coerce_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        key = fold(value.strip().strip(".!"))
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    return None


# --- numbers -------------------------------------------------------------------------------------

# Every character a writer may use for a minus sign: ASCII, Unicode minus, hyphens and dashes
# (U+2010-2015), small and full-width hyphen-minus. Read as a sign wherever it precedes a digit.
MINUS_SIGNS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"

# One numeric token: digits with optional "." / "," groups; scale words and % are read after it.
_NUMBER_TOKEN = re.compile(
    r"(?<![\w.,])([-+\u2010-\u2015\u2212\ufe63\uff0d]?)(\d+(?:[.,]\d+)*)(?:\s*(%|por\s*cento|mil\b|milh(?:ão|ao|ões|oes)\b|mi\b"
    r"|bilh(?:ão|ao|ões|oes)\b|bi\b|k\b))?",
    re.I,
)
_SCALE = {"mil": 1e3, "k": 1e3, "mi": 1e6, "bi": 1e9}


def _scale_of(word: str | None) -> float:
    if not word:
        return 1.0
    w = fold(word)
    if w.startswith("milh"):
        return 1e6
    if w.startswith("bilh"):
        return 1e9
    return _SCALE.get(w, 1.0)


@dataclass(frozen=True)
class Reading:
    """One way to read a written number: its value, the decimals written, and the value of one
    unit in the last digit written ("1,2 mil" -> 100.0), i.e. the precision the writer chose."""

    value: float
    decimals: int
    resolution: float = 1.0

    @property
    def scaled(self) -> bool:
        return self.resolution != 10.0 ** -self.decimals


def _digit_readings(body: str) -> tuple[Reading, ...]:
    """Readings of an unsigned token such as "1.234,56" (PT-BR), "1,234.56" (EN), "4,5", "1.234".

    The last separator is the decimal one when both kinds occur; a lone comma is decimal
    (Portuguese); repeated same separators are thousands; a lone dot with three digits after
    a non-zero integer part is ambiguous ("1.234") and yields both readings, thousands first.
    """
    dots, commas = body.count("."), body.count(",")
    if not dots and not commas:
        return (Reading(float(body), 0),)
    if dots and commas:
        dec = "," if body.rfind(",") > body.rfind(".") else "."
        thousands = "." if dec == "," else ","
        if body.count(dec) > 1:
            return ()
        int_part, frac = body.split(dec)
        return (Reading(float(int_part.replace(thousands, "") + "." + frac), len(frac)),)
    sep = "," if commas else "."
    parts = body.split(sep)
    if len(parts) > 2:  # "1.234.567" / "1,234,567"
        if all(len(p) == 3 for p in parts[1:]):
            return (Reading(float("".join(parts)), 0),)
        return ()
    int_part, frac = parts
    decimal = Reading(float(int_part + "." + frac), len(frac))
    if sep == "." and len(frac) == 3 and int_part.lstrip("0"):
        return (Reading(float(int_part + frac), 0), decimal)
    return (decimal,)


def number_readings(text: str) -> tuple[Reading, ...]:
    """All plausible readings of the first number written in `text` ("R$ 1.234,56", "12,5%")."""
    m = _NUMBER_TOKEN.search(text)
    return _readings(m) if m else ()


def _readings(m: re.Match) -> tuple[Reading, ...]:
    sign = -1.0 if m.group(1) and m.group(1) != "+" else 1.0
    scale = _scale_of(m.group(3))
    try:
        readings = _digit_readings(m.group(2))
    except (ValueError, OverflowError):
        return ()
    out = []
    for r in readings:
        value = sign * r.value * scale
        if math.isfinite(value):
            out.append(Reading(value, r.decimals, scale * 10.0 ** -r.decimals))
    return tuple(out)


def numbers_in_text(text: str) -> list[tuple[Reading, ...]]:
    """The readings of every number written in a text, in order."""
    out = []
    for m in _NUMBER_TOKEN.finditer(text):
        readings = _readings(m)
        if readings:
            out.append(readings)
    return out


def parse_number(value: Any) -> float | None:
    """A finite float from a JSON value: numbers as is, strings in PT-BR or EN notation
    ("4,5", "1.234,56", "50%" stays 50). None when it is not one number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, str):
        s = value.strip().removeprefix("R$").strip()
        if s[:1] in MINUS_SIGNS and s[1:2] == " ":  # "− 0,8": a sign set apart is still a sign
            s = s[0] + s[2:].lstrip()
        m = _NUMBER_TOKEN.fullmatch(s)
        if m is None:
            return None
        readings = _readings(m)
        return readings[0].value if readings else None
    return None


# --- JSON answers --------------------------------------------------------------------------------
# A lenient reader for one JSON object at a time (rules 2 and 5-7 of the module docstring), then the
# choice of the answer among the objects of a text (rules 3-4). Strict JSON goes through the C
# decoders first; the reader below only runs on text they reject.

_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e\u201a"
_ANY_QUOTE = re.compile("[" + _QUOTES + "]")
_DQ_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
_WS = re.compile(r"(?:\s+|//[^\n]*|#[^\n]*|/\*.*?(?:\*/|\Z))*", re.S)
_WS_START = frozenset(" \t\r\n/#\x0b\x0c\u00a0")
_AFTER_KEY = re.compile(r"\s*:")
_PLAIN_KEY = re.compile(r'"([^"\\\n]*)"[ \t]*:')                       # no escapes, no damage
_PLAIN_STRING = re.compile(r'"([^"\\\n]*)"(?=[ \t\r]*(?:[,}\]\n]|$))')
_AFTER_VALUE = re.compile(r"[ \t\r]*(?:[,}\]\n]|$|//|#|/\*)|[ \t]+(?=[\"'\u201c\u2018])")  # or a missing comma
_BARE_KEY = re.compile(r"(?:(?!\d)\w)[\w\- ]{0,60}")
_BARE_VALUE = re.compile(r"[^,}\]\n]*")
_SIGN = "[-+\u2010-\u2015\u2212\ufe63\uff0d]"
# In an object member, a comma between digits is a decimal comma ("4,5", "1.234,56"); in an array
# it separates elements ([1,2,3]), so elements are read as JSON numbers only.
_MEMBER_NUMBER = re.compile(
    rf"(?:({_SIGN})[ \t]?)?(\d{{1,3}}(?:\.\d{{3}})+,\d+|\d+,\d+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+)"
    r"(?![\w.]|,\d)")
_ELEMENT_NUMBER = re.compile(rf"(?:({_SIGN})[ \t]?)?(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+)(?![\w.])")
_LITERALS: dict[str, Any] = {  # bare words (case-folded) read as values
    "true": True, "false": False, "null": None, "none": None, "undefined": None, "nil": None, "nan": None,
    "sim": True, "nao": False, "verdadeiro": True, "verdadeira": True, "falso": False, "falsa": False,
}
_NOTATION_WORDS = frozenset({"true", "false", "null", "sim", "não", "nao", "verdadeiro", "verdadeira", "falso",
                             "falsa", "Sim", "Não", "Nao", "Verdadeiro", "Verdadeira", "Falso", "Falsa"})
_MISSING = object()       # a member written without a value ("a": ,): dropped
_MAX_DEPTH = 24
_MAX_STARTS = 64          # braces tried per text, and the text read: bound the work on hostile input
_MAX_CHARS = 32_000
_MAX_LITERALS = 8         # JSON string literals decoded per text (JSON encoded twice)
_MAX_REWRITES = 64        # notation rewrites tried per object


class _Fail(Exception):
    """The text at this brace is not an object."""


class _Reader:
    """Reads one object at a brace, with the lexical repairs of rule 5; `repaired` records whether
    any was needed. Returns (value, end, complete): an incomplete value is one cut off by the end of
    the text, and an object drops it (rule 7)."""

    __slots__ = ("text", "n", "repaired")

    def __init__(self, text: str) -> None:
        self.text, self.n, self.repaired = text, len(text), False

    def ws(self, i: int) -> int:
        if i < self.n and self.text[i] not in _WS_START:
            return i
        end = _WS.match(self.text, i).end()
        if not self.repaired and ("/" in self.text[i:end] or "#" in self.text[i:end]):
            self.repaired = True          # a comment
        return end

    def object(self, i: int, depth: int) -> tuple[dict, int, bool]:
        if depth > _MAX_DEPTH:
            raise _Fail
        text, n = self.text, self.n
        out: dict[str, Any] = {}
        i = self.ws(i + 1)
        expect_member = True          # after "{" or ","
        while True:
            if i >= n:
                return out, n, False
            c = text[i]
            if c == "}" or c == "]":
                if c == "]" or (expect_member and out):
                    self.repaired = True  # a "]" closing an object, a trailing comma
                return out, i + 1, True
            if c == ",":
                if expect_member:
                    self.repaired = True  # ",," or "{,"
                i, expect_member = self.ws(i + 1), True
                continue
            if not expect_member:
                self.repaired = True      # a missing comma between members
            fast = _PLAIN_KEY.match(text, i)
            if fast is not None:          # "key": , the common case in one step
                key, i = fast.group(1), self.ws(fast.end())
            else:
                key, i, complete = self.key(i)
                if not complete:
                    return out, n, False
                i = self.ws(i + 1)        # past the colon
            if i >= n:
                return out, n, False
            value, i, complete = self.value(i, depth, True)
            if not complete:
                if isinstance(value, dict) and value:
                    out[key] = value      # a nested object keeps its complete members
                return out, n, False
            if value is _MISSING:
                self.repaired = True
            else:
                out[key] = value
            i, expect_member = self.ws(i), False

    def array(self, i: int, depth: int) -> tuple[list, int, bool]:
        if depth > _MAX_DEPTH:
            raise _Fail
        text, n = self.text, self.n
        out: list[Any] = []
        i = self.ws(i + 1)
        expect_item = True
        while True:
            if i >= n:
                return out, n, False
            c = text[i]
            if c == "]" or c == "}":
                if c == "}" or (expect_item and out):
                    self.repaired = True
                return out, i + 1, True
            if c == ",":
                if expect_item:
                    self.repaired = True
                i, expect_item = self.ws(i + 1), True
                continue
            if not expect_item:
                self.repaired = True
            value, i, complete = self.value(i, depth, False)
            if not complete:
                return out, n, False
            if value is not _MISSING:
                out.append(value)
            i, expect_item = self.ws(i), False

    def key(self, i: int) -> tuple[str, int, bool]:
        """A member's key; the index returned is that of its colon."""
        text = self.text
        if text[i] in _QUOTES:
            key, j, complete = self.string(i, _AFTER_KEY)
        else:
            m = _BARE_KEY.match(text, i)
            if m is None:
                raise _Fail
            key, j, complete = m.group().strip(), m.end(), m.end() < self.n
            self.repaired = True
        if not complete:
            return "", self.n, False
        colon = _AFTER_KEY.match(text, j)
        if colon is None:
            if self.ws(j) >= self.n:
                return "", self.n, False
            raise _Fail
        return key, colon.end() - 1, True

    def value(self, i: int, depth: int, member: bool) -> tuple[Any, int, bool]:
        text = self.text
        c = text[i]
        if c == "{":
            return self.object(i, depth + 1)
        if c == "[":
            return self.array(i, depth + 1)
        if c in _QUOTES:
            fast = _PLAIN_STRING.match(text, i) if c == '"' else None
            if fast is not None:
                return fast.group(1), fast.end(), True
            return self.string(i, _AFTER_VALUE)
        m = (_MEMBER_NUMBER if member else _ELEMENT_NUMBER).match(text, i)
        if m is not None:
            read = self.number(m)
            if read is not None:
                return read
        return self.bare(i)

    def number(self, m: re.Match) -> tuple[Any, int, bool] | None:
        """A number, if what follows ends a value; None when it is the start of bare text ("80%")."""
        text, n = self.text, self.n
        end = m.end()
        after = self.ws(end)
        if after >= n:
            if after == end:
                return None, n, False     # the number may go on ("0.8" of "0.85")
        elif text[after] == ",":
            if after + 1 >= n:
                return None, n, False     # "0," may be the start of "0,8"
        elif text[after] not in "}]" and not (after > end and text[after] in _QUOTES):
            return None
        sign, body = m.group(1), m.group(2)
        if body[0] == "." or sign == "+":
            self.repaired = True
        try:
            if "," in body:
                value: float | int = float(body.replace(".", "").replace(",", "."))
            elif "." in body or "e" in body or "E" in body:
                value = float(body)
            else:
                value = int(body)
        except ValueError:            # an integer too long to convert
            return None
        return (-value if sign and sign != "+" else value), end, True

    def bare(self, i: int) -> tuple[Any, int, bool]:
        """An unquoted value: a literal of rule 5 or 6, else a bare word kept as a string."""
        m = _BARE_VALUE.match(self.text, i)
        end = m.end()
        word = m.group()
        for marker in (" //", " #", "/*"):
            cut = word.find(marker)
            if cut >= 0:
                word = word[:cut]
        word = word.strip()
        if not word:
            return _MISSING, end, end < self.n
        key = fold(word)
        if key in _LITERALS:
            if word not in _NOTATION_WORDS:
                self.repaired = True      # Python/JS literals: True, None, undefined, ...
            return _LITERALS[key], end, True
        self.repaired = True
        if end >= self.n:
            return None, self.n, False  # a bare word at the very end may be cut ("negat")
        return word, end, True

    def string(self, i: int, after: re.Pattern) -> tuple[str, int, bool]:
        """A quoted string: strict JSON first, else closed by the first quote mark of any kind that
        is followed by what may follow it (single, curly and mismatched quotes)."""
        text = self.text
        if text[i] == '"':
            m = _DQ_STRING.match(text, i)
            if m is not None and after.match(text, m.end()):
                body = m.group(1)
                return (_unescape(body) if "\\" in body else body), m.end(), True
        q = _ANY_QUOTE.search(text, i + 1)
        if q is None:
            return "", self.n, False        # never closed: cut off mid-string
        while q is not None:
            j = q.start()
            if text[j - 1] != "\\":
                if after.match(text, j + 1):
                    self.repaired = True
                    return _unescape(text[i + 1:j]), j + 1, True
                if self.ws(j + 1) >= self.n:
                    return "", self.n, False  # a key cut off before its colon
            q = _ANY_QUOTE.search(text, j + 1)
        raise _Fail                         # quotes that close nothing: not a string we can read


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    try:
        return _STRICT_STRING.decode('"' + body.replace("\\'", "'") + '"')
    except ValueError:
        return body.replace("\\'", "'").replace('\\"', '"')


_STRICT_STRING = json.JSONDecoder(strict=False)
_DECODER = json.JSONDecoder()
_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


class FoundObject(NamedTuple):
    """An object read from a text: complete (its closing brace was reached) and clean (valid JSON,
    notation of rule 6 allowed) or not, and where it lies in the text."""

    value: dict[str, Any]
    complete: bool
    clean: bool
    start: int = 0
    end: int = 0


# Rule 6 notation rewritten as JSON ahead of the C decoder: the fast path for the common PT-BR
# answer. Only values that need it match (a decimal comma, a sign other than "-", a spaced sign,
# a bare sim/não); one inside a string is left alone. Whatever this cannot make valid is left to
# `_Reader`, which reads the same notation.
_NON_ASCII_SIGN = "[\u2010-\u2015\u2212\ufe63\uff0d]"
_NOTATION = re.compile(  # starts with a literal colon, which the regex engine scans for fast
    rf":([ \t]*)(?:(?:({_NON_ASCII_SIGN})[ \t]?|(-)[ \t]|(-?))"
    r"(\d{1,3}(?:\.\d{3})+,\d+|\d+,\d+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?=\s*[,}\]])"
    r"|(sim|n[ãa]o|verdadeir[oa]|fals[oa])(?=\s*[,}\]]))",
    re.I,
)


def _with_json_notation(text: str, start: int) -> tuple[str, list[tuple[int, int]]] | None:
    """text[start:] with rule 6 notation written as JSON, and (index in it, index in text) pairs
    after each rewrite to map positions back; None when there is nothing to rewrite."""
    pieces: list[str] = []
    marks: list[tuple[int, int]] = []
    last, length = start, 0
    quotes, counted = 0, start     # unescaped double quotes seen so far: odd inside a string
    for m in _NOTATION.finditer(text, start):
        colon = ":" + m.group(1)
        body = m.group(5)
        if body is not None:
            sign = m.group(2) or m.group(3) or m.group(4)
            if "," not in body and sign in ("", "-") and m.group(3) is None:
                continue                                      # JSON already
            number = body.replace(".", "").replace(",", ".") if "," in body else body
            replacement = colon + ("-" if sign else "") + number
        else:
            replacement = colon + ("false" if fold(m.group(6)).startswith(("n", "f")) else "true")
        quotes += text.count('"', counted, m.start()) - text.count('\\"', counted, m.start())
        counted = m.start()
        if quotes % 2 == 1:
            continue
        if len(marks) >= _MAX_REWRITES:
            return None
        pieces.append(text[last:m.start()])
        pieces.append(replacement)
        length += m.start() - last + len(replacement)
        last = m.end()
        marks.append((length, last))
    if not marks:
        return None
    pieces.append(text[last:])
    return "".join(pieces), marks


_NOTATION_AT_ERROR = frozenset("0123456789,-sSnNvVfF\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d")


def _object_at(text: str, i: int) -> FoundObject | None:
    try:
        value, end = _DECODER.raw_decode(text, i)
        if isinstance(value, dict):
            return FoundObject(value, True, True, i, end)
        error_at = None
    except json.JSONDecodeError as error:
        error_at = error.pos
    except (ValueError, RecursionError):
        error_at = None
    # the rewrite only where the strict decoder stopped at what notation may explain
    rewritten = _with_json_notation(text, i) if error_at is not None and text[error_at:error_at + 1] in \
        _NOTATION_AT_ERROR else None
    if rewritten is not None:
        fixed, marks = rewritten
        try:
            value, end = _DECODER.raw_decode(fixed, 0)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, dict):
            done = [(f, o) for f, o in marks if f <= end]
            original_end = done[-1][1] + end - done[-1][0] if done else i + end
            return FoundObject(value, True, True, i, original_end)
    reader = _Reader(text)
    try:
        value, end, complete = reader.object(i, 0)
    except (_Fail, RecursionError):
        return None
    return FoundObject(value, complete, complete and not reader.repaired, i, end)


def json_objects(text: str) -> list[FoundObject]:
    """Every top-level JSON object in `text`, in order (rules 2, 5-7). JSON encoded twice, as a
    string literal outside the objects found, is decoded and read too (never clean)."""
    found: list[FoundObject] = []
    if len(text) > _MAX_CHARS:
        text = text[-_MAX_CHARS:]  # an answer this long: its end, where the answer object is
    i = text.find("{")
    starts = 0
    while i >= 0 and starts < _MAX_STARTS:
        starts += 1
        obj = _object_at(text, i)
        if obj is None:
            i = text.find("{", i + 1)
            continue
        found.append(obj)
        if not obj.complete:
            break
        i = text.find("{", obj.end)
    if '\\"' in text:
        found = _twice_encoded(text, found)
    return found


def _twice_encoded(text: str, found: list[FoundObject]) -> list[FoundObject]:
    """Objects inside JSON string literals ("{\\"a\\": 1}") outside the objects already found."""
    extra: list[FoundObject] = []
    decoded = 0
    for m in _STRING_LITERAL.finditer(text):
        if "{" not in m.group() or any(f.start <= m.start() < f.end for f in found):
            continue
        decoded += 1
        if decoded > _MAX_LITERALS:
            break
        try:
            inner = json.loads(m.group())
        except ValueError:
            continue
        if isinstance(inner, str) and "{" in inner:
            extra += [FoundObject(f.value, f.complete, False, m.start(), m.end()) for f in json_objects(inner)]
    if not extra and not found:  # escaped quotes without the outer ones: {\"a\": 1}
        extra = [FoundObject(f.value, f.complete, False, f.start, f.end)
                 for f in json_objects(text.replace('\\"', '"'))]
    return sorted(found + extra, key=lambda f: f.start)


class ParsedJSON(NamedTuple):
    value: dict[str, Any] | None
    quality: float  # 1.0 valid JSON (rule 6 notation allowed), 0.5 repaired or truncated, 0.0 none


_NOTHING = ParsedJSON(None, 0.0)
Keep = Callable[[str, Any], bool]


def extract_json_object(completion: str, expected: Collection[str] | None = None,
                        keep: Keep | None = None) -> ParsedJSON:
    """The JSON object a completion answers with (rules 1-4), and how cleanly it was written.

    `expected`: the answer's keys (compared after `normalize_keys`); the object returned holds only
    those, with the values `keep(key, value)` accepts (placeholders rejected). Without `expected`,
    any non-empty object is an answer and is returned whole.
    """
    answer = strip_think(completion)
    names = expected if expected is None or isinstance(expected, frozenset) else frozenset(expected)
    if answer[:1] == "{" and answer[-1:] == "}":  # the whole answer one valid object: the hot path
        try:
            value = orjson.loads(answer)
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            value = _answer_in(value, names, keep, 0)
            return _NOTHING if value is None else ParsedJSON(value, 1.0)
    if "{" not in answer:
        return _NOTHING
    objects = json_objects(answer)
    truncated: ParsedJSON | None = None
    for found in reversed(objects):
        value = _answer_in(found.value, names, keep, 0)
        if value is None:
            continue
        if found.complete:
            return ParsedJSON(value, 1.0 if found.clean else 0.5)
        if truncated is None:
            truncated = ParsedJSON(value, 0.5)
    return truncated or _NOTHING


def _answer_in(obj: dict[str, Any], names: frozenset[str] | None, keep: Keep | None, depth: int) -> dict | None:
    """The answer an object holds: its own expected members, else those of the one object it wraps
    (a nested object or a string of JSON), looked into two levels deep (rule 4)."""
    if names is None:
        return obj or None
    if not names.issuperset(obj):
        obj = normalize_keys(obj)
    own = {k: v for k, v in obj.items() if k in names and (keep is None or keep(k, v))} if keep else \
        {k: v for k, v in obj.items() if k in names}
    if own or depth >= 2:
        return own or None
    inner = None
    for value in obj.values():
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, dict):
            candidate = _answer_in(value, names, keep, depth + 1)
        elif isinstance(value, str) and "{" in value:
            candidate = extract_json_object(value, names, keep).value
        else:
            continue
        if candidate is not None:
            inner = candidate
    return inner


_PLACEHOLDER = re.compile(r"\s*(?:<[^<>]*>|\{[^{}]*\}|\[[^\[\]]*\]|\.{2,}|…|_{2,}|\?+|x{1,4})\s*", re.I)
_PLACEHOLDER_HEADS = frozenset("<{[._?xX…")
_TYPE_WORDS = frozenset({"string", "str", "texto", "text", "number", "numero", "float", "int", "integer",
                         "bool", "boolean", "booleano", "valor", "value", "categoria", "label", "rotulo"})
_OPTION_SEPARATOR = re.compile(r"\s*(?:\||/|,|;|\bou\b|\bor\b)\s*")


def is_placeholder(value: Any) -> bool:
    """A value that stands for one (`"<texto>"`, `"..."`, `"string"`, `"{categoria}"`): what a format
    example holds, never an answer. Field kinds add their own (option lists, ranges)."""
    if not isinstance(value, str):
        return False
    head = value.lstrip()[:1]
    if head in _PLACEHOLDER_HEADS and _PLACEHOLDER.fullmatch(value):
        return True
    return len(value) <= 16 and fold(value.strip()) in _TYPE_WORDS


def options_listed(value: str) -> list[str]:
    """The alternatives of a value written as a list of options ("positivo|neutro|negativo",
    "true ou false", "sim/não"); [] when it is not one."""
    parts = [p for p in _OPTION_SEPARATOR.split(value.strip()) if p]
    return parts if len(parts) >= 2 else []


def normalize_keys(obj: dict[str, Any]) -> dict[str, Any]:
    """Keys compared the way labels are ("Sentiment Score" -> "sentiment_score"); first one wins."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(key, str):
            k = key if key.isidentifier() and key.islower() else "_".join(t for t in _NON_ALNUM.split(fold(key)) if t)
            out.setdefault(k, value)
    return out


def prose(completion: str) -> tuple[str, float]:
    """The text answer of a completion and how it was written: 1.0 plain text, 0.5 wrapped in a
    code fence or a JSON object (its string values are the text), 0.0 nothing."""
    answer = strip_think(completion)
    if answer.startswith("```"):
        body = "\n".join(f.body for f in code_fences(answer)).strip()
        return body, 0.5 if body else 0.0
    if answer.startswith("{"):
        parsed = extract_json_object(answer)
        if parsed.value:
            return "\n".join(v for v in parsed.value.values() if isinstance(v, str)).strip(), 0.5
    return answer, 1.0 if answer else 0.0
