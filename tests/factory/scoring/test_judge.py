"""The insights LLM judge over real HTTP: factory.serving on 127.0.0.1 serving a real (tiny) model.

A tiny model is fine-tuned here for a few seconds to answer the rubric JSON, so a parsed verdict can
be checked exactly; the random-init model gives unparseable output, which must never become a number.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from common.io import write_jsonl
from factory.scoring.benchmark import make_scorer, score_benchmark
from factory.scoring.metrics import summarize
from rewards.judge import InsightsJudge, JudgeConfig, JudgeError
from schemas.tasks import InsightsTruth

from .conftest import benchmark_records, project_params, score_paths, serve

RUBRIC_ANSWER = '{"correcao": 4, "fundamentacao": 3, "clareza": 5, "acionabilidade": 2}'
EXPECTED_SCORE = ((4 - 1) + (3 - 1) + (5 - 1) + (2 - 1)) / 4 / 4  # dimensions 1-5 mapped to [0, 1], averaged

INSIGHTS = [
    ("comparison", "Compare o número de pedidos de SP e RJ em 2018.",
     {"facts": [{"name": "pedidos_SP", "value": 120.0}, {"name": "pedidos_RJ", "value": 80.0}],
      "entities": ["SP", "RJ"], "reference": "SP teve 120 pedidos e RJ teve 80. SP vendeu 50% a mais que RJ."}),
    ("trend", "Como evoluiu o faturamento entre janeiro e março de 2018?",
     {"facts": [{"name": "faturamento_jan", "value": 1000.0, "unit": "R$"}, {"name": "faturamento_mar", "value": 1500.0, "unit": "R$"}],
      "entities": ["janeiro", "março"], "reference": "O faturamento subiu de R$ 1000 em janeiro para R$ 1500 em março, alta de 50%."}),
]


def insights_records() -> list[dict]:
    return [{"id": f"insights-{stratum}-{i:04d}", "task": "insights", "difficulty": stratum,
             "messages": [{"role": "system", "content": "Responda como analista de e-commerce, em português."},
                          {"role": "user", "content": question}],
             "ground_truth": truth, "source": {"table": "orders_enriched", "keys": []}}
            for i, (stratum, question, truth) in enumerate(INSIGHTS)]


def _train_constant_answer(model_dir: Path, conversations: list[list[dict]], answer: str,
                           max_steps: int = 200, target_loss: float = 0.02) -> None:
    """Fine-tune in place until greedy decoding answers `answer` after these prompts (and, being a
    constant, after other insights prompts too). One torch thread: much faster on a shared 2-core box."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    target = tokenizer(answer + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    prompts = [tokenizer(tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False),
                         add_special_tokens=False)["input_ids"] for c in conversations]
    width = max(len(p) for p in prompts) + len(target)
    pad = tokenizer.pad_token_id
    ids = torch.tensor([p + target + [pad] * (width - len(p) - len(target)) for p in prompts])
    labels = torch.tensor([[-100] * len(p) + target + [-100] * (width - len(p) - len(target)) for p in prompts])
    mask = (labels != -100) | (torch.arange(width) < torch.tensor([[len(p)] for p in prompts]))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    try:
        for _ in range(max_steps):
            loss = model(input_ids=ids, attention_mask=mask.long(), labels=labels).loss
            if loss.item() < target_loss:
                break
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    finally:
        torch.set_num_threads(threads)
    assert loss.item() < target_loss, f"the judge fixture model did not learn its answer (loss {loss.item():.3f})"
    model.save_pretrained(model_dir)


@pytest.fixture(scope="module")
def judge_model(tmp_path_factory) -> Path:
    """A tiny model trained to grade every insights answer with RUBRIC_ANSWER."""
    from factory.training.base_model import build_tiny_model

    probe = InsightsJudge(JudgeConfig(base_url="http://unused/v1", model="judge", cache_dir=tmp_path_factory.mktemp("unused")))
    conversations = [probe.request(q, InsightsTruth(**t), a, 0)["messages"] for _, q, t in INSIGHTS for a in ("não sei", t["reference"])]
    corpus = ([m["content"] for c in conversations for m in c] + [RUBRIC_ANSWER]) * 3
    path = build_tiny_model(tmp_path_factory.mktemp("judge") / "judge", corpus, seed=0, vocab_size=600,
                            hidden_size=128, num_layers=2, num_heads=4)
    _train_constant_answer(path, conversations, RUBRIC_ANSWER)
    return path


def _config(url: str, model: str, cache: Path, samples: int = 2) -> JudgeConfig:
    return JudgeConfig(base_url=url, model=model, samples=samples, timeout_s=60, max_retries=0, cache_dir=cache)


def test_judge_round_trip_is_parsed_and_cached_on_disk(judge_model, tmp_path):
    _, question, truth = INSIGHTS[0]
    truth = InsightsTruth(**truth)
    with serve(judge_model, "judge") as url:
        judge = InsightsJudge(_config(url, "judge", tmp_path / "cache"))
        verdict = judge.evaluate(question, truth, "SP teve 120 pedidos e RJ 80.")
        assert judge.requests_sent == 2  # one HTTP request per sample
        assert verdict.samples == 2
        assert verdict.dimensions == {"correcao": 4.0, "fundamentacao": 3.0, "clareza": 5.0, "acionabilidade": 2.0}
        assert verdict.score == pytest.approx(EXPECTED_SCORE)
        cached = sorted((tmp_path / "cache").rglob("*.json"))
        assert len(cached) == 2
        assert all(json.loads(p.read_text(encoding="utf-8"))["content"] == RUBRIC_ANSWER for p in cached)
    # the server is gone: the same question is answered from the disk cache, a new one cannot be
    again = InsightsJudge(_config(url, "judge", tmp_path / "cache"))
    assert again.evaluate(question, truth, "SP teve 120 pedidos e RJ 80.") == verdict
    assert again.requests_sent == 0
    with pytest.raises(JudgeError, match="judge judge at http://127.0.0.1"):
        again.evaluate(question, truth, "uma resposta nova")


def test_judge_metric_in_score_run_only_from_parsed_verdicts(judge_model, tiny_model, tmp_path, benchmark_files):
    records = insights_records() + benchmark_records()[:2]
    write_jsonl(tmp_path / "benchmark.jsonl", records)
    write_jsonl(tmp_path / "train.jsonl", records)  # the trivial floor's majority answers
    models = tmp_path / "models"
    models.mkdir()
    (models / "base").symlink_to(tiny_model, target_is_directory=True)
    paths = score_paths(tmp_path, tmp_path / "benchmark.jsonl", benchmark_files[1], models)
    params = project_params(models=["base"], max_new_tokens=16)
    with serve(judge_model, "judge") as url:
        scorer = make_scorer(params, paths.db, judge=_config(url, "judge", tmp_path / "cache"))
        metrics = score_benchmark(params, paths, scorer=scorer)["base"]
    assert metrics["judge"] == pytest.approx(EXPECTED_SCORE) and metrics["judge_n"] == 2
    insights = metrics["by_task"]["insights"]
    assert insights["judge"] == pytest.approx(EXPECTED_SCORE) and "judge_n" not in insights  # every row judged
    assert "judge" not in metrics["by_task"]["sentiment"]


def test_unparseable_judge_output_is_reported_not_scored(server, tmp_path):
    """The random-init model served as judge: no rubric can be parsed, so no judge number exists."""
    record = insights_records()[0]
    config = _config(server, "tiny", tmp_path / "cache", samples=1)
    with pytest.raises(JudgeError, match="no valid rubric"):
        InsightsJudge(config).evaluate(record["messages"][1]["content"], InsightsTruth(**record["ground_truth"]), "SP teve 120.")
    scorer = make_scorer(project_params(), tmp_path / "absent.db", judge=config)
    scores = scorer("insights", "SP teve 120 pedidos e RJ 80.", record["ground_truth"], record["messages"][1]["content"])
    assert scores["judge"] is None
    assert scores["judge_status"].startswith("unavailable: judge tiny returned no valid rubric")
    assert 0.0 <= scores["reward"] <= 1.0  # still scored, by grounding
    row = {"id": record["id"], "task": "insights", "difficulty": record["difficulty"], "finish_reason": "stop",
           "prompt_tokens": 1, "completion_tokens": 1, "latency_s": 0.1, "cost_usd": 0.0, "scores": scores}
    summary = summarize([row])
    assert "judge" not in summary and "judge" not in summary["by_task"]["insights"]
