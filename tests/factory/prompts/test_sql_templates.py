"""The SQL template library and the held-out templates: the benchmark asks questions training never saw."""
from __future__ import annotations

import itertools
import json
import re
import string
from collections import Counter

import duckdb
import pytest

from common.io import read_jsonl
from factory.prompts.base import GenerationContext
from factory.prompts.split import SplitConfig, SplitError, Splitter, choose_heldout_templates
from factory.prompts.sql import _escape, _slot_names, execute_gold, rejection, slot_values
from factory.prompts.sql_templates import FIXED_SLOTS, SLOT_SQL, TEMPLATES
from schemas.records import read_records
from schemas.tasks import STRATA, TASKS

from .conftest import small_params


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_library_has_at_least_60_templates_over_the_three_strata():
    names = [t.name for t in TEMPLATES]
    assert len(names) == len(set(names)) and len(names) >= 60
    per_stratum = Counter(t.stratum for t in TEMPLATES)
    assert set(per_stratum) == set(STRATA["sql"]) and min(per_stratum.values()) >= 18, per_stratum
    assert len({t.question for t in TEMPLATES}) == len(TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_template_slots_fill_both_question_and_sql(template):
    provided = set()
    for kind in template.slots:
        assert kind in SLOT_SQL or kind in FIXED_SLOTS or kind == "late_category", kind
        for part in kind.split(","):
            provided |= set(_slot_names("category" if part == "late_category" else part,
                                        "2017-03" if part == "month" else "BA"))
    assert fields(template.sql) <= provided, template.name
    assert fields(template.question) <= provided, template.name
    assert template.sql.lstrip().upper().startswith("SELECT")
    # an analyst's question in PT-BR, not a column dump: it ends as a question or an instruction
    assert template.question.rstrip().endswith(("?", ".")) and "  " not in template.question


def test_every_template_answers_on_the_synthetic_db(synthetic_db):
    ctx = GenerationContext(small_params(), synthetic_db)
    try:
        values = slot_values(ctx)
        silent = []
        for t in TEMPLATES:
            combos = [{k: v for part in c for k, v in part.items()}
                      for c in itertools.islice(itertools.product(*(values[k] for k in t.slots)), 30)]
            answered = 0
            for raw in combos:
                _, rows, _ = execute_gold(ctx.con, t.sql.format(**{k: _escape(v) for k, v in raw.items()}))
                answered += rejection(rows, 20) is None
            if not answered:
                silent.append(t.name)
    finally:
        ctx.close()
    assert not silent, f"templates with no accepted instance: {silent}"


def test_state_names_take_their_article():
    names = _slot_names("state", "BA")
    assert names["de_state"] == "da Bahia (BA)"
    assert _slot_names("state", "SP")["de_state"] == "de São Paulo (SP)"
    assert _slot_names("state", "PR")["de_state"] == "do Paraná (PR)"
    assert not any("de {state_name}" in t.question for t in TEMPLATES)


def test_every_sql_record_names_its_template(prompt_sets):
    pool = read_jsonl(prompt_sets.root / "by_task" / "sql.jsonl")
    by_name = {t.name: t for t in TEMPLATES}
    for r in pool:
        name = r["source"]["template"]
        assert r["source"]["keys"][0].startswith(f"sql:{name}:")
        assert by_name[name].stratum == r["difficulty"]
    assert len({r["source"]["template"] for r in pool}) >= 45
    others = [r for t in TASKS if t != "sql" for r in read_jsonl(prompt_sets.root / "by_task" / f"{t}.jsonl")]
    assert all("template" not in r["source"] for r in others)


def test_benchmark_sql_comes_only_from_held_out_templates(prompt_sets):
    splits = {s: read_jsonl(prompt_sets.root / f"{s}.jsonl") for s in ("train", "val", "benchmark")}
    seen = {r["source"]["template"] for r in splits["train"] + splits["val"] if r["task"] == "sql"}
    bench = [r for r in splits["benchmark"] if r["task"] == "sql"]
    heldout = prompt_sets.metrics["sql_templates"]["heldout"]
    assert len(bench) == 15 and not {r["source"]["template"] for r in bench} & seen
    for r in bench:
        assert r["source"]["template"] in heldout[r["difficulty"]]
    # one benchmark prompt per held-out template: five distinct unseen questions per stratum
    assert len({r["source"]["template"] for r in bench}) == 15
    m = prompt_sets.metrics["sql_templates"]
    assert m["benchmark_sql_from_seen_templates"] == 0 and m["benchmark_sql_prompts"] == 15
    assert m["heldout_count"] == 15 and all(len(v) == 5 for v in heldout.values())
    assert m["train_val_count"] == len(seen) >= 40
    removed = read_jsonl(prompt_sets.root / "removed.jsonl")
    held = {t for v in heldout.values() for t in v}
    assert {r["ref"] for r in removed if r["reason"] == "heldout_template"} <= held
    manifest = json.loads((prompt_sets.root / "manifest.json").read_text())
    assert manifest["heldout_sql_templates"] == heldout


def test_held_out_choice_is_seeded_and_checked(prompt_sets):
    pool = read_records(prompt_sets.root / "by_task" / "sql.jsonl")
    first = choose_heldout_templates(pool, 5, seed=0)
    assert first == choose_heldout_templates(list(reversed(pool)), 5, seed=0)   # order-independent
    assert first != choose_heldout_templates(pool, 5, seed=1)
    assert all(len(v) == 5 for v in choose_heldout_templates(pool, 5, seed=1).values())
    per_stratum = Counter(r["difficulty"] for r in {r["source"]["template"]: r for r in pool}.values())
    with pytest.raises(SplitError, match=r"sql/\w+: the pool has \d+ templates; holding out"):
        choose_heldout_templates(pool, max(per_stratum.values()), seed=0)
    with pytest.raises(SplitError, match="heldout_templates must be >= 1"):
        choose_heldout_templates(pool, 0, seed=0)


def test_held_out_templates_short_of_benchmark_prompts_is_an_error(prompt_sets):
    pools = {t: read_records(prompt_sets.root / "by_task" / f"{t}.jsonl") for t in TASKS}
    cfg = SplitConfig.from_params(small_params())
    heldout = choose_heldout_templates(pools["sql"], cfg.heldout_templates, cfg.seed)
    # one instance per held-out join template, three of them from the same source row as the first:
    # the benchmark can hold only 2 unseen join questions
    first_keys = next(r["source"]["keys"] for r in pools["sql"] if r["source"]["template"] == heldout["join"][0])
    kept = []
    for r in pools["sql"]:
        name = r["source"]["template"]
        if name in heldout["join"]:
            if any(k["source"]["template"] == name for k in kept):
                continue
            r = json.loads(json.dumps(r))
            if heldout["join"].index(name) >= 2:
                r["source"]["keys"] = list(first_keys)
        kept.append(r)
    pools["sql"] = kept
    with pytest.raises(SplitError, match="benchmark needs 5 'sql/join' prompts, the data gives 2 of its held-out templates"):
        Splitter(pools, cfg).run()


def test_gold_sql_matches_the_question_filters(prompt_sets):
    """The values a question names are the values its gold query filters on."""
    con = duckdb.connect(str(prompt_sets.db), read_only=True)
    try:
        for r in read_jsonl(prompt_sets.root / "benchmark.jsonl"):
            if r["task"] != "sql":
                continue
            question, sql = r["messages"][-1]["content"], r["ground_truth"]["gold_sql"]
            for code in re.findall(r"= '([A-Z]{2})'", sql):
                assert f"({code})" in question or code in question, (r["id"], code)
            for year in re.findall(r"year\([a-z_.]+\) = (\d{4})", sql):
                assert year in question, (r["id"], year)
            assert con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0] == len(r["ground_truth"]["rows"])
    finally:
        con.close()
