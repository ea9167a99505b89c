"""Prompt records -> the datasets TRL trains on (SFT conversations, GRPO prompts) and the tokenizer corpus."""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Iterator




def gold_answer(record: dict[str, Any]) -> str:
    """The assistant turn SFT learns: the rewards library renders it from the ground truth."""
    from rewards.render import gold_answer as render

    return render(record["task"], record["ground_truth"])


def sft_conversations(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for r in records:
        messages = [{"role": m["role"], "content": m["content"]} for m in r["messages"]]
        yield {"id": r["id"], "task": r["task"],
               "messages": messages + [{"role": "assistant", "content": gold_answer(r)}]}


def sft_dataset(records: Iterable[dict[str, Any]]) -> Any:
    """A conversational dataset: system..user + the gold answer as the assistant turn."""
    from datasets import Dataset

    return Dataset.from_list(list(sft_conversations(records)))


def grpo_dataset(records: Iterable[dict[str, Any]]) -> Any:
    """Conversational prompts with the columns reward functions read (`task`, `ground_truth` as JSON)."""
    from datasets import Dataset

    rows = [{
        "id": r["id"],
        "task": r["task"],
        "difficulty": r["difficulty"],
        "prompt": [{"role": m["role"], "content": m["content"]} for m in r["messages"]],
        "ground_truth": json.dumps(r["ground_truth"], ensure_ascii=False, sort_keys=True),
    } for r in records]
    return Dataset.from_list(rows)


def tokenizer_corpus(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Every message text and every gold answer: what the tiny model's tokenizer is trained on."""
    for r in records:
        for m in r["messages"]:
            yield m["content"]
        yield gold_answer(r)


def _first_per(records: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any], n: int) -> list[dict[str, Any]]:
    """The first `n` records by id of each `key` group, groups in sorted order."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for r in sorted(records, key=lambda r: r["id"]):
        groups.setdefault(key(r), []).append(r)
    return [r for k in sorted(groups) for r in groups[k][:n]]


def per_task_sample(records: Iterable[dict[str, Any]], per_task: int) -> list[dict[str, Any]]:
    """The first `per_task` records of each task by id: a small, deterministic, balanced subset."""
    return _first_per(records, lambda r: r["task"], per_task)


def stratified_subset(records: Iterable[dict[str, Any]], per_stratum: int | None) -> list[dict[str, Any]]:
    """At most `per_stratum` records of each (task, stratum), the first by id: a small val set that
    still covers every stratum (None keeps everything)."""
    if per_stratum is None:
        return list(records)
    return _first_per(records, lambda r: (r["task"], r["difficulty"]), per_stratum)


def task_balanced_subset(records: Iterable[dict[str, Any]], per_task: int | None) -> list[dict[str, Any]]:
    """At most `per_task` records of each task, spread evenly over its strata (a stratum with fewer
    records gives its share to the others), the first by id in each; groups in sorted order.

    A CPU-sized SFT set in which every task weighs the same: capped per stratum instead, a task with
    three strata got 1.5x the records of a task with two, and the second gemma-3-270m reference run
    answered every extraction prompt with sentiment's two-field object (72 sentiment records, 48
    extraction). None keeps everything."""
    if per_task is None:
        return list(records)
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for r in sorted(records, key=lambda r: r["id"]):
        groups.setdefault(r["task"], {}).setdefault(r["difficulty"], []).append(r)
    out: list[dict[str, Any]] = []
    for task in sorted(groups):
        strata = groups[task]
        quota, left = {}, per_task
        for i, stratum in enumerate(sorted(strata, key=lambda s: (len(strata[s]), s))):  # smallest first
            quota[stratum] = min(len(strata[stratum]), left // (len(strata) - i))
            left -= quota[stratum]
        out.extend(r for stratum in sorted(strata) for r in strata[stratum][:quota[stratum]])
    return out


def records_hash(records: Iterable[dict[str, Any]]) -> str:
    """A content hash of records (for resume fingerprints)."""
    from common.io import dumps_json, sha256_bytes

    return sha256_bytes(dumps_json(list(records)).encode("utf-8"))
