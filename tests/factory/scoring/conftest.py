"""Fixtures for scoring tests: a real tiny checkpoint, a real factory.serving process, a small benchmark."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from factory.config import load_params
from common.io import write_json, write_jsonl
from factory.scoring.benchmark import ScorePaths, score_benchmark

REPO = Path(__file__).resolve().parents[3]

SYSTEM = {
    "sentiment": 'Classifique o sentimento da avaliação. Responda só com JSON: {"sentiment": ..., "sentiment_score": ...}.',
    "reasoning": 'Resolva o problema passo a passo e termine com "Resposta: <valor>".',
    "push": "Escreva uma notificação push curta em português para o cliente.",
}


def benchmark_records() -> list[dict]:
    """Eight valid PromptRecords over three tasks and several strata (no database needed to score them)."""
    reviews = [("Chegou antes do prazo, produto ótimo!", "positivo", "positive", 0.9),
               ("Produto ok, nada de especial.", "neutro", "neutral", 0.0),
               ("Não recebi o pedido e o vendedor não responde.", "negativo", "negative", -0.9)]
    problems = [("Um cliente comprou 3 itens de R$ 12,50. Quanto pagou?", 37.5, "arithmetic"),
                ("Um pedido de R$ 200 teve 15% de desconto. Qual o valor final?", 170.0, "percentage"),
                ("O frete custa R$ 20 e o produto R$ 80, com 10% de desconto no total. Quanto pagar?", 90.0, "multi_step")]
    pushes = [("customer", "Cliente Ana comprou itens de beleza_saude há 30 dias.", "beleza_saude"),
              ("segment", "Segmento: clientes de SP que compram informatica_acessorios.", "informatica_acessorios")]
    rows = []
    for i, (text, pol, stratum, score) in enumerate(reviews):
        rows.append({"id": f"sentiment-{stratum}-{i:04d}", "task": "sentiment", "difficulty": stratum,
                     "messages": [{"role": "system", "content": SYSTEM["sentiment"]},
                                  {"role": "user", "content": f"Avaliação: {text}"}],
                     "ground_truth": {"sentiment": pol, "sentiment_score": score},
                     "source": {"table": "order_reviews", "keys": [f"r{i}"]}})
    for i, (question, answer, stratum) in enumerate(problems):
        rows.append({"id": f"reasoning-{stratum}-{i:04d}", "task": "reasoning", "difficulty": stratum,
                     "messages": [{"role": "system", "content": SYSTEM["reasoning"]},
                                  {"role": "user", "content": question}],
                     "ground_truth": {"answer": answer, "reference": f"Resposta: {answer}"},
                     "source": {"table": "reasoning_mix", "keys": [str(i)]}})
    for i, (stratum, brief, category) in enumerate(pushes):
        rows.append({"id": f"push-{stratum}-{i:04d}", "task": "push", "difficulty": stratum,
                     "messages": [{"role": "system", "content": SYSTEM["push"]},
                                  {"role": "user", "content": brief}],
                     "ground_truth": {"max_chars": 120, "category": category, "allowed_discount_pct": None,
                                      "reference": f"Novidades em {category} para você!"},
                     "source": {"table": "customer_features", "keys": [str(i)]}})
    return rows


def corpus() -> list[str]:
    texts = [m["content"] for r in benchmark_records() for m in r["messages"]]
    texts += ['{"sentiment": "positivo", "sentiment_score": 0.9}', "Resposta: 37.5", '{"score": 4}']
    return texts * 4


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A real (random-init, seeded) Qwen3-style checkpoint from the training library, a few seconds to build."""
    from factory.training.base_model import build_tiny_model

    out = tmp_path_factory.mktemp("models") / "tiny"
    return build_tiny_model(out, corpus(), seed=0, vocab_size=400, hidden_size=32, num_layers=1, num_heads=2)


@pytest.fixture(scope="session")
def benchmark_files(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("prompts")
    write_jsonl(folder / "benchmark.jsonl", benchmark_records())
    write_jsonl(folder / "train.jsonl", train_records())
    write_json(folder / "manifest.json", {"files": {"train.jsonl": "0" * 64}})
    return folder / "benchmark.jsonl", folder / "manifest.json"


def train_records() -> list[dict]:
    """Training records for the trivial answerers: the benchmark's, with 'negativo' the majority sentiment."""
    rows = benchmark_records()
    extra = {**rows[2], "id": "sentiment-negative-0100",
             "ground_truth": {"sentiment": "negativo", "sentiment_score": -0.5}}
    return [*rows, extra]


def project_params(**eval_overrides) -> dict:
    """params.yaml as shipped, with `eval` entries overridden (the scoring code reads this shape)."""
    params = load_params(REPO / "params.yaml")
    params["eval"] = {**params["eval"], **eval_overrides}
    return params


def score_paths(root: Path, benchmark: Path, manifest: Path, models: Path) -> ScorePaths:
    return ScorePaths(benchmark=benchmark, manifest=manifest, train=benchmark.parent / "train.jsonl",
                      models=models, db=root / "absent.db", metrics=root / "metrics" / "score",
                      details=root / "details" / "score", generations=root / "generations",
                      latency=root / "plots" / "latency")


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory, tiny_model) -> Path:
    """data/models/ stand-in: `base` is the tiny model, `sft` a differently seeded one."""
    from factory.training.base_model import build_tiny_model

    folder = tmp_path_factory.mktemp("data_models")
    shutil.copytree(tiny_model, folder / "base")
    build_tiny_model(folder / "sft", corpus(), seed=1, vocab_size=400, hidden_size=32, num_layers=1, num_heads=2)
    return folder


@pytest.fixture(scope="session")
def scored(tmp_path_factory, models_dir, benchmark_files, server) -> tuple[dict, ScorePaths, dict]:
    """One real score run: two local checkpoints and the base checkpoint again behind the HTTP server."""
    root = tmp_path_factory.mktemp("scored")
    params = project_params(models=["base", "sft"], max_new_tokens=16, endpoints=[
        {"name": "served", "base_url": server, "model": "tiny", "price_per_1k_tokens": 0.002}])
    paths = score_paths(root, *benchmark_files, models_dir)
    metrics = score_benchmark(params, paths)
    return metrics, paths, params


@contextlib.contextmanager
def serve(model_dir: Path, name: str = "tiny", timeout_s: float = 120.0) -> Iterator[str]:
    """Run `python -m factory.serving` on 127.0.0.1 (a free port it picks); yield its /v1 base URL."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "factory.serving", "--model", str(model_dir), "--host", "127.0.0.1",
         "--port", "0", "--served-model-name", name, "--cpu-threads", "1"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        deadline = time.monotonic() + timeout_s
        base_url = None
        for line in proc.stdout:  # the first stdout line announces the URL once the model is loaded
            if line.startswith("Serving "):
                base_url = line.split(" at ", 1)[1].strip()
                break
            if time.monotonic() > deadline:
                break
        if base_url is None:
            raise RuntimeError(f"factory.serving did not start (exit code {proc.poll()})")
        with urllib.request.urlopen(f"{base_url}/models", timeout=10) as resp:
            assert json.load(resp)["data"][0]["id"] == name
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def server(tiny_model) -> Iterator[str]:
    with serve(tiny_model) as base_url:
        yield base_url
