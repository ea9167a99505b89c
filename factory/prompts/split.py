"""Split the per-task pools into the held-out benchmark, train and val.

1. Held-out SQL templates: per SQL stratum, `prompts.sql.heldout_templates` templates (a seeded
   choice among those in the pool) serve the benchmark only; no train/val record uses them.
2. Benchmark: per task and stratum, prompts in the pool's order spread over the task's answer
   classes (`TaskGenerator.outcome`; SQL: over the held-out templates), whose source keys are new to
   the benchmark and that are not near-duplicates of a chosen one. Within a class, a review whose
   title or comment (>= `QUOTE_MIN_WORDS` words) another pool prompt quotes verbatim comes last.
   Exactly `BENCHMARK_STRATA` (80 prompts), or an error naming the stratum.
3. Hold-out at the source: a training/val candidate that shares any source key (review, order,
   customer, template instance) with a benchmark prompt is dropped, and so is one from a held-out
   template, one that quotes a benchmark review text verbatim, one whose user text equals a
   benchmark prompt or shares a content n-gram with one (decontamination).
4. Near-duplicates within the rest are dropped per task (exact text, or shingle Jaccard >= threshold).
5. Training counts per task from params, balanced over strata and, within a stratum, over answer
   classes, capped by what is left (warning); reasoning fills `mix.general_ratio` of the result.
   `val_fraction` of every stratum (at least one record where the stratum has two) goes to val,
   sampled evenly over the stratum's answer classes.
Every dropped record is listed with its reason.
"""
from __future__ import annotations

import logging
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from factory.prompts import GENERATORS
from factory.prompts.base import BENCHMARK_STRATA, benchmark_size, check_counts, counted_tasks, general_mix, spread
from factory.prompts.overlap import Gram, NearDuplicateIndex, boilerplate, content_ngrams, normalized
from factory.prompts.sql_templates import TEMPLATES as SQL_TEMPLATES
from schemas.tasks import STRATA, TASKS

log = logging.getLogger(__name__)

# A benchmark review text (title or comment) of at least this many words must not appear verbatim
# in any training or validation prompt.
QUOTE_MIN_WORDS = 4


class SplitError(RuntimeError):
    """The data cannot give what the split must produce (e.g. a benchmark stratum is short)."""


@dataclass(frozen=True)
class SplitConfig:
    """The split's knobs, read from params.yaml (`prompts.*`, `mix.general_ratio`): no defaults here,
    params.yaml and `factory.params` hold them."""

    counts: dict[str, int]          # train+val per task, general-mix tasks (reasoning) excluded: they follow general_ratio
    general_ratio: float
    val_fraction: float
    leakage_n: int
    shingle_n: int
    jaccard: float
    stock_df: float
    seed: int
    heldout_templates: int          # SQL templates per stratum kept for the benchmark only

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "SplitConfig":
        p = params["prompts"]
        check_counts(p["counts"])
        return cls(
            counts=counted_tasks(p["counts"]),
            general_ratio=float(params["mix"]["general_ratio"]),
            val_fraction=float(p["val_fraction"]),
            leakage_n=int(p["leakage_ngram"]),
            shingle_n=int(p["near_dup"]["shingle"]),
            jaccard=float(p["near_dup"]["jaccard"]),
            stock_df=float(p["stock_phrase_df"]),
            seed=int(p["seed"]),
            heldout_templates=int(p["sql"]["heldout_templates"]),
        )


def user_text(record: dict[str, Any]) -> str:
    return next(m["content"] for m in reversed(record["messages"]) if m["role"] == "user")


def template_of(record: dict[str, Any]) -> str | None:
    return record["source"].get("template")


def quotes(record: dict[str, Any]) -> list[str]:
    """The source texts a record quotes (normalized), those of at least QUOTE_MIN_WORDS words."""
    texts = (normalized(t) for t in GENERATORS[record["task"]].quoted_texts(user_text(record)))
    return [t for t in texts if len(t.split()) >= QUOTE_MIN_WORDS]


def quoted_in(quote: str, record_text: str) -> bool:
    """True when a normalized quote appears word for word in a normalized prompt text."""
    return f" {quote} " in f" {record_text} "


def balance_key(task: str):
    """What a task's strata are balanced over: SQL over its templates, the others over answer classes."""
    if task == "sql":
        return lambda r: (template_of(r) or "",)
    outcome = GENERATORS[task].outcome
    return lambda r: outcome(r["ground_truth"])


def balanced_order(task: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One stratum's records spread over the task's balance key (see `base.spread`)."""
    weights = None if task == "sql" else GENERATORS[task].outcome_weights
    return spread(records, balance_key(task), weights)


def choose_heldout_templates(pool: list[dict[str, Any]], per_stratum: int, seed: int) -> dict[str, list[str]]:
    """Per SQL stratum, `per_stratum` templates for the benchmark only: the first of the library's
    templates in a seeded order that the pool has instances of (so two databases hold out the
    same templates unless one of them cannot instantiate some)."""
    if per_stratum < 1:
        raise SplitError(f"params.yaml prompts.sql.heldout_templates must be >= 1, got {per_stratum}")
    present: dict[str, set[str]] = defaultdict(set)
    for r in pool:
        if template_of(r):
            present[r["difficulty"]].add(template_of(r))
    heldout = {}
    for stratum in STRATA["sql"]:
        library = sorted({t.name for t in SQL_TEMPLATES if t.stratum == stratum} | present[stratum])
        random.Random(f"{seed}|sql|heldout_templates|{stratum}").shuffle(library)
        names = [name for name in library if name in present[stratum]]
        if len(names) <= per_stratum:
            raise SplitError(
                f"sql/{stratum}: the pool has {len(names)} templates; holding out {per_stratum} "
                f"(params.yaml prompts.sql.heldout_templates) would leave none for training")
        heldout[stratum] = sorted(names[:per_stratum])
    return heldout


class OverlapIndex:
    """Content n-grams of records: template words and stock phrases of the task removed.

    A stock phrase is an n-gram found in at least `stock_df` of a task's pool (and in 3 prompts or
    more): text every such prompt shares (a frequent delivery line, a popular product name), not text
    that identifies one prompt. Both sets are fixed by the pools, so the split and the validation
    stage measure the same thing.
    """

    def __init__(self, n: int, pools: dict[str, list[dict[str, Any]]], stock_df: float = 0.01):
        self.n = n
        self.boiler: dict[str, set[Gram]] = {}
        self.stock_counts: dict[str, int] = {}
        for task in TASKS:
            template = boilerplate(GENERATORS[task].templates, n)
            pool = pools.get(task, [])
            df = Counter(g for r in pool for g in content_ngrams(user_text(r), n, template))
            floor = max(3, math.ceil(stock_df * len(pool)))
            stock = {g for g, c in df.items() if c >= floor}
            self.boiler[task] = template | stock
            self.stock_counts[task] = len(stock)

    def grams(self, record: dict[str, Any]) -> set[Gram]:
        return content_ngrams(user_text(record), self.n, self.boiler[record["task"]])


def leakage(benchmark: list[dict[str, Any]], others: Iterable[dict[str, Any]], index: OverlapIndex) -> dict[str, Any]:
    """How many `others` records leak a benchmark prompt: same source key, same text, a shared content
    n-gram, a benchmark review text quoted verbatim, or a benchmark SQL template."""
    n = index.n
    bench_keys = {k for r in benchmark for k in r["source"]["keys"]}
    bench_texts = {normalized(user_text(r)) for r in benchmark}
    bench_grams: set[Gram] = set().union(*(index.grams(r) for r in benchmark)) if benchmark else set()
    bench_quotes = {q for r in benchmark for q in quotes(r)}
    bench_templates = {template_of(r) for r in benchmark} - {None}
    counts: Counter[str] = Counter()
    examples: list[str] = []
    for r in others:
        hit = []
        text = normalized(user_text(r))
        if bench_keys & set(r["source"]["keys"]):
            hit.append("source_keys")
        if text in bench_texts:
            hit.append("exact")
        if bench_grams & index.grams(r):
            hit.append(f"ngram_{n}")
        if any(quoted_in(q, text) for q in bench_quotes):
            hit.append("review_text")
        if template_of(r) in bench_templates:
            hit.append("sql_template")
        counts.update(hit)
        if hit and len(examples) < 10:
            examples.append(f"{r['id']}: {', '.join(hit)}")
    kinds = ("exact", f"ngram_{n}", "source_keys", "review_text", "sql_template")
    return {**{k: counts[k] for k in kinds}, "examples": examples}


def benchmark_seen(benchmark: list[dict[str, Any]], others: list[dict[str, Any]]) -> dict[str, int]:
    """Benchmark prompts whose review text, or whose SQL template, some train/val prompt also has."""
    texts = [normalized(user_text(r)) for r in others]
    templates = {template_of(r) for r in others} - {None}
    return {
        "reviews_seen_verbatim": sum(any(quoted_in(q, t) for q in quotes(r) for t in texts) for r in benchmark),
        "reviews_checked": sum(bool(GENERATORS[r["task"]].quoted_texts(user_text(r))) for r in benchmark),
        "sql_from_seen_templates": sum(template_of(r) in templates for r in benchmark if r["task"] == "sql"),
        "sql_prompts": sum(r["task"] == "sql" for r in benchmark),
    }


@dataclass
class SplitResult:
    benchmark: list[dict[str, Any]]
    train: list[dict[str, Any]]
    val: list[dict[str, Any]]
    removed: list[dict[str, str]] = field(default_factory=list)
    shortfall: dict[str, dict[str, int]] = field(default_factory=dict)
    heldout_templates: dict[str, list[str]] = field(default_factory=dict)   # sql stratum -> benchmark-only templates
    passed_over: dict[str, int] = field(default_factory=dict)               # benchmark candidates put last, by reason

    @staticmethod
    def strata_counts(records: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in records:
            out.setdefault(r["task"], {}).setdefault(r["difficulty"], 0)
            out[r["task"]][r["difficulty"]] += 1
        return {t: dict(sorted(s.items(), key=lambda kv: STRATA[t].index(kv[0]))) for t, s in
                sorted(out.items(), key=lambda kv: TASKS.index(kv[0]))}

    def metrics(self, index: OverlapIndex) -> dict[str, Any]:
        removed = defaultdict(Counter)
        for r in self.removed:
            removed[r["task"]][r["reason"]] += 1
        near = sum(1 for r in self.removed if r["reason"] in ("exact_duplicate", "near_duplicate"))
        train_total = len(self.train)
        general = sum(general_mix(r["task"]) for r in self.train)
        seen = benchmark_seen(self.benchmark, self.train + self.val)
        train_templates = {template_of(r) for r in self.train + self.val} - {None}
        return {
            "benchmark": {"total": len(self.benchmark), "per_task": self.strata_counts(self.benchmark)},
            "train": {"total": train_total, "per_task": self.strata_counts(self.train)},
            "val": {"total": len(self.val), "per_task": self.strata_counts(self.val)},
            "general_share_train": round(general / train_total, 4) if train_total else 0.0,
            "leakage": {k: v for k, v in leakage(self.benchmark, self.train + self.val, index).items() if k != "examples"},
            "sql_templates": {
                "heldout": self.heldout_templates,
                "heldout_count": sum(len(v) for v in self.heldout_templates.values()),
                "train_val_count": len(train_templates),
                "benchmark_sql_prompts": seen["sql_prompts"],
                "benchmark_sql_from_seen_templates": seen["sql_from_seen_templates"],
            },
            "review_text_overlap": {
                "min_words": QUOTE_MIN_WORDS,
                "benchmark_reviews": seen["reviews_checked"],
                "benchmark_reviews_seen_verbatim": seen["reviews_seen_verbatim"],
                "train_val_removed": sum(r["reason"] == "benchmark_review_text" for r in self.removed),
                "benchmark_candidates_quoted_elsewhere": self.passed_over.get("quoted_elsewhere", 0),
            },
            "stock_ngrams_ignored": index.stock_counts,
            "removed": {t: dict(sorted(c.items())) for t, c in sorted(removed.items(), key=lambda kv: TASKS.index(kv[0]))},
            "near_duplicates_removed": near,
            "shortfall": self.shortfall,
        }


def _sort_key(record: dict[str, Any]) -> tuple[int, int, str]:
    return TASKS.index(record["task"]), STRATA[record["task"]].index(record["difficulty"]), record["id"]


def val_indices(records: list[dict[str, Any]], fraction: float, key) -> set[int]:
    """Positions of one stratum's records that go to val: `fraction` of them (at least one when the
    stratum has two or more), evenly spaced over the records grouped by answer class, so val covers
    the classes in proportion."""
    n = len(records)
    k = round(n * fraction)
    if fraction > 0 and n >= 2:
        k = max(k, 1)
    if not k:
        return set()
    first_seen: dict[Any, int] = {}
    for r in records:
        first_seen.setdefault(key(r), len(first_seen))
    by_class = sorted(range(n), key=lambda i: first_seen[key(records[i])])
    return {by_class[int((j + 0.5) * n / k)] for j in range(k)}


class Splitter:
    def __init__(self, pools: dict[str, list[dict[str, Any]]], cfg: SplitConfig):
        self.pools = pools
        self.cfg = cfg
        self.leak_index = OverlapIndex(cfg.leakage_n, pools, cfg.stock_df)
        self.shingle_index = OverlapIndex(cfg.shingle_n, pools, cfg.stock_df)
        self.removed: list[dict[str, str]] = []
        self.passed_over: Counter[str] = Counter()
        self.heldout = choose_heldout_templates(pools.get("sql", []), cfg.heldout_templates, cfg.seed)
        everything = [r for task in TASKS for r in pools.get(task, [])]
        self._texts = [normalized(user_text(r)) for r in everything]
        self._all_text = "\n".join(f" {t} " for t in self._texts)
        self._by_key: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(everything):
            for k in r["source"]["keys"]:
                self._by_key[k].append(i)

    def _drop(self, record: dict[str, Any], reason: str, ref: str = "") -> None:
        self.removed.append({"id": record["id"], "task": record["task"], "reason": reason, "ref": ref})

    def quoted_elsewhere(self, record: dict[str, Any]) -> bool:
        """True when another pool prompt, not from the same source row, quotes this record's review text."""
        same_source = {i for k in record["source"]["keys"] for i in self._by_key[k]}
        for q in quotes(record):
            needle = f" {q} "
            if self._all_text.count(needle) > sum(f" {self._texts[i]} ".count(needle) for i in same_source):
                return True
        return False

    def benchmark_order(self, task: str, stratum: str) -> list[dict[str, Any]]:
        """A stratum's benchmark candidates in the order they are tried: spread over the answer classes
        (SQL: over the held-out templates only); within a class, reviews that no other prompt quotes
        come first, so decontamination costs neither balance nor training records where avoidable."""
        records = [r for r in self.pools.get(task, []) if r["difficulty"] == stratum]
        if task == "sql":
            records = [r for r in records if template_of(r) in self.heldout[stratum]]
        quoted = {r["id"] for r in records if self.quoted_elsewhere(r)}
        self.passed_over["quoted_elsewhere"] += len(quoted)
        return balanced_order(task, sorted(records, key=lambda r: r["id"] in quoted))

    def choose_benchmark(self) -> list[dict[str, Any]]:
        chosen: list[dict[str, Any]] = []
        keys: set[str] = set()
        near = NearDuplicateIndex(self.cfg.jaccard)
        for task, strata in BENCHMARK_STRATA.items():
            for stratum, need in strata.items():
                order = self.benchmark_order(task, stratum)
                picked: set[str] = set()
                for r in order:
                    if len(picked) == need:
                        break
                    shingles = self.shingle_index.grams(r)
                    text = normalized(user_text(r))
                    if keys & set(r["source"]["keys"]) or near.match(text, shingles):
                        continue
                    chosen.append(r)
                    picked.add(r["id"])
                    keys.update(r["source"]["keys"])
                    near.add(r["id"], text, shingles)
                if len(picked) < need:
                    where = " of its held-out templates" if task == "sql" else ""
                    raise SplitError(
                        f"benchmark needs {need} '{task}/{stratum}' prompts, the data gives {len(picked)}{where} "
                        f"(pool data/prompts/by_task/{task}.jsonl has "
                        f"{sum(r['difficulty'] == stratum for r in self.pools.get(task, []))} of that stratum)"
                    )
        assert len(chosen) == benchmark_size()
        return sorted(chosen, key=_sort_key)

    def training_pool(self, benchmark: list[dict[str, Any]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Per task and stratum, the candidates left after hold-out, decontamination and near-dup
        removal, spread over the stratum's answer classes."""
        bench_ids = {r["id"] for r in benchmark}
        bench_keys = {k for r in benchmark for k in r["source"]["keys"]}
        bench_texts = {normalized(user_text(r)): r["id"] for r in benchmark}
        bench_quotes = {q: r["id"] for r in benchmark for q in quotes(r)}
        heldout = {t for names in self.heldout.values() for t in names}
        bench_grams: dict[Gram, str] = {}
        for r in benchmark:
            for g in self.leak_index.grams(r):
                bench_grams.setdefault(g, r["id"])
        left: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for task in TASKS:
            near = NearDuplicateIndex(self.cfg.jaccard)
            strata: dict[str, list[dict[str, Any]]] = {s: [] for s in STRATA[task]}
            for r in self.pools.get(task, []):
                if r["id"] in bench_ids:
                    continue
                shared_key = sorted(bench_keys & set(r["source"]["keys"]))
                if shared_key:
                    self._drop(r, "holdout_source", shared_key[0])
                    continue
                if template_of(r) in heldout:
                    self._drop(r, "heldout_template", template_of(r))
                    continue
                text = normalized(user_text(r))
                if text in bench_texts:
                    self._drop(r, "benchmark_exact", bench_texts[text])
                    continue
                quote = next((q for q in sorted(bench_quotes) if quoted_in(q, text)), None)
                if quote is not None:
                    self._drop(r, "benchmark_review_text", bench_quotes[quote])
                    continue
                shared_gram = sorted(self.leak_index.grams(r) & bench_grams.keys())
                if shared_gram:
                    self._drop(r, f"benchmark_ngram_{self.cfg.leakage_n}", bench_grams[shared_gram[0]])
                    continue
                shingles = self.shingle_index.grams(r)
                dup = near.match(text, shingles)
                if dup:
                    self._drop(r, dup[0], dup[1])
                    continue
                near.add(r["id"], text, shingles)
                strata[r["difficulty"]].append(r)
            left[task] = {s: balanced_order(task, records) for s, records in strata.items()}
        return left

    @staticmethod
    def balanced(strata: dict[str, list[dict[str, Any]]], n: int) -> list[dict[str, Any]]:
        """Up to n records, taking one per stratum in turn (a short stratum leaves room to the others)."""
        queues = [list(v) for v in strata.values()]
        out: list[dict[str, Any]] = []
        while len(out) < n and any(queues):
            for q in queues:
                if q and len(out) < n:
                    out.append(q.pop(0))
        return out

    def run(self) -> SplitResult:
        benchmark = self.choose_benchmark()
        left = self.training_pool(benchmark)
        chosen: dict[str, list[dict[str, Any]]] = {}
        shortfall: dict[str, dict[str, int]] = {}

        def take(task: str, wanted: int) -> None:
            available = sum(len(v) for v in left[task].values())
            chosen[task] = self.balanced(left[task], wanted)
            if available < wanted:
                shortfall[task] = {"wanted": wanted, "available": available}
                log.warning("%s: %d train+val prompts wanted, the data leaves %d", task, wanted, available)

        for task in TASKS:
            if not general_mix(task):
                take(task, self.cfg.counts.get(task, 0))
        others = sum(len(v) for v in chosen.values())
        ratio = self.cfg.general_ratio
        for task in TASKS:
            if general_mix(task):
                take(task, round(ratio / (1 - ratio) * others))
        train, val = [], []
        for task, records in chosen.items():
            key = balance_key(task)
            for stratum in STRATA[task]:
                in_stratum = [r for r in records if r["difficulty"] == stratum]
                val_idx = val_indices(in_stratum, self.cfg.val_fraction, key)
                for i, r in enumerate(in_stratum):
                    (val if i in val_idx else train).append(r)
        return SplitResult(benchmark, sorted(train, key=_sort_key), sorted(val, key=_sort_key), self.removed,
                           shortfall, self.heldout, dict(self.passed_over))
