"""The execution-match rules of issue 10 item 3, each on real DuckDB results: NaN, DATE vs
TIMESTAMP at midnight, ties under ORDER BY, LIMIT judged on the tie set; and the outcomes."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import rewards
from rewards.sandbox import SqlSandbox
from rewards.sql_match import Canonical, cell_key, compare_results, gold_plan
from schemas.tasks import SqlTruth

SCORES = [("ana", 9), ("bia", 7), ("caio", 7), ("davi", 7), ("eva", 3), ("fabio", 1)]


@pytest.fixture(scope="module")
def ties_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny database with tied sort keys, a NaN and dates (not the commerce layout)."""
    path = tmp_path_factory.mktemp("ties") / "ties.db"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE notas (nome VARCHAR, nota INTEGER, peso DOUBLE, dia TIMESTAMP)")
    con.executemany("INSERT INTO notas VALUES (?, ?, ?, ?)",
                    [(n, s, (float("nan") if n == "eva" else s / 2), f"2017-03-{i + 1:02d} 00:00:00")
                     for i, (n, s) in enumerate(SCORES)])
    con.close()
    return path


@pytest.fixture(scope="module")
def ties_options(ties_db: Path):
    return rewards.options(db_path=ties_db)


def _truth(db: Path, gold_sql: str) -> dict:
    """A ground truth as the prompt builder writes it: the gold executed, unordered rows sorted."""
    from factory.prompts.sql import execute_gold

    con = duckdb.connect(str(db), read_only=True)
    try:
        columns, rows, ordered = execute_gold(con, gold_sql)
    finally:
        con.close()
    return SqlTruth(gold_sql=gold_sql, columns=columns, rows=rows, ordered=ordered).model_dump()


def _score(query: str, truth: dict, options) -> dict:
    return rewards.score("sql", f"```sql\n{query}\n```", truth, options=options)


def test_nan_equals_nan(ties_db: Path, ties_options) -> None:
    truth = _truth(ties_db, "SELECT nome, peso FROM notas WHERE nome = 'eva'")
    assert cell_key(truth["rows"][0][1]) == cell_key("nan") == cell_key(float("nan"))
    scores = _score("SELECT nome, 'NaN'::DOUBLE AS peso FROM notas WHERE nota = 3", truth, ties_options)
    assert scores["exact"], scores
    assert _score("SELECT nome, NULL::DOUBLE AS peso FROM notas WHERE nota = 3", truth, ties_options)["exact"] is False


def test_a_date_equals_the_timestamp_at_its_midnight(ties_db: Path, ties_options) -> None:
    truth = _truth(ties_db, "SELECT nome, CAST(dia AS DATE) AS dia FROM notas")
    assert truth["rows"][0][1] == "2017-03-01"
    as_timestamp = _score("SELECT nome, date_trunc('day', dia) AS dia FROM notas", truth, ties_options)
    assert as_timestamp["outcome"] == "right", as_timestamp
    noon = _score("SELECT nome, dia + INTERVAL 12 HOUR AS dia FROM notas", truth, ties_options)
    assert not noon["exact"]
    assert cell_key("2017-03-01T00:00:00") == cell_key("2017-03-01") != cell_key("2017-03-01 00:00:01")


def test_tied_rows_may_come_in_any_order(ties_db: Path, ties_options) -> None:
    truth = _truth(ties_db, "SELECT nome, nota FROM notas ORDER BY nota DESC")
    assert truth["ordered"]
    other_tie_order = _score("SELECT nome, nota FROM notas ORDER BY nota DESC, nome DESC", truth, ties_options)
    assert other_tie_order["outcome"] == "right" and other_tie_order["task"] == 1.0, other_tie_order
    wrong_order = _score("SELECT nome, nota FROM notas ORDER BY nota ASC", truth, ties_options)
    assert wrong_order["exact"] and not wrong_order["order_ok"] and wrong_order["task"] == 0.5


def test_order_is_checked_between_rows_that_differ_on_the_keys() -> None:
    gold = Canonical.of(["nome", "nota"], [["ana", 9], ["bia", 7], ["caio", 7], ["eva", 3]]).ordered_by((1,))
    swapped_tie = Canonical.of(["n", "x"], [["ana", 9], ["caio", 7], ["bia", 7], ["eva", 3]])
    crossed = Canonical.of(["n", "x"], [["ana", 9], ["caio", 7], ["eva", 3], ["bia", 7]])
    assert compare_results(gold, swapped_tie, ordered=True)["order_ok"]
    assert not compare_results(gold, crossed, ordered=True)["order_ok"]
    strict = Canonical.of(["nome", "nota"], [["ana", 9], ["bia", 7], ["caio", 7], ["eva", 3]]).ordered_by(None)
    assert not compare_results(strict, swapped_tie, ordered=True)["order_ok"]  # keys unknown: strict


def test_limit_with_ties_is_judged_on_the_tie_set(ties_db: Path, ties_options) -> None:
    truth = _truth(ties_db, "SELECT nome, nota FROM notas ORDER BY nota DESC LIMIT 2")
    assert len(truth["rows"]) == 2 and truth["rows"][1][1] == 7  # one of bia, caio, davi
    for last in ("nome DESC", "nome ASC", "length(nome), nome"):
        other_member = _score(f"SELECT nome, nota FROM notas ORDER BY nota DESC, {last} LIMIT 2", truth, ties_options)
        assert other_member["outcome"] == "right", (last, other_member)
    not_a_member = _score("SELECT nome, nota FROM notas WHERE nota <> 7 ORDER BY nota DESC LIMIT 2", truth, ties_options)
    assert not not_a_member["exact"]
    two_from_the_tie = _score("SELECT nome, nota FROM notas WHERE nota = 7 LIMIT 2", truth, ties_options)
    assert not two_from_the_tie["exact"], "the row ranked above the tie must be there"
    three = _score("SELECT nome, nota FROM notas ORDER BY nota DESC LIMIT 3", truth, ties_options)
    assert not three["exact"]


def test_gold_plans_read_the_outer_order_by_and_limit() -> None:
    plan = gold_plan("SELECT a, count(*) AS n FROM t GROUP BY 1 ORDER BY n DESC, 1 LIMIT 3", ("a", "n"))
    assert plan.order_keys == (1, 0) and plan.limit == 3 and "QUALIFY rank() OVER" in plan.with_ties_sql(2)
    hidden = gold_plan("SELECT a FROM t GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1", ("a",))
    assert hidden.order_keys is None and hidden.with_ties_sql(1) is None
    aliased = gold_plan("SELECT x AS y, z FROM t ORDER BY y, t.z DESC", ("y", "z"))
    assert aliased.order_keys == (0, 1) and aliased.limit is None
    offset = gold_plan("SELECT a FROM t ORDER BY a LIMIT 2 OFFSET 1", ("a",))
    assert offset.order_keys == (0,) and offset.limit is None


def test_each_outcome_and_its_credit(ties_db: Path, ties_options) -> None:
    truth = _truth(ties_db, "SELECT nome, nota FROM notas WHERE nota >= 7")
    cases = {
        "right": "SELECT nota, nome FROM notas WHERE nota > 5",
        "partial": "SELECT nome, nota FROM notas WHERE nota >= 9",
        "wrong": "SELECT nome, nota FROM notas WHERE nota < 5",
        "error": "SELECT nope FROM notas",
        "unsafe": "DROP TABLE notas",
    }
    got = {name: _score(query, truth, ties_options) for name, query in cases.items()}
    assert {name: s["outcome"] for name, s in got.items()} == {name: name for name in cases}
    assert got["right"]["reward"] == 1.0
    assert 0 < got["partial"]["partial"] < 1 and got["partial"]["task"] == 0.0
    format_only = ties_options.weights["format"] / sum(ties_options.weights.values())
    for name in ("wrong", "error"):  # well-formed but wrong: never above the format weight
        assert got[name]["partial"] == got[name]["task"] == 0.0 and got[name]["reward"] == pytest.approx(format_only)
    assert got["unsafe"]["reward"] == got["unsafe"]["format"] == 0.0
    for nothing in ("", "Não sei escrever essa consulta.", "```sql\n```", "<think>SELECT nome FROM notas"):
        s = rewards.score("sql", nothing, truth, options=ties_options)
        assert (s["format"], s["partial"], s["task"], s["reward"]) == (0.0, 0.0, 0.0, 0.0), nothing


@pytest.mark.parametrize("statement", [
    "DROP TABLE notas", "DELETE FROM notas", "UPDATE notas SET nota = 10", "SELECT 1; DROP TABLE notas",
    "INSERT INTO notas VALUES ('x', 1, 1, NULL)", "COPY notas TO 'out.csv'", "ATTACH 'x.db' AS x",
    "PRAGMA database_list", "SET threads = 4",
])
def test_fenced_and_bare_forms_get_the_same_verdict(statement: str, ties_db: Path, ties_options) -> None:
    truth = _truth(ties_db, "SELECT count(*) AS n FROM notas")
    fenced = rewards.score("sql", f"```sql\n{statement}\n```", truth, options=ties_options)
    bare = rewards.score("sql", f"A resposta é:\n{statement}", truth, options=ties_options)
    assert fenced["outcome"] == bare["outcome"] == "unsafe", (fenced, bare)
    assert fenced["reward"] == bare["reward"] == 0.0


def test_fenced_and_bare_right_answers_agree(ties_db: Path, ties_options) -> None:
    truth = _truth(ties_db, "SELECT count(*) AS n FROM notas WHERE nota = 7")
    query = "SELECT count(*) AS total FROM notas WHERE nota = 7"
    fenced = rewards.score("sql", f"```sql\n{query};\n```", truth, options=ties_options)
    bare = rewards.score("sql", f"Consulta: {query}; ela conta as notas 7.", truth, options=ties_options)
    assert (fenced["outcome"], fenced["task"]) == (bare["outcome"], bare["task"]) == ("right", 1.0)


def test_the_sandbox_serves_variants_by_index(ties_db: Path) -> None:
    from rewards.sql_variants import variants_for

    variants = variants_for(ties_db)
    box = SqlSandbox(ties_db, variants=variants.paths)
    try:
        counts = [box.execute("SELECT count(*) FROM notas", database=k).rows[0][0] for k in range(variants.count + 1)]
        assert counts[0] == len(SCORES) and all(c <= len(SCORES) for c in counts[1:])
        with pytest.raises(ValueError, match="out of range"):
            box.execute("SELECT 1", database=variants.count + 1)
    finally:
        box.close()
