"""The gold set is kept out of the review prompt pools, and both curation files are named by params."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.io import read_jsonl
from factory.params import ParamsError
from factory.prompts.build import generate_task
from factory.prompts.curation import Curation
from factory.prompts.label_quality import GoldError, gold_source_keys

from .conftest import REPO, small_params

REVIEW_TASKS = ("extraction", "sentiment")


def _gold_file(tmp_path: Path, review_id: str) -> Path:
    """A one-line gold set: the first Olist gold row of the committed set, under another review id."""
    params = small_params()
    committed = REPO / params["prompts"]["labeler"]["gold"]
    row = next(r for r in read_jsonl(committed) if r["source"] == "olist")
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({**row, "review_id": review_id}, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("task", REVIEW_TASKS)
def test_the_committed_gold_set_changes_nothing_on_synthetic_data(prompt_sets, task):
    """The synthetic twin shares no review with the real gold set: nothing is excluded."""
    gold = prompt_sets.reports[task]["gold"]
    assert gold["file"] == prompt_sets.params["prompts"]["labeler"]["gold"]
    assert gold["entries"] == len(gold_source_keys(REPO / gold["file"])) >= 300
    assert (gold["excluded"], gold["excluded_per_table"], gold["in_records"]) == (0, {}, 0)


@pytest.mark.parametrize("task", REVIEW_TASKS)
def test_a_gold_review_is_kept_out_of_the_pool(synthetic_db, tmp_path, task):
    params = small_params()
    generate_task(task, params, synthetic_db, tmp_path / "before", tmp_path / "before")
    before = read_jsonl(tmp_path / "before" / "by_task" / f"{task}.jsonl")
    olist = next(r for r in before if r["source"]["table"] == "orders_enriched")
    gold_key = olist["source"]["keys"][0]
    params["prompts"]["labeler"]["gold"] = str(_gold_file(tmp_path, gold_key.split(":", 1)[1]))
    report = generate_task(task, params, synthetic_db, tmp_path / "after", tmp_path / "after")
    after = read_jsonl(tmp_path / "after" / "by_task" / f"{task}.jsonl")
    assert gold_key not in {r["source"]["keys"][0] for r in after}
    assert report["gold"] == {"file": params["prompts"]["labeler"]["gold"], "entries": 1, "excluded": 1,
                              "excluded_per_table": {"orders_enriched": 1}, "in_records": 0}
    assert len(after) == len(before)  # the pool is deep enough to fill every stratum without it


def test_curation_files_come_from_params(tmp_path):
    params = small_params()
    del params["prompts"]["labeler"]["gold"]
    with pytest.raises(ParamsError, match="prompts.labeler.gold: missing"):
        Curation.from_params(params)
    params["prompts"]["labeler"]["gold"] = str(tmp_path / "absent.jsonl")
    with pytest.raises(GoldError, match=r"params.yaml prompts.labeler.gold: .*absent.jsonl: gold set missing"):
        Curation.from_params(params)
