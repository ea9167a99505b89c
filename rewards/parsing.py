"""Reading model output: answers behind <think> blocks, in code fences or inside prose; damaged
JSON; Brazilian-Portuguese numbers ("4,5", "1.234,56", "1,2 mil"), booleans (sim/não) and labels.

Every reward goes through this one module so that a correct Portuguese answer is never punished
for its notation. Nothing here raises on arbitrary text: failures return None.
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import json_repair
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

# One numeric token: digits with optional "." / "," groups; scale words and % are read after it.
_NUMBER_TOKEN = re.compile(
    r"(?<![\w.,])([-+−]?)(\d+(?:[.,]\d+)*)(?:\s*(%|por\s*cento|mil\b|milh(?:ão|ao|ões|oes)\b|mi\b"
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
    sign = -1.0 if m.group(1) in ("-", "−") else 1.0
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
        m = _NUMBER_TOKEN.fullmatch(s)
        if m is None:
            return None
        readings = _readings(m)
        return readings[0].value if readings else None
    return None


# --- JSON ----------------------------------------------------------------------------------------

# A value right after "key": written the Portuguese way (tried at each colon). Digits in arrays
# ("[1,2,3]") do not follow a colon; colons inside JSON strings are skipped.
_PT_NUMBER_VALUE = re.compile(r"\s*(-?)(\d{1,3}(?:\.\d{3})+|\d+),(\d+)(?=\s*(?:[,}\]\n\r]|$))")
_PT_BOOL_VALUE = re.compile(r"\s*(sim|não|nao|verdadeiro|verdadeira|falso|falsa)\b", re.I)


def _inside_string(text: str, pos: int) -> bool:
    """Odd count of unescaped quotes before `pos`."""
    return (text.count('"', 0, pos) - text.count('\\"', 0, pos)) % 2 == 1


def fix_portuguese_json(text: str) -> str:
    """Rewrite PT-BR value notation that breaks JSON: `"score": 4,5` -> 4.5, `1.234,56` -> 1234.56,
    bare sim/não/verdadeiro/falso -> true/false. Arrays and string contents are left alone."""
    out: list[str] = []
    last = 0
    colon = text.find(":")
    while colon >= 0:
        nxt = colon + 1
        while text[nxt:nxt + 1] in (" ", "\t"):
            nxt += 1
        first = text[nxt:nxt + 1]
        number = _PT_NUMBER_VALUE.match(text, colon + 1) if first and first in "-0123456789" else None
        word = _PT_BOOL_VALUE.match(text, colon + 1) if first and first in "sSnNvVfF" else None
        if (number or word) and not _inside_string(text, colon):
            out.append(text[last:colon + 1])
            if number:
                sign, int_part, frac = number.groups()
                out.append(f" {sign}{int_part.replace('.', '')}.{frac}")
                last = number.end()
            else:
                truthy = fold(word.group(1)) in ("sim", "verdadeiro", "verdadeira")
                out.append(" true" if truthy else " false")
                last = word.end()
        colon = text.find(":", colon + 1)
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


@dataclass(frozen=True)
class ParsedJSON:
    value: dict[str, Any] | None
    quality: float  # 1.0 clean (after PT-BR notation), 0.5 had to be repaired, 0.0 nothing found


_NOTHING = ParsedJSON(None, 0.0)


def _loads_object(text: str) -> dict | None:
    """Strict JSON (no NaN, integers within 64 bits); anything looser is json_repair's job."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _json_candidates(answer: str) -> tuple[list[str], list[str]]:
    """Where a JSON object may sit, in the order to try when parsing cleanly and when repairing:
    fenced blocks (json first), then the text between the outer braces, and the text from the
    first brace to the end (a truncated object), which repair tries before the braces."""
    fenced = [f.body for f in sorted(code_fences(answer), key=lambda f: f.lang != "json") if "{" in f.body]
    start = answer.find("{")
    if start < 0:
        return fenced, fenced
    end = answer.rfind("}")
    bounded = [answer[start:end + 1]] if end > start else []
    tail = [answer[start:]] if end < len(answer) - 1 else []
    return fenced + bounded + tail, fenced + tail + bounded


_DECODER = json.JSONDecoder()


def _first_object(answer: str) -> dict | None:
    """A complete JSON object at the first brace, followed by anything ('{"a": 1} e {"b": 2}')."""
    start = answer.find("{")
    if start < 0:
        return None
    try:
        value, _ = _DECODER.raw_decode(answer, start)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) and all(map(_finite, value.values())) else None


def _finite(value: Any) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


def extract_json_object(completion: str) -> ParsedJSON:
    """The JSON object a completion answers with, and how cleanly it was written."""
    answer = strip_think(completion)
    if answer[:1] == "{" and answer[-1:] == "}":
        value = _loads_object(answer)
        if value is not None:
            return ParsedJSON(value, 1.0)
    clean_order, repair_order = _json_candidates(answer)
    fixed: dict[str, str] = {}
    for cand in clean_order:
        value = _loads_object(cand)
        if value is None:
            fixed[cand] = fix_portuguese_json(cand)
            value = _loads_object(fixed[cand]) if fixed[cand] is not cand else None
        if value is not None:
            return ParsedJSON(value, 1.0)
    value = _first_object(answer)
    if value is not None:
        return ParsedJSON(value, 1.0)
    for cand in repair_order:
        repaired = fixed[cand]
        value = _loads_object(close_truncated(repaired))  # the common damage, cheaply
        if value is None:
            try:
                value = json_repair.loads(repaired)
            except Exception:  # json_repair is best effort on hostile input  # noqa: BLE001
                continue
        if isinstance(value, dict) and value:
            return ParsedJSON(value, 0.5)
    return _NOTHING


_CLOSED_STRING = re.compile(r'"(?:\\.|[^"\\])*"')
_BRACKET = re.compile(r"[{}\[\]]")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def close_truncated(text: str) -> str:
    """JSON cut off mid-way (a completion that hit max tokens) closed again: an open string gets its
    quote, a dangling comma or colon is dropped, open objects and arrays are closed; trailing
    commas before a closer are removed. Other damage is left to json_repair."""
    skeleton = _CLOSED_STRING.sub("0", text)  # strings out of the way: brackets inside them are text
    quote = skeleton.find('"')                  # a quote left over opens a string that never closed
    open_string = quote >= 0
    if open_string:
        skeleton = skeleton[:quote]
    stack: list[str] = []
    for bracket in _BRACKET.findall(skeleton):
        if bracket in "{[":
            stack.append("}" if bracket == "{" else "]")
        elif stack and bracket == stack[-1]:
            stack.pop()
        else:
            return _TRAILING_COMMA.sub(r"\1", text)  # mismatched closer: not a truncation
    tail = text + '"' if open_string else text.rstrip()
    if tail.endswith(":"):
        tail += " null"
    tail = tail.rstrip(", \n\t")
    return _TRAILING_COMMA.sub(r"\1", tail + "".join(reversed(stack)))


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
