"""Churn prompts: both outcomes in every risk band, and a self-consistent reference answer."""
from __future__ import annotations

import json
from collections import Counter

import rewards
from common.io import read_jsonl
from factory.prompts.base import BENCHMARK_STRATA, GenerationContext
from factory.prompts.churn import BENCHMARK_RESERVE, ChurnGenerator, balanced_outcomes
from factory.prompts.split import SplitConfig, Splitter
from rewards.consistency import check_references
from rewards.render import gold_answer, oracle_answer
from schemas.tasks import TASKS


def pool(built, name="by_task/churn.jsonl"):
    return [r for r in read_jsonl(built.root / name) if r["task"] == "churn"]


def test_every_band_alternates_outcomes_from_its_head(prompt_sets):
    records = pool(prompt_sets)
    for band, need in BENCHMARK_STRATA["churn"].items():
        outcomes = [r["ground_truth"]["will_churn"] for r in records if r["difficulty"] == band]
        head = Counter(outcomes[:2 * need])
        assert head[True] == head[False] == need, band
        assert all(a != b for a, b in zip(outcomes[:2 * need], outcomes[1:2 * need])), band


def test_benchmark_and_train_are_near_balance(prompt_sets):
    """The data's churn rate is ~0.85; the split's source hold-out may skip a head record (a shared
    order with an extraction prompt), so the benchmark is balanced within two records of 15."""
    for name in ("benchmark.jsonl", "train.jsonl"):
        records = pool(prompt_sets, name)
        rate = sum(r["ground_truth"]["will_churn"] for r in records) / len(records)
        assert abs(rate - 0.5) <= 0.1 + 1e-9, (name, rate)
        for band in BENCHMARK_STRATA["churn"]:
            outcomes = [r["ground_truth"]["will_churn"] for r in records if r["difficulty"] == band]
            assert True in outcomes and False in outcomes, (name, band)


def test_reference_label_follows_its_probability_and_is_the_gold(prompt_sets):
    records = pool(prompt_sets)
    assert check_references(records) == []
    labels = Counter(r["ground_truth"]["reference_will_churn"] for r in records)
    assert labels[True] and labels[False]  # the model separates customers, it is not a constant
    for r in records:
        t = r["ground_truth"]
        assert json.loads(gold_answer("churn", t)) == {"will_churn": t["reference_will_churn"],
                                                       "churn_probability": t["reference_probability"]}
        assert rewards.score("churn", oracle_answer("churn", t), t)["task"] == 1.0


def test_benchmark_head_stays_out_of_the_reference_fit(prompt_sets):
    report = prompt_sets.reports["churn"]
    model = report["reference_model"]
    reserved = sum(min(BENCHMARK_RESERVE * n, sum(report["outcome_balance"][band].values()))
                   for band, n in BENCHMARK_STRATA["churn"].items())
    assert model["benchmark_head_excluded"] == reserved
    assert model["calibration_customers"] == report["profiles"] - reserved
    assert report["unbalanced_strata"] == []


def test_balanced_outcomes_fills_the_benchmark_share_when_the_data_cannot_balance():
    class P:
        def __init__(self, churn):
            self.will_churn = churn
    few = [P(True)] * 6 + [P(False)]
    out = balanced_outcomes(few, start_with_churn=True, minimum=5)
    assert [p.will_churn for p in out] == [True, False, True, True, True]


def test_generation_is_deterministic(prompt_sets):
    ctx = GenerationContext(prompt_sets.params, prompt_sets.db)
    try:
        first, _ = ChurnGenerator(ctx).run()
        second, _ = ChurnGenerator(ctx).run()
    finally:
        ctx.close()
    assert first == second == pool(prompt_sets)


def _bands(records):
    counts = {}
    for r in records:
        if r["task"] == "churn":
            counts.setdefault(r["difficulty"], Counter())[r["ground_truth"]["will_churn"]] += 1
    return counts


def test_the_split_balances_every_band_on_the_real_outcome(prompt_sets):
    assert ChurnGenerator.outcome({"will_churn": True, "churn_probability": 0.9}) == (True,)
    for name in ("benchmark.jsonl", "train.jsonl", "val.jsonl"):
        for band, c in _bands(read_jsonl(prompt_sets.root / name)).items():
            assert abs(c[True] - c[False]) <= 1, (name, band, c)


def test_the_split_balances_a_pool_whose_head_is_one_outcome(prompt_sets):
    """Churners first in every band: the benchmark still takes both outcomes, as evenly as the band allows."""
    pools = {task: read_jsonl(prompt_sets.root / "by_task" / f"{task}.jsonl") for task in TASKS}
    pools["churn"].sort(key=lambda r: not r["ground_truth"]["will_churn"])
    result = Splitter(pools, SplitConfig.from_params(prompt_sets.params)).run()
    for band, c in _bands(result.benchmark).items():
        assert sorted(c.values()) == [2, 3], (band, c)
    for band, c in _bands(result.train).items():
        assert abs(c[True] - c[False]) <= 1, (band, c)
