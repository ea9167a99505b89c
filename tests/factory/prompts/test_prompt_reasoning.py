"""Reasoning: procedural problems with exact answers, and local Hugging Face datasets mixed in."""
from __future__ import annotations

import json
import random
import re
from decimal import Decimal

import datasets
import pytest

from factory.prompts.base import GenerationContext
from factory.prompts.hf_mix import load_local, mixed_rows, parse_number
from factory.prompts.reasoning import BUILDERS, STRATUM_OF, TEMPLATES, ReasoningGenerator, cents, show

from .conftest import small_params


def run(params):
    return ReasoningGenerator(GenerationContext(params)).run()


@pytest.mark.parametrize("text, value", [
    ("#### 72", 72.0), ("Resposta: 1.234,56", 1234.56), ("Resposta: -4,25", -4.25), ("custa R$ 3,5", 3.5),
    ("total de 1,200 reais", 1200.0), ("x = 0.125", 0.125), ("Resposta: 1.234", 1234.0), ("nada", None),
    ("de 12 para 15", 15.0),
])
def test_parse_number_reads_pt_br_and_en(text, value):
    assert parse_number(text) == value


def test_answers_are_exact_against_an_independent_recomputation():
    rng = random.Random(5)
    slots, steps, answer, _ = BUILDERS["discount"](rng)
    price = Decimal(slots["price"].removeprefix("R$ ").replace(".", "").replace(",", "."))
    assert answer == price - cents(price * slots["d"] / 100)
    slots, _, answer, _ = BUILDERS["rating_mean"](random.Random(1))
    count = slots["a"] + slots["b"] + slots["c"] + slots["d"]
    assert answer == cents(Decimal(5 * slots["a"] + 4 * slots["b"] + 3 * slots["c"] + slots["d"]) / count)
    assert show(Decimal("1234")) == "1234" and show(Decimal("12.5"), True) == "12,50"


def test_generator_is_deterministic_and_covers_every_family():
    records, report = run(small_params())
    again, _ = run(small_params())
    assert records == again
    users = [r["messages"][1]["content"] for r in records]
    for name, template in TEMPLATES.items():
        literal = max(re.split(r"\{[^}]*\}", template), key=len)
        assert any(literal in u for u in users), name
    assert {r["difficulty"] for r in records} == set(STRATUM_OF.values())
    assert report.kept == {s: len([r for r in records if r["difficulty"] == s]) for s in report.kept}
    assert run(small_params(seed=3))[0] != records


@pytest.fixture()
def local_sets(tmp_path):
    rows = [{"q": "Quanto é 2 + 2?", "a": "A soma dá 4.\n#### 4"}, {"q": "Metade de 9?", "a": "Resposta: 4,5"},
            {"q": "Qual a cor do céu?", "a": "azul"}, {"q": "", "a": "1"}]
    jsonl = tmp_path / "mix.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    csv = tmp_path / "mix.csv"
    csv.write_text("pergunta,resposta\n\"Dobro de 21?\",42\n", encoding="utf-8")
    saved = tmp_path / "saved"
    datasets.DatasetDict({"train": datasets.Dataset.from_list(rows[:2]),
                          "test": datasets.Dataset.from_list(rows[2:3])}).save_to_disk(str(saved))
    return jsonl, csv, saved


def test_local_datasets_load_from_files_and_save_to_disk(local_sets):
    jsonl, csv, saved = local_sets
    assert load_local(jsonl).num_rows == 4
    assert load_local(csv).column_names == ["pergunta", "resposta"]
    assert load_local(saved, "train").num_rows == 2
    with pytest.raises(KeyError, match="split 'dev'"):
        load_local(saved, "dev")
    with pytest.raises(FileNotFoundError):
        load_local(jsonl.parent / "absent.json")


def test_mixed_rows_skip_and_count_unusable_ones(local_sets):
    jsonl, csv, saved = local_sets
    rows, skipped = mixed_rows([
        {"path": str(jsonl), "question": "q", "answer": "a"},
        {"path": str(csv), "question": "pergunta", "answer": "resposta", "difficulty": "arithmetic"},
        {"path": str(saved), "split": "train", "question": "q", "answer": "a", "max_rows": 1},
    ])
    assert [(r.dataset, r.answer, r.difficulty) for r in rows] == [
        ("mix.jsonl", 4.0, "multi_step"), ("mix.jsonl", 4.5, "multi_step"), ("mix.csv", 42.0, "arithmetic"),
        ("saved", 4.0, "multi_step")]
    assert skipped == {"mix.jsonl: answer has no number": 1, "mix.jsonl: empty question": 1}
    with pytest.raises(KeyError, match="column 'pergunta'"):
        mixed_rows([{"path": str(jsonl), "question": "pergunta"}])


def test_hf_rows_come_first_in_the_reasoning_pool(local_sets):
    jsonl, _, _ = local_sets
    params = small_params()
    params["mix"]["hf_datasets"] = [{"path": str(jsonl), "question": "q", "answer": "a"}]
    records, report = run(params)
    multi = [r for r in records if r["difficulty"] == "multi_step"]
    assert [r["source"]["table"] for r in multi[:2]] == ["hf:mix.jsonl", "hf:mix.jsonl"]
    assert multi[0]["ground_truth"]["answer"] == 4.0 and multi[0]["ground_truth"]["reference"].endswith("Resposta: 4,00")
    assert report.notes["hf_rows"] == 2 and report.rejected == {"mix.jsonl: answer has no number": 1,
                                                                 "mix.jsonl: empty question": 1}
