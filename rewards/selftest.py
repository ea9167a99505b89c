"""The reward self-test: the rewards must recognise a right answer, however it is written, and
rank every damaged version of it lower.

For each record, its gold answer (`render.gold_answer`) must score >= GOLD_MIN; PT-BR variants of
it (decimal comma, sim/não, code fence, a <think> prefix, ...) >= VARIANT_MIN; and deterministic
corruptions (a dropped field, a flipped boolean, a wrong number, broken JSON, wrong SQL, ...)
strictly less than the gold. A corruption that does not apply to a record (no boolean to flip)
is skipped and counted as such. The LLM judge is never used here.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import rewards
from factory.io import sha256_bytes
from rewards.base import Options
from rewards.parsing import fold
from rewards.render import ANSWER_FIELDS, answer_object, gold_answer
from schemas.tasks import COMPLAINT_CATEGORIES, parse_truth

GOLD_MIN = 0.99
VARIANT_MIN = 0.95
THINK = "<think>Vou ler o pedido com calma e responder no formato pedido.</think>\n"
_POLARITY_SWAP = {"positivo": "negativo", "negativo": "positivo", "neutro": "negativo"}


def _pick(record_id: str, options: list[str]) -> str:
    """A deterministic choice per record (stable across runs and machines)."""
    return options[int(sha256_bytes(record_id.encode())[:8], 16) % len(options)]


def _pt_number(value: float) -> str:
    return repr(float(value)).replace(".", ",") if not float(value).is_integer() else str(int(value))


def _write_json(obj: dict[str, Any], number: Callable[[float], str] = repr,
                boolean: Callable[[bool], str] | None = None) -> str:
    """A JSON object written by hand, so numbers and booleans can take PT-BR spellings."""
    parts = []
    for key, value in obj.items():
        if isinstance(value, bool):
            text = boolean(value) if boolean else ("true" if value else "false")
        elif isinstance(value, (int, float)):
            text = number(value)
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f"{json.dumps(key)}: {text}")
    return "{" + ", ".join(parts) + "}"


def variants(task: str, truth: Any, gold: str) -> dict[str, str]:
    """Right answers written differently; each must score >= VARIANT_MIN."""
    out = {"think_prefix": THINK + gold}
    if task in ANSWER_FIELDS:
        obj = answer_object(task, truth)
        out["code_fence"] = f"Segue a análise:\n```json\n{gold}\n```"
        if any(isinstance(v, float) and not v.is_integer() for v in obj.values()):
            out["decimal_comma"] = _write_json(obj, number=_pt_number)
        if any(isinstance(v, bool) for v in obj.values()):
            out["sim_nao"] = _write_json(obj, boolean=lambda b: '"sim"' if b else '"não"')
            out["bare_sim_nao_decimal_comma"] = _write_json(obj, number=_pt_number, boolean=lambda b: "sim" if b else "não")
    elif task == "sql":
        out["plain_fence"] = f"```\n{truth.gold_sql.strip().rstrip(';')}\n```"
        out["prose_around"] = f"Aqui está a consulta:\n{gold}\nEla responde à pergunta."
    elif task == "reasoning":
        marks = list(re.finditer(r"Resposta\s*:", gold))
        if marks:
            head = gold[:marks[-1].start()]
            value = f"{truth.answer:,.2f}".replace(",", "\0").replace(".", ",").replace("\0", ".")
            out["ptbr_answer"] = f"{head}Resposta: {value}"
    return out


def _json_corruptions(task: str, truth: Any, record_id: str) -> dict[str, str]:
    obj = answer_object(task, truth)
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
    return out


def corruptions(task: str, truth: Any, gold: str, record_id: str) -> dict[str, str]:
    """Wrong answers derived from the gold; each must score strictly below the gold."""
    if task in ANSWER_FIELDS:
        return _json_corruptions(task, truth, record_id)
    if task == "sql":
        query = truth.gold_sql.strip().rstrip(";")
        wrong = f"SELECT * FROM ({query}) AS gold LIMIT 0" if truth.rows else "SELECT 42 AS wrong_answer"
        broken = re.sub(r"^\s*(select|with)\b", lambda m: "SELEC" if m.group(1).lower() == "select" else "WIHT",
                        query, count=1, flags=re.I)
        return {"wrong_sql": f"```sql\n{wrong}\n```", "broken_sql": f"```sql\n{broken}\n```",
                "unsafe_sql": f"```sql\n{query};\nDROP TABLE orders_enriched\n```"}
    if task == "reasoning":
        marks = list(re.finditer(r"Resposta\s*:", gold))
        head = gold[:marks[-1].start()] if marks else gold + "\n"
        wrong = f"{truth.answer * 1.5 + 7:.2f}".replace(".", ",")
        return {"wrong_number": f"{head}Resposta: {wrong}", "no_answer": head.rstrip() or "Não sei."}
    if task == "push":
        out = {"over_length": gold + " " + "Aproveite agora mesmo! " * (truth.max_chars // 20 + 2),
               "invented_discount": gold + " Use o cupom e ganhe 90% de desconto!"}
        stripped = _remove_category(gold, truth.category)
        if stripped != gold:
            out["no_category"] = stripped
        return out
    if task == "insights":
        return {"no_figures": re.sub(r"\d", "", gold),
                "wrong_numbers": re.sub(r"\d+(?:[.,]\d+)*", lambda m: "9" + m.group(0), gold)}
    raise KeyError(task)


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


@dataclass
class TaskReport:
    records: int = 0
    gold_min: float = 1.0
    gold_sum: float = 0.0
    variants_min: dict[str, float] = field(default_factory=dict)
    corruptions_checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    corruptions_caught: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    corruption_max_gap: dict[str, float] = field(default_factory=dict)  # smallest gold - corrupt

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "gold_min": round(self.gold_min, 6),
            "gold_mean": round(self.gold_sum / self.records, 6) if self.records else None,
            "variants_min": {k: round(v, 6) for k, v in sorted(self.variants_min.items())},
            "corruptions": {k: {"checked": self.corruptions_checked[k], "caught": self.corruptions_caught[k],
                                "min_gap": round(self.corruption_max_gap[k], 6)}
                            for k in sorted(self.corruptions_checked)},
        }


def run_selftest(records: Iterable[dict[str, Any]], options: Options, progress: bool = False,
                 max_failures: int = 50) -> dict[str, Any]:
    """Score gold answers, variants and corruptions of `records` (PromptRecord dicts)."""
    reports: dict[str, TaskReport] = defaultdict(TaskReport)
    failures: list[dict[str, Any]] = []
    n_failures = 0
    records = list(records)
    iterator: Iterable[dict[str, Any]] = records
    if progress:
        from tqdm import tqdm

        iterator = tqdm(records, desc="reward self-test", unit="record")

    def fail(record: dict[str, Any], check: str, score: float, bound: str) -> None:
        nonlocal n_failures
        n_failures += 1
        if len(failures) < max_failures:
            failures.append({"id": record["id"], "task": record["task"], "check": check,
                             "score": round(score, 6), "expected": bound})

    for record in iterator:
        task = record["task"]
        truth = parse_truth(task, record["ground_truth"])
        prompt = next((m["content"] for m in reversed(record["messages"]) if m["role"] == "user"), "")
        report = reports[task]
        report.records += 1
        gold = gold_answer(task, truth)
        gold_score = rewards.score(task, gold, truth, prompt=prompt, options=options)["reward"]
        report.gold_min = min(report.gold_min, gold_score)
        report.gold_sum += gold_score
        if gold_score < GOLD_MIN:
            fail(record, "gold", gold_score, f">= {GOLD_MIN}")
        for name, text in variants(task, truth, gold).items():
            value = rewards.score(task, text, truth, prompt=prompt, options=options)["reward"]
            report.variants_min[name] = min(report.variants_min.get(name, 1.0), value)
            if value < VARIANT_MIN:
                fail(record, f"variant:{name}", value, f">= {VARIANT_MIN}")
        for name, text in corruptions(task, truth, gold, record["id"]).items():
            if text == gold:
                continue
            value = rewards.score(task, text, truth, prompt=prompt, options=options)["reward"]
            report.corruptions_checked[name] += 1
            gap = gold_score - value
            report.corruption_max_gap[name] = min(report.corruption_max_gap.get(name, 1.0), gap)
            if value < gold_score:
                report.corruptions_caught[name] += 1
            else:
                fail(record, f"corruption:{name}", value, f"< gold {gold_score:.6f}")
    per_task = {task: reports[task].as_dict() for task in sorted(reports)}
    return {
        "passed": n_failures == 0 and bool(records),
        "records": len(records),
        "failures": n_failures,
        "thresholds": {"gold_min": GOLD_MIN, "variant_min": VARIANT_MIN},
        "tasks": per_task,
        "failure_examples": failures,
    }
