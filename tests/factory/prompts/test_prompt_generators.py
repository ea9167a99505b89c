"""Each task's pool: valid records, and ground truth that the database itself confirms."""
from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

from common.io import read_jsonl
from factory.prompts.hf_mix import parse_number
from factory.prompts.sql import execute_gold, is_ordered, rejection
from schemas.records import PromptRecord
from schemas.tasks import STRATA, TASKS, parse_truth


def pool(built, task):
    return read_jsonl(built.root / "by_task" / f"{task}.jsonl")


@pytest.mark.parametrize("task", TASKS)
def test_every_record_is_valid_and_covers_every_stratum(prompt_sets, task):
    records = pool(prompt_sets, task)
    assert records, f"{task}: empty pool"
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    for r in records:
        PromptRecord.model_validate(r)
        parse_truth(task, r["ground_truth"])
        assert r["id"].startswith(f"{task}-{r['difficulty']}-")
        assert [m["role"] for m in r["messages"]] == ["system", "user"]
    assert {r["difficulty"] for r in records} == set(STRATA[task])


def test_sql_gold_reexecutes_to_the_stored_result(prompt_sets):
    con = duckdb.connect(str(prompt_sets.db), read_only=True)
    try:
        for r in pool(prompt_sets, "sql"):
            truth = r["ground_truth"]
            columns, rows, ordered = execute_gold(con, truth["gold_sql"])
            assert (columns, rows, ordered) == (truth["columns"], truth["rows"], truth["ordered"]), r["id"]
            assert rows and len(rows) <= prompt_sets.params["prompts"]["sql"]["max_result_rows"]
    finally:
        con.close()
    assert len({r["ground_truth"]["gold_sql"].split(" FROM ")[0] for r in pool(prompt_sets, "sql")}) > 10


def test_sql_rejections_and_ordering_rules():
    assert rejection([], 20) == "empty_result"
    assert rejection([[i] for i in range(21)], 20) == "too_many_rows"
    assert rejection([[0]], 20) == "null_or_zero_result"
    assert rejection([[None, None]], 20) == "null_or_zero_result"
    assert rejection([["SP", 0]], 20) is None
    assert rejection([[3]], 20) is None
    assert is_ordered("SELECT a FROM t ORDER BY a")
    assert not is_ordered("SELECT a FROM (SELECT a FROM t ORDER BY a LIMIT 3)")
    assert not is_ordered("SELECT sum(x) OVER (ORDER BY m) FROM t")


def test_churn_label_is_what_happened_after_the_cutoff(prompt_sets):
    con = duckdb.connect(str(prompt_sets.db), read_only=True)
    try:
        records = pool(prompt_sets, "churn")
        for r in records:
            truth = r["ground_truth"]
            customer = r["source"]["keys"][0].removeprefix("customer:")
            cutoff = dt.date.fromisoformat(truth["cutoff_date"])
            end = cutoff + dt.timedelta(days=truth["horizon_days"])
            after, before = con.execute(
                "SELECT count(*) FILTER (WHERE purchase_ts >= ? AND purchase_ts < ?), count(*) FILTER (WHERE purchase_ts < ?) "
                "FROM orders_enriched WHERE customer_unique_id = ?", [cutoff, end, cutoff, customer]).fetchone()
            assert truth["will_churn"] == (after == 0), r["id"]
            user = r["messages"][1]["content"]
            assert f"Pedidos até a data de corte: {before}\n" in user  # only facts before the cutoff
            data_end = con.execute("SELECT max(purchase_ts) FROM orders_enriched").fetchone()[0]
            assert end <= data_end.date() + dt.timedelta(days=1)  # the outcome window is observed
    finally:
        con.close()
    rates = {}
    for r in records:  # one calibration target per stratum, measured on outcomes
        rates.setdefault(r["difficulty"], set()).add(r["ground_truth"]["churn_probability"])
    assert all(len(v) == 1 for v in rates.values()), rates
    assert any(not r["ground_truth"]["will_churn"] for r in records)  # the synthetic data has returning customers


def test_insights_facts_match_the_database(prompt_sets):
    con = duckdb.connect(str(prompt_sets.db), read_only=True)
    checked = 0
    try:
        for r in pool(prompt_sets, "insights"):
            _, kind, entities = r["source"]["keys"][0].split(":", 2)
            if kind != "compare_states":
                continue
            facts = {f["name"]: f["value"] for f in r["ground_truth"]["facts"]}
            for state in entities.split("|"):
                orders, revenue = con.execute(
                    "SELECT count(*), round(sum(total_value), 2) FROM orders_enriched WHERE customer_state = ?", [state]
                ).fetchone()
                name = next(n for n in facts if n.startswith("pedidos ") and f"({state})" in n)
                assert facts[name] == orders
                assert facts[name.replace("pedidos", "receita", 1)] == pytest.approx(revenue)
                checked += 1
            assert r["ground_truth"]["reference"] and r["ground_truth"]["entities"]
    finally:
        con.close()
    assert checked >= 4


def test_push_reference_meets_its_own_constraints(prompt_sets):
    for r in pool(prompt_sets, "push"):
        t = r["ground_truth"]
        ref = t["reference"]
        assert len(ref) <= t["max_chars"]
        assert t["category"].lower() in ref.lower()
        percents = [float(p) for p in re.findall(r"(\d+)\s*%", ref)]
        if t["allowed_discount_pct"] is None:
            assert not percents and "desconto" not in ref.lower()
        else:
            assert all(p <= t["allowed_discount_pct"] for p in percents)
        assert str(t["max_chars"]) in r["messages"][1]["content"]


def test_reasoning_reference_ends_in_its_exact_answer(prompt_sets):
    for r in pool(prompt_sets, "reasoning"):
        t = r["ground_truth"]
        last = t["reference"].strip().splitlines()[-1]
        assert last.startswith("Resposta: ")
        assert parse_number(last) == pytest.approx(t["answer"], abs=1e-9), r["id"]


def test_extraction_pool_mixes_olist_and_b2w_and_strata(prompt_sets):
    records = pool(prompt_sets, "extraction")
    tables = {r["source"]["table"] for r in records}
    assert tables == {"orders_enriched", "b2w_reviews"}
    hard = [r for r in records if r["difficulty"] == "hard"]
    assert len({r["ground_truth"]["sentiment"] for r in hard}) >= 2
    assert all(r["ground_truth"]["main_complaint"] == "" for r in records if r["ground_truth"]["complaint_category"] == "nenhuma")
