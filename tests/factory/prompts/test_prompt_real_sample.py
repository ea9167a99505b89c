"""The whole prompt pipeline on the real Olist + B2W samples in ../shared/data (skipped when absent)."""
from __future__ import annotations

import copy

import pytest

from factory import db
from factory.config import load_params
from common.io import read_jsonl
from factory.prompts.base import BENCHMARK_STRATA
from factory.prompts.label_quality import gold_source_keys
from factory.prompts.validate import check_prompt_sets
from factory.sources import ingest

from .conftest import REPO, build_prompt_sets


@pytest.fixture(scope="module")
def real_sets(shared_data, tmp_path_factory):
    params = copy.deepcopy(load_params(REPO / "params.yaml"))
    params["data"].update(source="olist", olist_dir=str(shared_data / "olist-sample"),
                          b2w_path=str(shared_data / "b2w-sample" / "B2W-Reviews01.sample.csv"))
    root = tmp_path_factory.mktemp("real")
    ingest(params["data"], root / "raw")
    db.build(root / "raw", root / "commerce.db")
    return build_prompt_sets(root / "commerce.db", root / "prompts", params)


def test_real_sample_builds_the_full_default_sets(real_sets):
    m = real_sets.metrics
    assert m["benchmark"]["per_task"] == BENCHMARK_STRATA
    assert m["leakage"] == {"exact": 0, "ngram_8": 0, "source_keys": 0, "review_text": 0, "sql_template": 0}
    assert m["sql_templates"]["benchmark_sql_from_seen_templates"] == 0
    assert m["review_text_overlap"]["benchmark_reviews_seen_verbatim"] == 0
    counts = real_sets.params["prompts"]["counts"]
    for task, n in counts.items():
        if n is None:  # the general mix (reasoning) follows mix.general_ratio
            continue
        got = sum(m[s]["per_task"].get(task, {}).get(k, 0) for s in ("train", "val") for k in m[s]["per_task"].get(task, {}))
        assert got == n or task in m["shortfall"], task
    tables = {r["source"]["table"] for r in read_jsonl(real_sets.root / "train.jsonl")}
    assert {"orders_enriched", "b2w_reviews", "commerce.db", "customer_features", "procedural"} <= tables
    card = (real_sets.root / "hf" / "README.md").read_text()
    assert "Olist" in card and "B2W" in card and "CC BY-NC-SA 4.0" in card


def test_real_sample_passes_validation(real_sets):
    report, extra = check_prompt_sets(real_sets.root, real_sets.db, real_sets.params)
    assert report.success, report.failures
    assert extra["record_errors"] == 0 and extra["sql_gold_checked"] > 100


def test_real_sample_keeps_the_gold_reviews_out(real_sets):
    """The gold set was drawn from these samples: its reviews are excluded from the review pools, so
    no benchmark, train or val prompt is a gold review."""
    gold = gold_source_keys(REPO / real_sets.params["prompts"]["labeler"]["gold"])
    for task in ("extraction", "sentiment"):
        report = real_sets.reports[task]["gold"]
        assert report["entries"] == len(gold) and report["in_records"] == 0
        assert report["excluded"] >= 300, report
        assert set(report["excluded_per_table"]) == {"orders_enriched", "b2w_reviews"}
    for name in ("benchmark.jsonl", "train.jsonl", "val.jsonl"):
        keys = {k for r in read_jsonl(real_sets.root / name) for k in r["source"]["keys"]}
        assert not keys & gold, name
