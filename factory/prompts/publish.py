"""Write a split: JSONL files, the Hugging Face DatasetDict with its dataset card, manifest.json.

The HF copy (`hf/`) is a `DatasetDict` with splits train, validation and benchmark in TRL's
conversational prompt-completion format, so `SFTTrainer(train_dataset=load_from_disk(...)["train"])`
works as is: `prompt` (the chat messages) and `completion` (the gold answer, `rewards.render.gold_answer`,
as one assistant message), plus `id`, `task`, `stratum` (the record's difficulty), and
`ground_truth` and `source` as JSON strings (so every task fits one schema). `hf/README.md` is the
Hub dataset card: a YAML header (license per source, language, task categories, splits, size) and
the lineage hashes. The manifest holds the sha256 of every prompt file (the card included), the
counts per task and stratum, and the hashes of the params and of the source data (commerce.db's
canonical table hashes), so a metric can name exactly which data it came from.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from common.io import atomic_path, dumps_json, sha256_bytes, sha256_file, sha256_tree, write_json, write_jsonl, write_text
from factory.prompts.split import SplitResult
from schemas.tasks import STRATA, TASKS, LiveMapping, specs

SPLIT_FILES = {"train": "train.jsonl", "val": "val.jsonl", "benchmark": "benchmark.jsonl"}
HF_SPLITS = {"train": "train", "val": "validation", "benchmark": "benchmark"}  # split name -> Hub split name
HF_DIR = "hf"
CARD = "README.md"  # the dataset card, inside hf/ (what the Hub shows) and the folder page beside the files

# The dataset card's line per task (`TaskSpec.doc`).
TASK_DOCS = LiveMapping(lambda: {s.name: s.doc for s in specs()})
LICENSES = {
    "olist": "Olist Brazilian E-Commerce Public Dataset: CC BY-NC-SA 4.0 (attribution to Olist, non-commercial, share-alike)",
    "b2w": "B2W-Reviews01 (B2W Digital / Americanas): CC BY-NC-SA 4.0",
    "synthetic": "synthetic data from this project's seeded generator: Apache-2.0 with the code",
}
# Hub license identifiers (https://huggingface.co/docs/hub/repositories-licenses), one per source.
LICENSE_IDS = {"olist": "cc-by-nc-sa-4.0", "b2w": "cc-by-nc-sa-4.0", "synthetic": "apache-2.0"}
# Hub task categories: free-text answers, classification-like JSON answers, SQL over tables.
TASK_CATEGORIES = ["text-generation", "text-classification", "table-question-answering"]


def hf_rows(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Columns of one split; `completion` is the SFT target (gold answer as an assistant message)."""
    from rewards.render import gold_answer

    return {
        "id": [r["id"] for r in records],
        "task": [r["task"] for r in records],
        "stratum": [r["difficulty"] for r in records],
        "prompt": [r["messages"] for r in records],
        "completion": [[{"role": "assistant", "content": gold_answer(r["task"], r["ground_truth"])}] for r in records],
        "ground_truth": [json.dumps(r["ground_truth"], ensure_ascii=False, sort_keys=True) for r in records],
        "source": [json.dumps(r["source"], ensure_ascii=False, sort_keys=True) for r in records],
    }


def write_hf(splits: dict[str, list[dict[str, Any]]], target: Path) -> None:
    """`splits` (train/val/benchmark) as a DatasetDict saved under `target`, Hub split names."""
    import datasets

    message = datasets.List({"role": datasets.Value("string"), "content": datasets.Value("string")})
    features = datasets.Features({
        "id": datasets.Value("string"), "task": datasets.Value("string"), "stratum": datasets.Value("string"),
        "prompt": message, "completion": message,
        "ground_truth": datasets.Value("string"), "source": datasets.Value("string"),
    })
    dd = datasets.DatasetDict({
        HF_SPLITS[name]: datasets.Dataset.from_dict(hf_rows(records), features=features) for name, records in splits.items()
    })
    with atomic_path(target) as tmp:
        dd.save_to_disk(str(tmp))


def file_hashes(out_dir: Path, paths: list[Path]) -> dict[str, dict[str, Any]]:
    return {p.relative_to(out_dir).as_posix(): {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in paths}


def size_category(n: int) -> str:
    """The Hub's size_categories bucket for `n` rows."""
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "n>1M"


def card_metadata(counts: dict[str, int], sources: set[str]) -> dict[str, Any]:
    """The card's YAML header (huggingface_hub DatasetCardData fields, plus `configs` for the loader)."""
    licenses = sorted({LICENSE_IDS[s] for s in sources})
    return {
        "pretty_name": "commerce-factory PT-BR e-commerce prompts",
        "language": ["pt"],
        "license": licenses[0] if len(licenses) == 1 else licenses,
        "task_categories": TASK_CATEGORIES,
        "size_categories": [size_category(sum(counts.values()))],
        "tags": ["e-commerce", "brazilian-portuguese", "sql", "grpo", "sft", "synthetic" if "synthetic" in sources else "olist"],
        # the layout `DatasetDict.push_to_hub` writes: data/<split>-<shard>.parquet
        "configs": [{"config_name": "default",
                     "data_files": [{"split": HF_SPLITS[s], "path": f"data/{HF_SPLITS[s]}-*"} for s in SPLIT_FILES]}],
    }


def params_hash(params: dict[str, Any]) -> str:
    """sha256 of the params sections that shape the prompt sets. A `prompts.counts` entry of null (a
    task listed only for its prompts@ stage, its count set elsewhere) means what an absent one did,
    so it is left out: listing a task there does not change the manifest."""
    sections = {k: params.get(k) for k in ("data", "prompts", "mix")}
    prompts = sections["prompts"]
    if isinstance(prompts, dict) and isinstance(prompts.get("counts"), dict):
        counts = {t: n for t, n in prompts["counts"].items() if n is not None}
        sections["prompts"] = {**prompts, "counts": counts}
    return sha256_bytes(dumps_json(sections).encode())


def build_manifest(out_dir: Path, result: SplitResult, params: dict[str, Any], source_hashes: dict[str, str]) -> dict[str, Any]:
    """Hashes of every file under `out_dir` that the split wrote (hf/ included, card and all), counts, params, source."""
    paths = sorted([*out_dir.glob("by_task/*.jsonl"), *(out_dir / f for f in SPLIT_FILES.values()), out_dir / "removed.jsonl"])
    paths += sorted(p for p in (out_dir / HF_DIR).rglob("*") if p.is_file())
    splits = {"train": result.train, "val": result.val, "benchmark": result.benchmark}
    return {
        "files": file_hashes(out_dir, paths),
        "hf_sha256": sha256_tree(out_dir / HF_DIR),
        "counts": {name: {"total": len(recs), "per_task": SplitResult.strata_counts(recs)} for name, recs in splits.items()},
        "params_sha256": params_hash(params),
        "heldout_sql_templates": result.heldout_templates,   # benchmark-only templates per sql stratum
        "source": {
            "data_source": params["data"]["source"],
            "commerce_db_tables_sha256": source_hashes,
            "commerce_db_sha256": sha256_bytes("".join(f"{t}={h}\n" for t, h in sorted(source_hashes.items())).encode()),
        },
    }


def _counts_table(manifest: dict[str, Any]) -> str:
    lines = ["| task | stratum | train | validation | benchmark |", "|---|---|---:|---:|---:|"]
    for task in TASKS:
        for stratum in STRATA[task]:
            cells = [str(manifest["counts"][s]["per_task"].get(task, {}).get(stratum, 0)) for s in SPLIT_FILES]
            lines.append(f"| {task} | {stratum} | " + " | ".join(cells) + " |")
    totals = [str(manifest["counts"][s]["total"]) for s in SPLIT_FILES]
    lines.append("| **all** | | " + " | ".join(f"**{t}**" for t in totals) + " |")
    return "\n".join(lines)


def _hash_table(manifest: dict[str, Any], *, hf: bool) -> str:
    rows = [f"| `{name}` | `{info['sha256']}` |" for name, info in manifest["files"].items()
            if name.startswith(HF_DIR + "/") == hf and name != f"{HF_DIR}/{CARD}"]
    return "| file | sha256 |\n|---|---|\n" + "\n".join(rows)


def dataset_card(manifest: dict[str, Any], metrics: dict[str, Any], params: dict[str, Any], sources: set[str]) -> str:
    """hf/README.md: the Hub card, YAML header first. `manifest` covers the files written before it."""
    import yaml

    counts = {s: manifest["counts"][s]["total"] for s in SPLIT_FILES}
    header = yaml.safe_dump(card_metadata(counts, sources), sort_keys=False, allow_unicode=True)
    tasks = "\n".join(f"- `{t}`: {TASK_DOCS[t]}" for t in TASKS)
    licenses = "\n".join(f"- {LICENSES[s]}" for s in sorted(sources))
    leak = metrics["leakage"]
    n = params["prompts"]["leakage_ngram"]
    removed = ", ".join(f"{t}: " + ", ".join(f"{r} {k}" for r, k in c.items()) for t, c in metrics["removed"].items()) or "none"
    shortfall = ", ".join(f"{t} ({v['available']} of {v['wanted']})" for t, v in metrics["shortfall"].items()) or "none"
    sql, quotes = metrics["sql_templates"], metrics["review_text_overlap"]
    heldout = "; ".join(f"{s}: {', '.join(ts)}" for s, ts in sql["heldout"].items())
    label_quality = _label_quality_text(params)
    return f"""---
{header}---

# commerce-factory prompt sets

Brazilian-Portuguese e-commerce prompts with checkable ground truth, built by `dvc repro` from
`data/commerce.db` (data source: `{params['data']['source']}`), in TRL's conversational
prompt-completion format: train an SFT model on `train` as is, score a model on `benchmark` with the
project's `rewards.score(task, completion, ground_truth)`.

```python
from datasets import load_dataset, load_from_disk
from trl import SFTConfig, SFTTrainer

dataset = load_from_disk("data/prompts/hf")        # or load_dataset("<org>/<name>") once pushed
trainer = SFTTrainer(model="<model>", train_dataset=dataset["train"], args=SFTConfig(output_dir="sft"))
```

| column | content |
|---|---|
| `prompt` | the chat messages (system, user); never the answer |
| `completion` | the gold answer as one assistant message (JSON for extraction/sentiment/churn, a ```sql fence, or the reference text) |
| `id`, `task`, `stratum` | record id, task name, stratum (difficulty / class) within the task |
| `ground_truth` | JSON string, the pydantic model of its task in `schemas/tasks.py` (what the rewards check) |
| `source` | JSON string: the table and keys the record was built from |

Splits: `train` ({counts['train']}), `validation` ({counts['val']}, stratified like train) and
`benchmark` ({counts['benchmark']}, held out at the source). The `configs` in the header describe
the layout `DatasetDict.push_to_hub` writes (`data/<split>-*.parquet`); locally the same data is a
`save_to_disk` folder, read with `load_from_disk`.

## Tasks

{tasks}

## Counts

{_counts_table(manifest)}

Reasoning share of train: {metrics['general_share_train']} (target `mix.general_ratio` = {params['mix']['general_ratio']}).
Shortfall against params counts: {shortfall}.

## Hold-out and leakage

The benchmark is held out at the source: no review, order, customer or template instance behind a
benchmark prompt feeds train or validation. Leakage between benchmark and train+validation (content
n-grams exclude the templates' own words and stock phrases found in at least {params['prompts'].get('stock_phrase_df', 0.01):.0%} of a task's pool): exact {leak['exact']}, {n}-gram {leak.get(f"ngram_{n}", 0)}, shared source keys {leak['source_keys']}.
Removed from the pools: {removed}.

SQL questions: the benchmark's {sql['benchmark_sql_prompts']} SQL prompts come only from templates no train
or validation record uses ({sql['heldout_count']} held-out templates: {heldout}); benchmark SQL prompts
from seen templates: {sql['benchmark_sql_from_seen_templates']}. Review texts: no benchmark review's title or
comment ({quotes['min_words']}+ words, normalized) appears verbatim in a train or validation prompt
({quotes['benchmark_reviews_seen_verbatim']} of {quotes['benchmark_reviews']} seen; {quotes['train_val_removed']}
train/validation prompts removed for quoting one).

## Label quality

{label_quality}

## Strata

- extraction `easy`/`hard`: hard = mixed or ambiguous signals (3 stars, irony, a good review of a late order,
  praise in a bad review, several complaints, B2W recommend flag against the stars).
- churn `low`/`medium`/`high`: risk bands known at the cutoff; `will_churn` is what happened after the cutoff.
- sql `simple`/`join`/`aggregate` (aggregate includes window functions); insights
  `comparison`/`trend`/`recommendation`; sentiment by polarity; push `customer`/`segment`;
  reasoning `arithmetic`/`percentage`/`multi_step`.

## Sources and licenses

{licenses}

## Lineage

Params (`data`, `prompts`, `mix`) sha256: `{manifest['params_sha256']}`
Source data (commerce.db canonical table hashes) sha256: `{manifest['source']['commerce_db_sha256']}`

{_hash_table(manifest, hf=False)}

Dataset files (this folder):

{_hash_table(manifest, hf=True)}
"""


LABEL_QUALITY = Path("reports/metrics/label_quality.json")  # written by the label_quality stage


def _label_quality_text(params: dict[str, Any]) -> str:
    """The extraction labeler's agreement with the reviewed gold set (docs/labeling.md), when measured."""
    if not LABEL_QUALITY.is_file():
        return "Not measured in this build (run the `label_quality` stage)."
    q = json.loads(LABEL_QUALITY.read_text(encoding="utf-8"))
    r = q["report"]
    return (f"Extraction labels come from the `{q['labeler']}` labeler (`prompts.labeler`), measured against "
            f"{r['n']} held-back reviews of the hand-labelled gold set of real Olist and B2W reviews "
            f"(`data/labels/gold.jsonl`, guide in `docs/labeling.md`; those reviews never enter these splits): "
            f"all six discrete fields right on {r['six_field']:.1%} of reviews, {r['six_field_complaints']:.1%} of "
            f"the {r['n_complaints']} with a complaint; sentiment {r['sentiment']:.1%}, complaint category "
            f"{r['complaint_category']:.1%}. Reviewed corrections in `data/labels/overrides.jsonl` take precedence.")


def folder_page(manifest: dict[str, Any]) -> str:
    """data/prompts/README.md: what each file in the folder is, and its sha256 (the card is hf/README.md)."""
    return f"""# data/prompts

Prompt sets built by the `prompts` and `split` stages. The dataset card (what the Hugging Face Hub
shows) is [hf/README.md](hf/README.md); `python -m stages.publish --repo-id ORG/NAME` pushes `hf/`.

- `train.jsonl`, `val.jsonl`, `benchmark.jsonl`: the splits as records (`schemas/records.py`; benchmark: 80 prompts).
- `hf/`: the same as a `datasets.DatasetDict` (`load_from_disk("data/prompts/hf")`), splits `train`,
  `validation`, `benchmark`, TRL prompt-completion columns, and the card `hf/README.md`.
- `by_task/<task>.jsonl`: the candidate pools the split draws from.
- `removed.jsonl`: every pool record left out of train/val, with its reason.
- `manifest.json`: sha256 of every file, counts, params hash, source data hash.

Params sha256 `{manifest['params_sha256']}`, source data sha256 `{manifest['source']['commerce_db_sha256']}`,
HF dataset tree sha256 `{manifest['hf_sha256']}`.

{_hash_table(manifest, hf=False)}
"""


def data_sources(params: dict[str, Any], records: list[dict[str, Any]]) -> set[str]:
    """The sources whose license applies: synthetic, or olist (plus b2w when B2W reviews are used)."""
    if params["data"]["source"] == "synthetic":
        return {"synthetic"}
    return {"olist", *(["b2w"] if any(r["source"]["table"] == "b2w_reviews" for r in records) else [])}


def publish(out_dir: str | Path, result: SplitResult, params: dict[str, Any], source_hashes: dict[str, str],
            metrics: dict[str, Any]) -> dict[str, Any]:
    """Write every split output under `out_dir`; returns the manifest."""
    out_dir = Path(out_dir)
    splits = {"train": result.train, "val": result.val, "benchmark": result.benchmark}
    for name, records in splits.items():
        write_jsonl(out_dir / SPLIT_FILES[name], records)
    write_jsonl(out_dir / "removed.jsonl", result.removed)
    write_hf(splits, out_dir / HF_DIR)
    sources = data_sources(params, [r for recs in splits.values() for r in recs])
    # the card names the hashes of the files written so far; the manifest then covers the card too
    before_card = build_manifest(out_dir, result, params, source_hashes)
    write_text(out_dir / HF_DIR / CARD, dataset_card(before_card, metrics, params, sources))
    manifest = build_manifest(out_dir, result, params, source_hashes)
    write_json(out_dir / "manifest.json", manifest)
    write_text(out_dir / CARD, folder_page(manifest))
    return manifest


# --- the Hub (stages/publish.py): the user's network and token; nothing here runs inside `dvc repro`

def hub_shard_name(split: str) -> str:
    """The file `DatasetDict.push_to_hub` writes for a one-shard split (what the card's configs match)."""
    return f"data/{split}-00000-of-00001.parquet"


def export_hub_layout(hf_dir: str | Path, folder: str | Path) -> Path:
    """The Hub repository layout in a local folder: data/<split>-*.parquet and the card README.md.

    `datasets.load_dataset(folder)` reads it back through the card's `configs`, as it would from the Hub.
    """
    import datasets

    hf_dir, folder = Path(hf_dir), Path(folder)
    dd = datasets.load_from_disk(str(hf_dir))
    with atomic_path(folder) as tmp:
        for split, ds in dd.items():
            (tmp / "data").mkdir(parents=True, exist_ok=True)
            ds.to_parquet(str(tmp / hub_shard_name(split)))
        (tmp / CARD).write_bytes((hf_dir / CARD).read_bytes())
    return folder


def push_to_hub(hf_dir: str | Path, repo_id: str, *, private: bool | None = None, token: str | None = None,
                revision: str | None = None) -> str:
    """Push `hf_dir` (a DatasetDict with its card) to the Hub dataset repo `repo_id`; returns the repo URL.

    The card goes first, so `DatasetDict.push_to_hub` (which updates the card it finds in the repo)
    adds its `dataset_info` to our header instead of writing a card of its own.
    """
    import datasets
    from huggingface_hub import HfApi

    hf_dir = Path(hf_dir)
    card = hf_dir / CARD
    if not card.is_file():
        raise FileNotFoundError(f"{card}: no dataset card (run the split stage: dvc repro split)")
    dd = datasets.load_from_disk(str(hf_dir))
    api = HfApi(token=token)
    url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    api.upload_file(path_or_fileobj=str(card), path_in_repo=CARD, repo_id=repo_id, repo_type="dataset",
                    revision=revision, commit_message="Dataset card (commerce-factory)")
    dd.push_to_hub(repo_id, private=private, token=token, revision=revision,
                   commit_message="Prompt sets (commerce-factory)")
    return str(url)

