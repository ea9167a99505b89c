"""The reward self-test: the rewards must recognise a right answer however it is written, give
nothing for an answer with nothing in it, and rank every damaged version of a right answer lower.

Per record (the stage runs it on the benchmark and a sample of train):

- gold: the best answer (`render.oracle_answer`) scores >= GOLD_MIN. For churn that is the outcome
  stated with certainty: the reference answer (the SFT target) is a calibrated probability, scored by
  a proper rule against the outcome, so it cannot score 1; its mean task score is reported
  (`reference_task_mean`: how often the reference label is the outcome).
- repairs (JSON tasks, table REPAIRS): the best answer written the ways the parser reads (fences,
  prose, a <think> draft, two objects, wrappers, quotes, bare keys, literals, comments, decimal
  commas, every minus sign, sim/não, JSON encoded twice, ...) keeps full task credit
  (>= REPAIR_TASK_MIN); a repair that does not apply (no negative number to sign) is not counted.
  Other tasks' variants (TEXT_VARIANTS) keep reward >= VARIANT_MIN.
- unrecoverable (JSON tasks, table UNRECOVERABLE): `{}`, echoed format examples, metadata, an answer
  inside an unclosed <think> ... score 0 in every stage.
- truncation (JSON tasks): every prefix of the best answer: no value is read that the answer does
  not hold (never a half value), the task score never falls as the prefix grows, and a prefix with
  no complete field scores 0 in every stage.
- wrong (JSON tasks): a well-formed answer with every field wrong earns at most the format weight.
- corruptions (CORRUPTIONS): deterministic wrong versions score strictly below the gold.

Trivial answerers (`rewards.trivial`: the majority training answer, the best constant answer, the
empty answer, the prompt echo) are scored per task on each split given: their task score (aggregated
as the score stage does, `rewards.aggregate`: class-balanced for churn, field by field for
extraction) is a metric, and one above TRIVIAL_MAX (chance on a binary outcome) on at least
TRIVIAL_MIN_RECORDS records fails the test, listed under `data_warnings`: a constant that beats
chance is what GRPO would learn instead of the task. Exactly TRIVIAL_MAX is allowed: on a binary,
class-balanced outcome (churn) a constant always gets exactly 0.5, and a correct answer must still
score 1, so no data or scorer can put both constants below it. The LLM judge is never used here.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import rewards
from common.io import sha256_bytes
from rewards import sql_audit
from rewards.base import Options, finish, prompt_text
from rewards.fields import FieldSpec, JsonAnswer, text_similarity
from rewards.parsing import MINUS_SIGNS, fold
from rewards.render import gold_answer, oracle_answer
from schemas.tasks import COMPLAINT_CATEGORIES, LiveMapping, parse_truth, resolve, specs

GOLD_MIN = 0.99
VARIANT_MIN = 0.95
REPAIR_TASK_MIN = 0.99
TRIVIAL_MAX = 0.5
TRIVIAL_MIN_RECORDS = 20     # fewer records of a task in a split: figures reported, no warning
TRIVIAL_FLOOR_FAILS = True   # a constant above chance fails `dvc repro` (issue 10 item 4)
THINK = "<think>Vou ler o pedido com calma e responder no formato pedido.</think>\n"
_POLARITY_SWAP = {"positivo": "negativo", "negativo": "positivo", "neutro": "negativo"}
_WRONG_TEXTS = ("voltagem trocada", "boleto duplicado", "cupom recusado", "lacre violado")

# The JsonAnswer of each JSON task (`TaskSpec.answer`), whose field specs drive the tables below.
JSON_ANSWERS: Mapping[str, JsonAnswer] = LiveMapping(lambda: {s.name: resolve(s.answer) for s in specs() if s.is_json})


def _pick(record_id: str, options: list[str]) -> str:
    """A deterministic choice per record (stable across runs and machines)."""
    return options[int(sha256_bytes(record_id.encode())[:8], 16) % len(options)]


# --- the best answer -------------------------------------------------------------------------------

def best_answer(task: str, truth: Any) -> str:
    """The completion that must score 1.0: `render.oracle_answer` (the gold answer; for churn the
    outcome stated with certainty)."""
    return oracle_answer(task, truth)


def best_object(task: str, truth: Any) -> dict[str, Any]:
    """The best answer of a JSON task as a dict."""
    return json.loads(oracle_answer(task, truth))


# --- writing JSON by hand ----------------------------------------------------------------------------

def _json_number(value: float) -> str:
    return json.dumps(value)


def _pt_number(value: float) -> str:
    return repr(float(value)).replace(".", ",") if not float(value).is_integer() else str(int(value))


def write(obj: Mapping[str, Any], *, key: Callable[[str], str] = json.dumps,
          string: Callable[[str], str] = lambda s: json.dumps(s, ensure_ascii=False),
          number: Callable[[float], str] = _json_number, boolean: Callable[[bool], str] = lambda b: json.dumps(b),
          null: str = "null", sep: str = ", ", close: str = "}") -> str:
    """An object written member by member, so that each kind of value can take another spelling."""
    parts = []
    for name, value in obj.items():
        if isinstance(value, bool):
            text = boolean(value)
        elif isinstance(value, (int, float)):
            text = number(value)
        elif value is None:
            text = null
        elif isinstance(value, str):
            text = string(value) if value or null == "null" else null
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f"{key(name)}: {text}")
    return "{" + sep.join(parts) + close


def _one_word(value: str) -> bool:
    return bool(re.fullmatch(r"[\w]+", value))


def _minus(sign: str) -> Callable[[Mapping[str, Any]], str | None]:
    def written(obj: Mapping[str, Any]) -> str | None:
        if not any(isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0 for v in obj.values()):
            return None
        return write(obj, number=lambda v: sign + _pt_number(-v) if v < 0 else _pt_number(v))
    return written


def _curly(s: str) -> str:
    return "\u201c" + s + "\u201d"


def _has(kind: type | tuple[type, ...]) -> Callable[[Mapping[str, Any]], bool]:
    return lambda obj: any(isinstance(v, kind) and (kind is bool or not isinstance(v, bool)) for v in obj.values())


def _with_floats(obj: Mapping[str, Any]) -> bool:
    return any(isinstance(v, float) and not v.is_integer() for v in obj.values())


def _applies(test: Callable[[Mapping[str, Any]], bool], make: Callable[[Mapping[str, Any]], str]):
    return lambda obj: make(obj) if test(obj) else None


def _thousands(obj: Mapping[str, Any]) -> str | None:
    big = [k for k, v in obj.items() if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 1000]
    if not big:
        return None
    return write(obj, number=lambda v: f"{v:,.2f}".replace(",", "\0").replace(".", ",").replace("\0", "."))


def _empty_text_as(literal: str) -> Callable[[Mapping[str, Any]], str | None]:
    return _applies(lambda obj: any(v == "" for v in obj.values()), lambda obj: write(obj, null=literal))


# Each repair kind of the parser (rewards.parsing, rules 1-8): the best answer object written that
# way; None when the kind does not apply to this answer.
REPAIRS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "code_fence": lambda obj: f"Segue a análise:\n```json\n{json.dumps(obj, ensure_ascii=False)}\n```",
    "bare_fence": lambda obj: f"```\n{json.dumps(obj, ensure_ascii=False, indent=2)}\n```",
    "prose_around": lambda obj: (f"Claro! Analisei o caso com cuidado. {json.dumps(obj, ensure_ascii=False)} "
                                 "Qualquer dúvida, estou à disposição."),
    "think_prefix": lambda obj: THINK + json.dumps(obj, ensure_ascii=False),
    "pretty_printed": lambda obj: json.dumps(obj, ensure_ascii=False, indent=4),
    "wrapper_resposta": lambda obj: json.dumps({"resposta": obj}, ensure_ascii=False),
    "wrapper_analise": lambda obj: json.dumps({"analise": obj}, ensure_ascii=False, indent=2),
    "list_of_one": lambda obj: json.dumps([obj], ensure_ascii=False),
    "metadata_after": lambda obj: (json.dumps(obj, ensure_ascii=False)
                                   + '\n\n{"modelo": "assistente-ecommerce", "versao": 2}'),
    "trailing_comma": lambda obj: json.dumps(obj, ensure_ascii=False)[:-1] + ",}",
    "missing_commas": lambda obj: write(obj, sep="\n"),
    "single_quotes": lambda obj: write(obj, key=lambda k: f"'{k}'", string=lambda s: "'" + s.replace("'", "\\'") + "'"),
    "python_literals": lambda obj: repr(dict(obj)),
    "curly_quotes": lambda obj: write(obj, key=_curly, string=_curly),
    "mismatched_quotes": lambda obj: write(obj, key=lambda k: f"\"{k}'", string=lambda s: f"'{s}\""),
    "bare_keys": lambda obj: write(obj, key=str),
    "bare_one_word_values": _applies(lambda obj: any(isinstance(v, str) and _one_word(v) for v in obj.values()),
                                     lambda obj: write(obj, string=lambda s: s if _one_word(s) else json.dumps(s, ensure_ascii=False))),
    "comments": lambda obj: ("// resposta final\n" + write(obj, sep=", // campo conferido\n") [:-1]
                             + "\n/* fim da resposta */}"),
    "closed_by_bracket": lambda obj: json.dumps(obj, ensure_ascii=False)[:-1] + "]",
    "js_null_for_empty": _empty_text_as("null"),
    "js_undefined_for_empty": _empty_text_as("undefined"),
    "python_none_for_empty": _empty_text_as("None"),
    "decimal_comma": _applies(_with_floats, lambda obj: write(obj, number=_pt_number)),
    "thousands_separator": _thousands,
    "numeric_strings": _applies(_has((int, float)), lambda obj: write(obj, number=lambda v: f'"{_pt_number(v)}"')),
    "sim_nao_strings": _applies(_has(bool), lambda obj: write(obj, boolean=lambda b: '"sim"' if b else '"não"')),
    "bare_sim_nao": _applies(_has(bool), lambda obj: write(obj, boolean=lambda b: "sim" if b else "não")),
    "verdadeiro_falso": _applies(_has(bool), lambda obj: write(obj, boolean=lambda b: "verdadeiro" if b else "falso")),
    "true_false_strings": _applies(_has(bool), lambda obj: write(obj, boolean=lambda b: '"true"' if b else '"false"')),
    "one_zero_booleans": _applies(_has(bool), lambda obj: write(obj, boolean=lambda b: "1" if b else "0")),
    "twice_encoded": lambda obj: json.dumps(json.dumps(obj, ensure_ascii=False), ensure_ascii=False),
    "spaced_keys": lambda obj: write(obj, key=lambda k: json.dumps(k.replace("_", " ").title())),
    **{f"minus_u{ord(sign):04x}": _minus(sign) for sign in MINUS_SIGNS[1:]},
}


def _dumps(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False)


# Repairs that show a wrong draft before the answer: (best object, an all-wrong draft) -> text.
DRAFT_REPAIRS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], str]] = {
    "think_draft": lambda obj, draft: (f"<think>Primeiro rascunho: {_dumps(draft)}\nHmm, relendo a avaliação, "
                                       f"o rascunho está errado.</think>\n{_dumps(obj)}"),
    "draft_then_final": lambda obj, draft: (f"Primeira tentativa:\n```json\n{_dumps(draft)}\n```\nCorrigindo, "
                                            f"a resposta final é:\n```json\n{_dumps(obj)}\n```"),
    "complete_then_truncated": lambda obj, draft: f"{_dumps(obj)}\nOutra forma de ver: {_dumps(draft)[:-12]}",
}


def _wrong_object(answer: JsonAnswer, obj: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of `obj` made wrong, within its domain."""
    out: dict[str, Any] = {}
    for spec in answer.specs:
        value = obj[spec.name]
        out[spec.name] = _wrong_value(spec, value)
    return out


def _wrong_value(spec: FieldSpec, value: Any) -> Any:
    if spec.kind == "label":
        return next(c for c in spec.choices if c != value)
    if spec.kind == "bool":
        return not value
    if spec.kind == "probability":
        return 1.0 - float(value)
    if spec.kind == "number":
        low, high = spec.bounds or (value - spec.scale, value + spec.scale)
        return high if value < (low + high) / 2 else low
    return min(_WRONG_TEXTS, key=lambda t: text_similarity(t, value))


def _placeholder(spec: FieldSpec, style: int) -> str:
    """A field's value as a format example shows it (three styles)."""
    if spec.kind == "label":
        options = list(spec.choices[:3])
        return ['"' + "|".join(options) + '"', "<" + "/".join(options) + ">",
                '"' + ", ".join(options[:-1]) + " ou " + options[-1] + '"'][style]
    if spec.kind == "bool":
        return ['"true|false"', "true ou false", '"sim/não"'][style]
    if spec.kind in ("number", "probability"):
        low, high = spec.bounds or (0, 1)
        return [f'"<número de {low:g} a {high:g}>"', f"{low:g} a {high:g}", f'"número entre {low:g} e {high:g}"'][style]
    return ['"<texto>"', '"..."', '"string"'][style]


def format_example(answer: JsonAnswer, style: int) -> str:
    return "{" + ", ".join(f'"{s.name}": {_placeholder(s, style)}' for s in answer.specs) + "}"


# Answers with nothing to recover: each must score 0 in every stage.
UNRECOVERABLE: dict[str, Callable[[JsonAnswer, str], str]] = {
    "empty_answer": lambda answer, best: "",
    "empty_object": lambda answer, best: "{}",
    "empty_object_fenced": lambda answer, best: "Segue:\n```json\n{}\n```",
    "format_echo_pipes": lambda answer, best: format_example(answer, 0),
    "format_echo_angle": lambda answer, best: f"Formato: {format_example(answer, 1)}",
    "format_echo_ou": lambda answer, best: f"```json\n{format_example(answer, 2)}\n```",
    "metadata_only": lambda answer, best: '{"modelo": "assistente", "tokens": 42, "idioma": "pt-BR"}',
    "prose_braces": lambda answer, best: "Não consigo responder no formato {campo: valor} pedido.",
    "answer_in_unclosed_think": lambda answer, best: "<think>Acho que a resposta é " + best,
    "answer_only_in_think": lambda answer, best: "<think>" + best + "</think>\nNão sei responder.",
    "first_key_cut": lambda answer, best: best[:best.index(":") + 3],
}


# --- other tasks -------------------------------------------------------------------------------------

def sql_variants(truth: Any, gold: str) -> dict[str, str]:
    return {"plain_fence": f"```\n{truth.gold_sql.strip().rstrip(';')}\n```",
            "prose_around": f"Aqui está a consulta:\n{gold}\nEla responde à pergunta."}


def reasoning_variants(truth: Any, gold: str) -> dict[str, str]:
    marks = list(re.finditer(r"Resposta\s*:", gold))
    if not marks:
        return {}
    value = gold[marks[-1].end():].strip()
    return {"ptbr_answer": f"{gold[:marks[-1].start()]}Resposta: {value}"}


# Non-JSON tasks: right answers written differently (`TaskSpec.variants`); each must score >= VARIANT_MIN.
TEXT_VARIANTS: Mapping[str, Callable[[Any, str], dict[str, str]]] = LiveMapping(
    lambda: {s.name: resolve(s.variants) for s in specs() if not s.is_json and s.variants is not None})


def variants(task: str, truth: Any, gold: str) -> dict[str, str]:
    """Right answers written differently: the repairs for JSON tasks, TEXT_VARIANTS otherwise."""
    out = {"think_prefix": THINK + gold}
    if task in JSON_ANSWERS:
        obj = best_object(task, truth)
        out.update({name: text for name, make in REPAIRS.items() if (text := make(obj)) is not None})
        draft = _wrong_object(JSON_ANSWERS[task], obj)
        out.update({name: make(obj, draft) for name, make in DRAFT_REPAIRS.items()})
    elif task in TEXT_VARIANTS:
        out.update(TEXT_VARIANTS[task](truth, gold))
    return out


def json_corruptions(task: str, truth: Any, gold: str, record_id: str) -> dict[str, str]:
    obj = best_object(task, truth)
    out: dict[str, str] = {}
    dropped = dict(obj)
    dropped.pop(_pick(record_id + "drop", list(obj)))
    out["drop_field"] = json.dumps(dropped, ensure_ascii=False)
    booleans = [k for k, v in obj.items() if isinstance(v, bool)]
    if booleans:
        key = _pick(record_id + "flip", booleans)
        out["flip_boolean"] = json.dumps({**obj, key: not obj[key]}, ensure_ascii=False)
    numbers = [k for k, v in obj.items() if isinstance(v, float) and not isinstance(v, bool)]
    if numbers:
        key = _pick(record_id + "number", numbers)
        value = obj[key]
        wrong = value - 0.5 if value >= 0.5 or (key == "sentiment_score" and value > 0) else value + 0.5
        out["wrong_number"] = json.dumps({**obj, key: round(wrong, 4)}, ensure_ascii=False)
    if "sentiment" in obj:
        out["wrong_polarity"] = json.dumps({**obj, "sentiment": _POLARITY_SWAP[obj["sentiment"]]}, ensure_ascii=False)
    if "complaint_category" in obj:
        others = [c for c in COMPLAINT_CATEGORIES if c != obj["complaint_category"]]
        out["wrong_category"] = json.dumps({**obj, "complaint_category": _pick(record_id, others)}, ensure_ascii=False)
    text = json.dumps(obj, ensure_ascii=False)
    out["broken_json"] = text[:-1].replace('": ', '" ', 1)  # no closing brace, a colon lost
    out["negative_sign_dropped"] = text.replace(": -", ": ") if ": -" in text else text
    return out


def sql_corruptions(task: str, truth: Any, gold: str, record_id: str) -> dict[str, str]:
    query = truth.gold_sql.strip().rstrip(";")
    wrong = f"SELECT * FROM ({query}) AS gold LIMIT 0" if truth.rows else "SELECT 42 AS wrong_answer"
    broken = re.sub(r"^\s*(select|with)\b", lambda m: "SELEC" if m.group(1).lower() == "select" else "WIHT",
                    query, count=1, flags=re.I)
    # The gold's result typed in as literals matches on commerce.db by construction: only the
    # perturbed variants (rewards.sql_variants) can tell it from a real query.
    coincidental = sql_audit.constant_answer(truth) if truth.rows else "SELECT 42 AS wrong_answer"
    return {"wrong_sql": f"```sql\n{wrong}\n```", "broken_sql": f"```sql\n{broken}\n```",
            "unsafe_sql": f"```sql\n{query};\nDROP TABLE orders_enriched\n```",
            "hard_coded_result": f"```sql\n{coincidental}\n```"}


def reasoning_corruptions(task: str, truth: Any, gold: str, record_id: str) -> dict[str, str]:
    marks = list(re.finditer(r"Resposta\s*:", gold))
    head = gold[:marks[-1].start()] if marks else gold + "\n"
    wrong = f"{truth.answer * 1.5 + 7:.2f}".replace(".", ",")
    return {"wrong_number": f"{head}Resposta: {wrong}", "no_answer": head.rstrip() or "Não sei."}


def push_corruptions(task: str, truth: Any, gold: str, record_id: str) -> dict[str, str]:
    out = {"over_length": gold + " " + "Aproveite agora mesmo! " * (truth.max_chars // 20 + 2),
           "invented_discount": gold + " Use o cupom e ganhe 90% de desconto!"}
    stripped = _remove_category(gold, truth.category)
    if stripped != gold:
        out["no_category"] = stripped
    return out


def insights_corruptions(task: str, truth: Any, gold: str, record_id: str) -> dict[str, str]:
    return {"no_figures": re.sub(r"\d", "", gold),
            "wrong_numbers": re.sub(r"\d+(?:[.,]\d+)*", lambda m: "9" + m.group(0), gold)}


# Wrong answers derived from the gold, per task (`TaskSpec.corruptions`; JSON tasks default to the
# generic field corruptions); each must score strictly below the gold.
CORRUPTIONS: Mapping[str, Callable[[str, Any, str, str], dict[str, str]]] = LiveMapping(lambda: {
    s.name: resolve(s.corruptions) if s.corruptions is not None else json_corruptions
    for s in specs() if s.corruptions is not None or s.is_json})


def corruptions(task: str, truth: Any, gold: str, record_id: str) -> dict[str, str]:
    """Wrong answers derived from the gold; each must score strictly below the gold."""
    make = CORRUPTIONS.get(task)
    return make(task, truth, gold, record_id) if make is not None else {}


_SEPARATOR = r"(?:\W+(?:(?:e|de|da|do|das|dos|para)\W+)?)"


def _remove_category(text: str, category: str) -> str:
    """The text with every spelling of the category replaced by "produtos" (accents, case and
    connectors ignored: "Cama, Mesa e Banho" for "cama_mesa_banho")."""
    words = fold(category).replace("_", " ").split()
    if not words:
        return text
    pattern = re.compile(_SEPARATOR.join(re.escape(w) for w in words))
    match = pattern.search(fold(text))
    while match and len(fold(text)) == len(text):
        text = text[:match.start()] + "produtos" + text[match.end():]
        match = pattern.search(fold(text))
    return text


# --- truncation ----------------------------------------------------------------------------------------

@dataclass
class Truncation:
    """Every prefix of one answer, scored: what must never happen, counted."""

    prefixes: int = 0
    half_values: int = 0        # a value read that the full answer does not hold
    non_monotone: int = 0       # the task score fell as the prefix grew
    paid_without_field: int = 0  # a stage above 0 with no field read
    examples: list[str] = field(default_factory=list)


def check_truncations(task: str, obj: Mapping[str, Any], truth: Any, weights: Mapping[str, float],
                      out: Truncation) -> None:
    answer = JSON_ANSWERS[task]
    text = json.dumps(dict(obj), ensure_ascii=False)
    expected = {spec.name: spec.coerce(obj[spec.name]) for spec in answer.specs}
    last_task = 0.0
    for end in range(len(text)):
        prefix = text[:end]
        scores, values = answer.score(prefix, truth)
        scores = finish(scores, weights)
        out.prefixes += 1
        problem = None
        if any(expected[name] != value for name, value in values.items()):
            out.half_values += 1
            problem = "half value"
        if scores["task"] < last_task - 1e-12:
            out.non_monotone += 1
            problem = "task fell"
        if not values and scores["reward"] > 0.0:
            out.paid_without_field += 1
            problem = "paid without a field"
        last_task = max(last_task, scores["task"])
        if problem and len(out.examples) < 5:
            out.examples.append(f"{problem}: {prefix!r}")


# --- the run ---------------------------------------------------------------------------------------------

@dataclass
class TaskReport:
    records: int = 0
    gold_min: float = 1.0
    gold_sum: float = 0.0
    reference_task_sum: float = 0.0
    variants_min: dict[str, float] = field(default_factory=dict)       # reward (non-JSON) or task (JSON)
    variants_checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unrecoverable_max: dict[str, float] = field(default_factory=dict)  # the highest stage seen
    unrecoverable_checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    wrong_max: float = 0.0
    wrong_checked: int = 0
    truncation: Truncation = field(default_factory=Truncation)
    corruptions_checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    corruptions_caught: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    corruption_min_gap: dict[str, float] = field(default_factory=dict)  # smallest gold - corrupt

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "records": self.records,
            "gold_min": round(self.gold_min, 6),
            "gold_mean": round(self.gold_sum / self.records, 6) if self.records else None,
            "reference_task_mean": round(self.reference_task_sum / self.records, 6) if self.records else None,
            "variants": {k: {"checked": self.variants_checked[k], "min": round(v, 6)}
                         for k, v in sorted(self.variants_min.items())},
            "corruptions": {k: {"checked": self.corruptions_checked[k], "caught": self.corruptions_caught[k],
                                "min_gap": round(self.corruption_min_gap[k], 6)}
                            for k in sorted(self.corruptions_checked)},
        }
        if self.unrecoverable_checked:
            out["unrecoverable"] = {k: {"checked": self.unrecoverable_checked[k], "max": round(v, 6)}
                                    for k, v in sorted(self.unrecoverable_max.items())}
            out["wrong_answer"] = {"checked": self.wrong_checked, "max_reward": round(self.wrong_max, 6)}
            t = self.truncation
            out["truncation"] = {"prefixes": t.prefixes, "half_values": t.half_values,
                                 "non_monotone": t.non_monotone, "paid_without_field": t.paid_without_field}
        return out


def run_selftest(records: Iterable[dict[str, Any]], options: Options, progress: bool = False,
                 max_failures: int = 50) -> dict[str, Any]:
    """Score the checks of the module docstring on `records` (PromptRecord dicts)."""
    reports: dict[str, TaskReport] = defaultdict(TaskReport)
    failures: list[dict[str, Any]] = []
    n_failures = 0
    records = list(records)
    iterator: Iterable[dict[str, Any]] = records
    if progress:
        from tqdm import tqdm

        iterator = tqdm(records, desc="reward self-test", unit="record")
    weights = options.weights
    format_share = float(weights["format"]) / sum(float(weights[k]) for k in ("format", "partial", "task"))

    def fail(record: dict[str, Any], check: str, score: float, bound: str) -> None:
        nonlocal n_failures
        n_failures += 1
        if len(failures) < max_failures:
            failures.append({"id": record["id"], "task": record["task"], "check": check,
                             "score": round(score, 6), "expected": bound})

    for record in iterator:
        task = record["task"]
        truth = parse_truth(task, record["ground_truth"])
        prompt = prompt_text(record["messages"])
        report = reports[task]
        report.records += 1

        def score(text: str) -> dict[str, Any]:
            return rewards.score(task, text, truth, prompt=prompt, options=options)

        best = best_answer(task, truth)
        best_scores = score(best)
        gold_score = best_scores["reward"]
        report.gold_min = min(report.gold_min, gold_score)
        report.gold_sum += gold_score
        reference = gold_answer(task, truth)
        report.reference_task_sum += score(reference)["task"] if reference != best else best_scores["task"]
        if gold_score < GOLD_MIN:
            fail(record, "gold", gold_score, f">= {GOLD_MIN}")
        is_json = task in JSON_ANSWERS
        stage, bound = ("task", REPAIR_TASK_MIN) if is_json else ("reward", VARIANT_MIN)
        for name, text in variants(task, truth, best).items():
            value = score(text)[stage]
            report.variants_checked[name] += 1
            report.variants_min[name] = min(report.variants_min.get(name, 1.0), value)
            if value < bound:
                fail(record, f"variant:{name}", value, f"{stage} >= {bound}")
        if is_json:
            answer = JSON_ANSWERS[task]
            for name, make in UNRECOVERABLE.items():
                scores = score(make(answer, best))
                worst = max(scores[k] for k in ("format", "partial", "task", "reward"))
                report.unrecoverable_checked[name] += 1
                report.unrecoverable_max[name] = max(report.unrecoverable_max.get(name, 0.0), worst)
                if worst > 0.0:
                    fail(record, f"unrecoverable:{name}", worst, "0 in every stage")
            wrong = score(json.dumps(_wrong_object(answer, best_object(task, truth)), ensure_ascii=False))["reward"]
            report.wrong_checked += 1
            report.wrong_max = max(report.wrong_max, wrong)
            if wrong > format_share + 1e-9:
                fail(record, "wrong_answer", wrong, f"<= format weight {format_share:.3f}")
            before = (report.truncation.half_values, report.truncation.non_monotone,
                      report.truncation.paid_without_field)
            check_truncations(task, best_object(task, truth), truth, weights, report.truncation)
            after = (report.truncation.half_values, report.truncation.non_monotone,
                     report.truncation.paid_without_field)
            if after != before:
                fail(record, "truncation", float(sum(after) - sum(before)),
                     "no half value, task never falls, nothing paid without a field")
        for name, text in corruptions(task, truth, best, record["id"]).items():
            if text == best:
                continue
            value = score(text)["reward"]
            report.corruptions_checked[name] += 1
            gap = gold_score - value
            report.corruption_min_gap[name] = min(report.corruption_min_gap.get(name, 1.0), gap)
            if value < gold_score:
                report.corruptions_caught[name] += 1
            else:
                fail(record, f"corruption:{name}", value, f"< gold {gold_score:.6f}")
    per_task = {task: reports[task].as_dict() for task in sorted(reports)}
    return {
        "passed": n_failures == 0 and bool(records),
        "records": len(records),
        "failures": n_failures,
        "thresholds": {"gold_min": GOLD_MIN, "variant_min": VARIANT_MIN, "repair_task_min": REPAIR_TASK_MIN,
                       "wrong_answer_max": round(format_share, 6)},
        "tasks": per_task,
        "truncation_examples": [e for t in sorted(reports) for e in reports[t].truncation.examples][:10],
        "failure_examples": failures,
    }


def trivial_floor(splits: Mapping[str, list[dict[str, Any]]], train: list[dict[str, Any]],
                  options: Options) -> dict[str, Any]:
    """Task score of each trivial answerer (fitted on `train`) per split and task, aggregated as the
    score stage's floor is (`rewards.aggregate.task_score`: class-balanced where the task is), and a
    data warning wherever one exceeds TRIVIAL_MAX on at least TRIVIAL_MIN_RECORDS records."""
    from rewards.aggregate import outcome, task_score
    from rewards.trivial import trivial_answerers

    answerers = trivial_answerers(train)
    floor: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    warnings: list[str] = []
    for split, records in splits.items():
        by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            by_task[record["task"]].append(record)
        for task, rows in sorted(by_task.items()):
            outcomes = [outcome(task, r["ground_truth"]) for r in rows]
            means = {}
            for name, answerer in answerers.items():
                scores = [rewards.score(task, answerer(r), r["ground_truth"], prompt=prompt_text(r["messages"]),
                                        options=options) for r in rows]
                means[name] = round(task_score(task, scores, outcomes), 6)
            worst = max(means, key=means.get)
            floor[task][split] = {"records": len(rows), **means}
            if means[worst] > TRIVIAL_MAX and len(rows) >= TRIVIAL_MIN_RECORDS:
                warnings.append(f"data imbalance: on {split} {task}, the trivial answerer '{worst}' has task score "
                                f"{means[worst]:.3f} > {TRIVIAL_MAX} (rebalance the {task} strata; issue 10 item 4)")
    return {"max": TRIVIAL_MAX, "fails": TRIVIAL_FLOOR_FAILS, "tasks": dict(sorted(floor.items())),
            "warnings": warnings}
