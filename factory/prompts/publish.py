"""Write a split: JSONL files, the Hugging Face DatasetDict, manifest.json and the dataset card.

The HF copy keeps one row per record with columns id, task, difficulty, prompt (the chat messages),
ground_truth and source (JSON strings, so every task fits one schema). The manifest holds the sha256
of every prompt file, the counts per task and stratum, and the hashes of the params and of the source
data (commerce.db's canonical table hashes), so a metric can name exactly which data it came from.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from factory.io import atomic_path, dumps_json, sha256_bytes, sha256_file, sha256_tree, write_json, write_jsonl, write_text
from factory.prompts.split import SplitResult
from schemas.tasks import STRATA, TASKS

SPLIT_FILES = {"train": "train.jsonl", "val": "val.jsonl", "benchmark": "benchmark.jsonl"}
HF_DIR = "hf"

TASK_DOCS = {
    "extraction": "review + order metadata -> 10-field JSON (sentiment, score, complaint category, churn risk, "
                  "repeat intent, delivery/product/seller issue, would recommend, main complaint); rule labeler "
                  "(stars, lateness, status + PT-BR lexicon) or an LLM labeler",
    "sentiment": "review text -> polarity (positivo/neutro/negativo) and score in [-1, 1]",
    "sql": "PT-BR business question -> DuckDB SQL; gold SQL executed at build time, result stored",
    "churn": "customer profile as of a cutoff date -> will the customer buy within the horizon; label observed after the cutoff",
    "insights": "analytical question -> short PT-BR analysis; fact sheet of figures computed from commerce.db",
    "push": "re-engagement push text under checkable constraints (length, category, no unauthorised discount)",
    "reasoning": "PT-BR word problems with exact answers (procedural) plus any local HF datasets in mix.hf_datasets",
}
LICENSES = {
    "olist": "Olist Brazilian E-Commerce Public Dataset: CC BY-NC-SA 4.0 (attribution to Olist, non-commercial, share-alike)",
    "b2w": "B2W-Reviews01 (B2W Digital / Americanas): CC BY-NC-SA 4.0",
    "synthetic": "synthetic data from this project's seeded generator: Apache-2.0 with the code",
}


def hf_rows(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {
        "id": [r["id"] for r in records],
        "task": [r["task"] for r in records],
        "difficulty": [r["difficulty"] for r in records],
        "prompt": [r["messages"] for r in records],
        "ground_truth": [json.dumps(r["ground_truth"], ensure_ascii=False, sort_keys=True) for r in records],
        "source": [json.dumps(r["source"], ensure_ascii=False, sort_keys=True) for r in records],
    }


def write_hf(splits: dict[str, list[dict[str, Any]]], target: Path) -> None:
    import datasets

    features = datasets.Features({
        "id": datasets.Value("string"), "task": datasets.Value("string"), "difficulty": datasets.Value("string"),
        "prompt": datasets.List({"role": datasets.Value("string"), "content": datasets.Value("string")}),
        "ground_truth": datasets.Value("string"), "source": datasets.Value("string"),
    })
    dd = datasets.DatasetDict({
        name: datasets.Dataset.from_dict(hf_rows(records), features=features) for name, records in splits.items()
    })
    with atomic_path(target) as tmp:
        dd.save_to_disk(str(tmp))


def params_hash(params: dict[str, Any]) -> str:
    """sha256 of the params sections that shape the prompt sets."""
    return sha256_bytes(dumps_json({k: params.get(k) for k in ("data", "prompts", "mix")}).encode())


def build_manifest(out_dir: Path, result: SplitResult, params: dict[str, Any], source_hashes: dict[str, str]) -> dict[str, Any]:
    files = {}
    for path in sorted([*out_dir.glob("by_task/*.jsonl"), *(out_dir / f for f in SPLIT_FILES.values()), out_dir / "removed.jsonl"]):
        files[path.relative_to(out_dir).as_posix()] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    for path in sorted((out_dir / HF_DIR).rglob("*")):
        if path.is_file():
            files[path.relative_to(out_dir).as_posix()] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    splits = {"train": result.train, "val": result.val, "benchmark": result.benchmark}
    return {
        "files": files,
        "hf_sha256": sha256_tree(out_dir / HF_DIR),
        "counts": {name: {"total": len(recs), "per_task": SplitResult.strata_counts(recs)} for name, recs in splits.items()},
        "params_sha256": params_hash(params),
        "source": {
            "data_source": params["data"]["source"],
            "commerce_db_tables_sha256": source_hashes,
            "commerce_db_sha256": sha256_bytes("".join(f"{t}={h}\n" for t, h in sorted(source_hashes.items())).encode()),
        },
    }


def _counts_table(manifest: dict[str, Any]) -> str:
    lines = ["| task | stratum | train | val | benchmark |", "|---|---|---:|---:|---:|"]
    for task in TASKS:
        for stratum in STRATA[task]:
            cells = [str(manifest["counts"][s]["per_task"].get(task, {}).get(stratum, 0)) for s in ("train", "val", "benchmark")]
            lines.append(f"| {task} | {stratum} | " + " | ".join(cells) + " |")
    totals = [str(manifest["counts"][s]["total"]) for s in ("train", "val", "benchmark")]
    lines.append("| **all** | | " + " | ".join(f"**{t}**" for t in totals) + " |")
    return "\n".join(lines)


def dataset_card(manifest: dict[str, Any], metrics: dict[str, Any], params: dict[str, Any], sources: set[str]) -> str:
    tasks = "\n".join(f"- `{t}`: {TASK_DOCS[t]}" for t in TASKS)
    licenses = "\n".join(f"- {LICENSES[s]}" for s in sorted(sources))
    hashes = "\n".join(f"| `{name}` | `{info['sha256']}` |" for name, info in manifest["files"].items()
                       if not name.startswith(HF_DIR + "/"))
    leak = metrics["leakage"]
    removed = ", ".join(f"{t}: " + ", ".join(f"{r} {n}" for r, n in c.items()) for t, c in metrics["removed"].items()) or "none"
    shortfall = ", ".join(f"{t} ({v['available']} of {v['wanted']})" for t, v in metrics["shortfall"].items()) or "none"
    return f"""# commerce-factory prompt sets

Brazilian-Portuguese e-commerce prompts with checkable ground truth, built by `dvc repro` from
`data/commerce.db` (data source: `{params['data']['source']}`). Every record is one JSON object:

```json
{{"id": "sql-join-0007", "task": "sql", "difficulty": "join",
 "messages": [{{"role": "system", "content": "..."}}, {{"role": "user", "content": "..."}}],
 "ground_truth": {{"...": "schemas.tasks.<Task>Truth"}},
 "source": {{"table": "orders_enriched", "keys": ["review:...", "order:...", "customer:..."]}}}}
```

`messages` never contains the answer. `ground_truth` follows the pydantic model of its task in
`schemas/tasks.py`; insights, push and reasoning truths carry a `reference` answer (the SFT target).

## Tasks

{tasks}

## Files

- `train.jsonl`, `val.jsonl`, `benchmark.jsonl`: the splits (benchmark: exactly 80 prompts).
- `hf/`: the same as a `datasets.DatasetDict` (`datasets.load_from_disk("data/prompts/hf")`), columns
  `id, task, difficulty, prompt` (the messages), `ground_truth` and `source` (JSON strings).
- `by_task/<task>.jsonl`: the candidate pools the split draws from.
- `removed.jsonl`: every pool record left out of train/val, with its reason.
- `manifest.json`: sha256 of every file, counts, params hash, source data hash.

## Counts

{_counts_table(manifest)}

Reasoning share of train: {metrics['general_share_train']} (target `mix.general_ratio` = {params['mix']['general_ratio']}).
Shortfall against params counts: {shortfall}.

## Hold-out and leakage

The benchmark is held out at the source: no review, order, customer or template instance behind a
benchmark prompt feeds train or val. Leakage between benchmark and train+val (content n-grams exclude
the templates' own words and stock phrases found in at least {params['prompts'].get('stock_phrase_df', 0.01):.0%} of a task's pool): exact {leak['exact']}, {params['prompts'].get('leakage_ngram', 8)}-gram {leak[f"ngram_{params['prompts'].get('leakage_ngram', 8)}"]}, shared source keys {leak['source_keys']}.
Removed from the pools: {removed}.

## Strata

- extraction `easy`/`hard`: hard = mixed or ambiguous signals (3 stars, irony, a good review of a late order,
  praise in a bad review, several complaints, B2W recommend flag against the stars).
- churn `low`/`medium`/`high`: risk bands known at the cutoff (terciles of recency vs horizon, one-time
  buyer, bad experience); `churn_probability` is the churn rate the data shows in that band and
  `will_churn` is what happened after the cutoff.
- sql `simple`/`join`/`aggregate` (aggregate includes window functions); insights
  `comparison`/`trend`/`recommendation`; sentiment by polarity; push `customer`/`segment`;
  reasoning `arithmetic`/`percentage`/`multi_step`.

## Sources and licenses

{licenses}

## Hashes

Params (`data`, `prompts`, `mix`) sha256: `{manifest['params_sha256']}`
Source data (commerce.db canonical table hashes) sha256: `{manifest['source']['commerce_db_sha256']}`
HF dataset tree sha256: `{manifest['hf_sha256']}`

| file | sha256 |
|---|---|
{hashes}
"""


def publish(out_dir: str | Path, result: SplitResult, params: dict[str, Any], source_hashes: dict[str, str],
            metrics: dict[str, Any]) -> dict[str, Any]:
    """Write every split output under `out_dir`; returns the manifest."""
    out_dir = Path(out_dir)
    splits = {"train": result.train, "val": result.val, "benchmark": result.benchmark}
    for name, records in splits.items():
        write_jsonl(out_dir / SPLIT_FILES[name], records)
    write_jsonl(out_dir / "removed.jsonl", result.removed)
    write_hf(splits, out_dir / HF_DIR)
    manifest = build_manifest(out_dir, result, params, source_hashes)
    write_json(out_dir / "manifest.json", manifest)
    sources = {"synthetic"} if params["data"]["source"] == "synthetic" else {"olist"}
    if any(r["source"]["table"] == "b2w_reviews" for recs in splits.values() for r in recs) and params["data"]["source"] != "synthetic":
        sources.add("b2w")
    write_text(out_dir / "README.md", dataset_card(manifest, metrics, params, sources))
    return manifest
