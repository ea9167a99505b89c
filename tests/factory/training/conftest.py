"""Fixtures for the training tests: small valid PromptRecords and a tiny model built from them."""
from __future__ import annotations

from pathlib import Path

import pytest

from schemas.records import PromptRecord

SYSTEM = {
    "sentiment": 'Classifique o sentimento da avaliação. Responda só com JSON: {"sentiment": ..., "sentiment_score": ...}.',
    "reasoning": 'Resolva o problema passo a passo e termine com "Resposta: <valor>".',
    "push": "Escreva uma notificação push curta em português para o cliente.",
}

_REVIEWS = [
    ("Chegou antes do prazo, produto ótimo, recomendo!", "positivo", 0.9),
    ("Produto ok, nada de especial.", "neutro", 0.0),
    ("Não recebi o pedido e o vendedor não responde.", "negativo", -0.9),
    ("Adorei a embalagem e a qualidade.", "positivo", 0.8),
    ("Veio quebrado, péssimo.", "negativo", -0.8),
    ("Entrega normal, produto conforme descrito.", "neutro", 0.1),
]
_PROBLEMS = [
    ("Um cliente comprou 3 itens de R$ 12,50. Quanto pagou?", 37.5, "arithmetic",
     "3 x 12,50 = 37,50.\nResposta: 37.5"),
    ("Um pedido de R$ 200 teve 15% de desconto. Qual o valor final?", 170.0, "percentage",
     "15% de 200 = 30; 200 - 30 = 170.\nResposta: 170"),
    ("Foram 40 pedidos em março e 50 em abril. Qual o total?", 90.0, "arithmetic",
     "40 + 50 = 90.\nResposta: 90"),
    ("O frete custa R$ 20 e o produto R$ 80, com 10% de desconto no total. Quanto pagar?", 90.0,
     "multi_step", "Total 100; 10% de 100 = 10; 100 - 10 = 90.\nResposta: 90"),
]
_PUSH = [
    ("customer", "Cliente Ana comprou itens de beleza_saude há 30 dias.", "beleza_saude",
     "Ana, novidades de beleza e saúde esperam por você!"),
    ("segment", "Segmento: clientes de SP que compram informatica_acessorios.", "informatica_acessorios",
     "Informática e acessórios com entrega rápida para SP!"),
]


def _records() -> list[dict]:
    rows: list[dict] = []
    for i, (text, pol, score) in enumerate(_REVIEWS):
        rows.append({
            "id": f"sentiment-{pol}-{i:04d}", "task": "sentiment", "difficulty": {"positivo": "positive", "neutro": "neutral", "negativo": "negative"}[pol],
            "messages": [{"role": "system", "content": SYSTEM["sentiment"]}, {"role": "user", "content": f"Avaliação: {text}"}],
            "ground_truth": {"sentiment": pol, "sentiment_score": score},
            "source": {"table": "reviews", "keys": [f"r{i}"]},
        })
    for i, (q, ans, level, ref) in enumerate(_PROBLEMS):
        rows.append({
            "id": f"reasoning-{level}-{i:04d}", "task": "reasoning", "difficulty": level,
            "messages": [{"role": "system", "content": SYSTEM["reasoning"]}, {"role": "user", "content": q}],
            "ground_truth": {"answer": ans, "reference": ref},
            "source": {"table": "orders", "keys": [f"o{i}"]},
        })
    for i, (level, ctx, cat, ref) in enumerate(_PUSH):
        rows.append({
            "id": f"push-{level}-{i:04d}", "task": "push", "difficulty": level,
            "messages": [{"role": "system", "content": SYSTEM["push"]}, {"role": "user", "content": ctx}],
            "ground_truth": {"max_chars": 80, "category": cat, "allowed_discount_pct": None, "reference": ref},
            "source": {"table": "customers", "keys": [f"c{i}"]},
        })
    return [PromptRecord.model_validate(r).model_dump() for r in rows]


@pytest.fixture(scope="session")
def records() -> list[dict]:
    """Twelve valid records over three tasks that need no database (sentiment, reasoning, push)."""
    return _records()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, records: list[dict]) -> Path:
    """A tiny seeded base model whose tokenizer is trained on the fixture prompts."""
    from factory.training.base_model import build_tiny_model
    from factory.training.data import tokenizer_corpus

    corpus = list(tokenizer_corpus(records)) * 20
    return build_tiny_model(tmp_path_factory.mktemp("models") / "base", corpus, seed=0,
                            vocab_size=512, hidden_size=64, num_layers=2, num_heads=4)


SFT_PARAMS = {
    "max_steps": 30, "learning_rate": 3e-3, "lr_scheduler_type": "cosine", "warmup_steps": 3,
    "per_device_train_batch_size": 4, "gradient_accumulation_steps": 1, "max_length": 256,
    "save_steps": 100, "lora": {"enabled": False}, "seed": 0,
}

GRPO_PARAMS = {
    "max_steps": 2, "learning_rate": 5e-6, "lr_scheduler_type": "constant_with_warmup", "warmup_steps": 1,
    "temperature": 1.0, "top_p": 1.0, "top_k": 0, "beta": 0.0, "loss_type": "dr_grpo", "scale_rewards": "none",
    "num_generations": 4, "per_device_train_batch_size": 8, "gradient_accumulation_steps": 1,
    "max_prompt_length": 256, "max_completion_length": 24, "mask_truncated_completions": True,
    "eval_steps": 100, "save_steps": 100, "logging_steps": 1, "backend": "auto", "seed": 0,
}

REWARD_PARAMS = {"weights": {"format": 0.2, "partial": 0.3, "task": 0.5}, "sql_timeout_s": 1.0}


@pytest.fixture(scope="session")
def sft_run(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path, records: list[dict]):
    """The tiny model after a short SFT on the fixture records (shared by the SFT and GRPO tests)."""
    from factory.training.sft import train_sft

    root = tmp_path_factory.mktemp("sft")
    run = train_sft(records, records[:4], base_dir=tiny_model_dir, out_dir=root / "sft", params=SFT_PARAMS,
                    work_dir=root / "work")
    return root / "sft", run


@pytest.fixture(scope="session")
def sft_model_dir(sft_run) -> Path:
    return sft_run[0]


@pytest.fixture(scope="session")
def task_rewards(records: list[dict], tmp_path_factory: pytest.TempPathFactory) -> list:
    """The real reward functions of the fixture tasks (none of them touches the database)."""
    from factory.training.reward_funcs import task_rewards as build

    tasks = sorted({r["task"] for r in records})
    return build(tasks, tmp_path_factory.mktemp("db") / "absent.db", REWARD_PARAMS)


@pytest.fixture
def sft_params() -> dict:
    return {**SFT_PARAMS}


@pytest.fixture
def grpo_params() -> dict:
    return {**GRPO_PARAMS}


@pytest.fixture
def reward_params() -> dict:
    return {**REWARD_PARAMS}
