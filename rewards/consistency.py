"""Reference answers that contradict their own facts: the check the reward self-test runs.

`check_references(records)` returns one problem per record and check, naming the record id. The
checks are the tasks' `TaskSpec.check`; the built-in ones:

- insights: a table and conclusions exist; each conclusion's accepted answers are what its table
  says (`expected_answers`: ties are ties); the reference's closing line, read by the reward, gives
  an accepted answer to every item; every figure the reference cites is supported by the table;
- churn: the reference label is what its probability says (`reference_will_churn` = p >= 0.5);
- reasoning: the reference's final answer is right for the record's answer at the decimals written;
- push: the reference meets its own constraints (task score 1).
"""
from __future__ import annotations

from typing import Any, Iterable

from schemas.tasks import LiveMapping, TableRow, parse_truth, resolve, specs

TIE = "empate"
TREND_THRESHOLD_PCT = 5.0    # |change| up to this is "estabilidade"
TREND_MARGIN_PCT = 1.0       # within this of the threshold both readings are right
CHURN_THRESHOLD = 0.5


def trend_answers(first: float, last: float) -> list[str]:
    """Direction from `first` to `last`: "alta", "queda" or "estabilidade" (both near the threshold)."""
    if first == 0:
        return ["alta"] if last > 0 else ["estabilidade"]
    change = 100 * (last - first) / abs(first)
    if change > TREND_THRESHOLD_PCT:
        primary = "alta"
    elif change < -TREND_THRESHOLD_PCT:
        primary = "queda"
    else:
        primary = "estabilidade"
    if abs(abs(change) - TREND_THRESHOLD_PCT) <= TREND_MARGIN_PCT:
        other = "estabilidade" if primary != "estabilidade" else ("alta" if change > 0 else "queda")
        return [primary, other]
    return [primary]


def expected_answers(rule: str, metric: str, rows: list[str], table: list[TableRow]) -> list[str]:
    """The answers that follow from the table for one conclusion (values compared as displayed)."""
    values = {r.entity: r.values.get(metric) for r in table}
    missing = [e for e in rows if values.get(e) is None]
    if missing or not rows:
        raise ValueError(f"conclusion on {metric!r}: rows {missing or rows} are not in the table with that column")
    if rule == "trend":
        return trend_answers(values[rows[0]], values[rows[-1]])
    pick = max if rule == "max" else min
    best = pick(values[e] for e in rows)
    tied = [e for e in rows if values[e] == best]
    return tied if len(tied) == 1 else [TIE] + tied


def insights_problems(rid: str, truth) -> list[str]:
    from rewards import insights

    if not truth.table or not truth.conclusions:
        return [f"{rid}: insights reference without a fact table or conclusions to check"]
    problems = []
    for c in truth.conclusions:
        try:
            expected = expected_answers(c.rule, c.metric, c.rows, truth.table)
        except ValueError as exc:
            problems.append(f"{rid}: {exc}")
            continue
        if set(expected) != set(c.accepted):
            problems.append(f"{rid}: conclusion {c.item!r} accepts {c.accepted}, the table gives {expected}")
    answers = insights.read_conclusions(truth.reference, truth)
    for c, answer in zip(truth.conclusions, answers):
        if answer not in c.accepted:
            problems.append(f"{rid}: reference concludes {answer!r} on {c.item!r}, the table gives {c.accepted}")
    precision = insights.grounding(truth.reference, truth)["figures_precision"]
    if precision < 1.0:
        problems.append(f"{rid}: reference cites figures the table does not support (precision {precision:.2f})")
    return problems


def churn_problems(rid: str, truth) -> list[str]:
    p, label = truth.reference_probability, truth.reference_will_churn
    if p is None or label is None:
        return [f"{rid}: churn truth without reference_probability/reference_will_churn"]
    if label != (p >= CHURN_THRESHOLD):
        return [f"{rid}: reference_will_churn={label} contradicts reference_probability={p}"]
    return []


def reasoning_problems(rid: str, truth) -> list[str]:
    from rewards import reasoning

    readings, _ = reasoning.final_answer(truth.reference)
    if not readings or not any(reasoning.is_correct(r, truth) for r in readings):
        got = readings[0].value if readings else None
        return [f"{rid}: reference answers {got}, the record's answer is {truth.answer}"]
    return []


def push_problems(rid: str, truth) -> list[str]:
    import rewards

    scores = rewards.score("push", truth.reference, truth)
    if scores["task"] < 1.0:
        failed = [k for k in ("length_ok", "cta", "reason", "honest", "no_placeholder") if scores.get(k, 1.0) < 1.0]
        return [f"{rid}: push reference breaks its own constraints ({', '.join(failed) or 'task < 1'})"]
    return []


# Task -> its reference check (`TaskSpec.check`), for every registered task that has one.
CHECKS = LiveMapping(lambda: {s.name: resolve(s.check) for s in specs() if s.check is not None})


def check_references(records: Iterable[dict[str, Any]]) -> list[str]:
    """Problems of the records' references (PromptRecord dicts), each naming the record id."""
    problems: list[str] = []
    for record in records:
        check = CHECKS.get(record["task"])
        if check is not None:
            problems += check(record["id"], parse_truth(record["task"], record["ground_truth"]))
    return problems
