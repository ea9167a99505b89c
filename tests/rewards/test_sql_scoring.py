"""Text-to-SQL scored by execution against a real DuckDB file."""
from __future__ import annotations

import pytest

import rewards
from rewards.sql import Canonical, cell_key, compare_results, extract_sql, gold_canonical, run_cached
from schemas.tasks import SqlTruth


def _truth(by_task: dict, difficulty: str, index: int = 0) -> dict:
    return [r for r in by_task["sql"] if r["difficulty"] == difficulty][index]["ground_truth"]


def _score(query: str, truth: dict, options) -> dict:
    return rewards.score("sql", f"```sql\n{query}\n```", truth, options=options)


@pytest.mark.parametrize("completion, query, quality", [
    ("```sql\nSELECT 1;\n```", "SELECT 1", 1.0),
    ("<think>uso count</think>\n```SQL\nSELECT 2\n```", "SELECT 2", 1.0),
    ("```\nWITH a AS (SELECT 1) SELECT * FROM a\n```", "WITH a AS (SELECT 1) SELECT * FROM a", 0.9),
    ("A consulta é: SELECT 3 AS x; ela conta.", "SELECT 3 AS x", 0.5),
    ("select 4\n\nExplicação: ...", "select 4", 0.5),
    ("Não sei responder.", None, 0.0),
    # a draft fence and then the answer: the last one counts
    ("Rascunho:\n```sql\nSELECT 1\n```\nCorrigindo:\n```sql\nSELECT 2\n```", "SELECT 2", 1.0),
    ("```\n(SELECT 5) UNION ALL (SELECT 6)\n```", "(SELECT 5) UNION ALL (SELECT 6)", 0.9),
    # bare statements run on over ';' while the next piece is a statement: refused as when fenced
    ("SELECT 1; DROP TABLE orders_enriched", "SELECT 1; DROP TABLE orders_enriched", 0.5),
    ("Execute: DELETE FROM orders_enriched", "DELETE FROM orders_enriched", 0.5),
    ("SET threads = 8", "SET threads = 8", 0.5),
    # everyday words start a statement only in capitals; prose before a query is skipped
    ("Use a consulta abaixo:\nSELECT count(*) FROM orders_enriched", "SELECT count(*) FROM orders_enriched", 0.5),
    ("Primeiro set a data, depois conte.", None, 0.0),
])
def test_extract_sql(completion: str, query: str | None, quality: float) -> None:
    assert extract_sql(completion) == (query, quality)


def test_gold_scores_one_and_column_order_and_aliases_do_not_matter(by_task: dict, options) -> None:
    truth = _truth(by_task, "aggregate", 1)  # category_pt, pedidos, receita (unordered)
    assert _score(truth["gold_sql"], truth, options)["reward"] == 1.0
    shuffled = ("SELECT sum(total_value) AS r, count(*) AS n, category_pt AS c FROM orders_enriched "
                "GROUP BY category_pt ORDER BY n")
    scores = _score(shuffled, truth, options)
    assert scores["exact"] and scores["reward"] == 1.0


def test_row_order_counts_only_when_the_gold_is_ordered(by_task: dict, options) -> None:
    ordered = _truth(by_task, "aggregate", 0)  # ORDER BY ticket_medio DESC
    assert ordered["ordered"]
    reversed_query = ordered["gold_sql"].replace("DESC", "ASC")
    scores = _score(reversed_query, ordered, options)
    assert scores["exact"] and not scores["order_ok"] and scores["task"] == 0.5
    unordered = _truth(by_task, "aggregate", 1)
    assert _score(unordered["gold_sql"] + " ORDER BY pedidos DESC", unordered, options)["task"] == 1.0


def test_float_tolerance_accepts_rounding_to_cents(by_task: dict, options) -> None:
    truth = _truth(by_task, "aggregate", 1)  # receita = sum(total_value), unrounded
    rounded = ("SELECT category_pt, count(*) AS pedidos, round(sum(total_value), 2) AS receita "
               "FROM orders_enriched GROUP BY category_pt")
    assert _score(rounded, truth, options)["exact"]
    off = ("SELECT category_pt, count(*) AS pedidos, sum(total_value) * 1.01 AS receita "
           "FROM orders_enriched GROUP BY category_pt")
    scores = _score(off, truth, options)
    assert not scores["exact"] and scores["columns_f1"] == pytest.approx(2 * 2 / 6)


def test_partial_credit_for_columns_and_rows(by_task: dict, options) -> None:
    truth = _truth(by_task, "aggregate", 1)
    missing_column = _score("SELECT category_pt, count(*) AS pedidos FROM orders_enriched GROUP BY 1", truth, options)
    some_rows = _score(truth["gold_sql"].replace("GROUP BY", "WHERE category_pt LIKE '%a%e%' GROUP BY"), truth, options)
    unrelated = _score("SELECT order_id FROM orders_enriched LIMIT 3", truth, options)
    fails = _score("SELECT nope FROM orders_enriched", truth, options)
    assert missing_column["columns_f1"] == pytest.approx(2 * 2 / 5) and missing_column["rows_f1"] == 1.0
    assert 0.0 < some_rows["rows_f1"] < 1.0 and some_rows["columns_f1"] == 1.0
    assert unrelated["columns_f1"] == 0.0 and unrelated["rows_f1"] == 0.0
    assert fails["error"] == "failed" and fails["partial"] == 0.0
    rewards_in_order = [x["reward"] for x in (fails, unrelated, missing_column)]
    assert rewards_in_order == sorted(rewards_in_order) and missing_column["reward"] < 1.0


def test_duplicates_count_as_a_multiset(by_task: dict, options) -> None:
    truth = _truth(by_task, "simple")
    doubled = f"{truth['gold_sql']} UNION ALL {truth['gold_sql']}"
    scores = _score(doubled, truth, options)
    assert not scores["exact"] and scores["rows_f1"] == pytest.approx(2 / 3)


def test_unsafe_and_timeout_earn_nothing_for_the_query(by_task: dict, options) -> None:
    truth = _truth(by_task, "simple")
    unsafe = _score("SELECT * FROM read_csv('/etc/passwd')", truth, options)
    assert unsafe["error"] == "unsafe" and unsafe["reward"] == 0.0
    slow = rewards.score("sql", "```sql\nWITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
                                "SELECT count(*) FROM r\n```", truth,
                         db_path=options.db_path, sql_timeout_s=0.3)
    assert slow["error"] == "timeout" and slow["partial"] == 0.0 and slow["reward"] == pytest.approx(0.2)


def test_gold_results_and_candidate_results_are_cached(by_task: dict, options) -> None:
    truth = SqlTruth.model_validate(_truth(by_task, "join"))
    assert gold_canonical(truth) is gold_canonical(truth)
    first = run_cached(options.db_path, truth.gold_sql, 1.0, 1000)
    assert run_cached(options.db_path, truth.gold_sql, 1.0, 1000) is first


def test_cell_keys_unify_types_and_timestamps() -> None:
    assert cell_key(5) == cell_key(5.0) == cell_key("5")
    assert cell_key(281.456) == cell_key(281.46) != cell_key(281.5)
    assert cell_key(1234567.891) == cell_key(1234567.89) != cell_key(1234568.0)
    assert cell_key(0.012341) == cell_key(0.0123449) != cell_key(0.0124)
    assert cell_key("2017-03-01T10:00:00") == cell_key("2017-03-01 10:00:00")
    assert cell_key(123456) != cell_key(123457)


def test_compare_results_on_empty_results() -> None:
    gold = Canonical.of(["a", "b"], [])
    assert compare_results(gold, Canonical.of(["x", "y"], []), ordered=False)["exact"]
    wrong_width = compare_results(gold, Canonical.of(["a"], []), ordered=False)
    assert not wrong_width["exact"] and wrong_width["columns_f1"] == pytest.approx(2 / 3)
