"""Local and endpoint backends decode identically for the same checkpoint; cost and errors are honest."""
from __future__ import annotations

import socket

import pytest

from common.io import sha256_tree
from factory.scoring.backends import EndpointBackend, Generation, LocalBackend
from factory.generation import Decoding

MESSAGES = [{"role": "system", "content": "Responda."}, {"role": "user", "content": "Qual o total do pedido?"}]
DECODING = Decoding(temperature=0.1, top_p=1.0, max_tokens=8, seed=0)


@pytest.fixture(scope="module")
def local(tiny_model) -> LocalBackend:
    return LocalBackend("base", tiny_model, cost_per_hour=3.6, cpu_threads=1)


def test_endpoint_through_local_server_equals_in_process_generation(local, server):
    endpoint = EndpointBackend.from_params({"name": "served", "base_url": server, "model": "tiny",
                                            "price_per_1k_tokens": 0.5})
    a = local.generate(MESSAGES, DECODING)
    b = endpoint.generate(MESSAGES, DECODING)
    assert (a.text, a.prompt_tokens, a.completion_tokens, a.finish_reason) == \
           (b.text, b.prompt_tokens, b.completion_tokens, b.finish_reason)
    assert a.latency_s > 0 and b.latency_s > 0
    assert endpoint.cost_usd(b) == pytest.approx((b.prompt_tokens + b.completion_tokens) / 1000 * 0.5)
    assert endpoint.privacy == "api" and local.privacy == "local"
    assert endpoint.lineage() == {"endpoint": server, "endpoint_model": "tiny"}


def test_local_backend_sets_cpu_threads(local):
    import torch

    assert torch.get_num_threads() == 1


def test_local_cost_is_machine_time_and_lineage_is_the_checkpoint_hash(local, tiny_model):
    assert local.cost_usd(Generation("x", 1, 1, "stop", latency_s=2.0)) == pytest.approx(2.0 * 3.6 / 3600)
    assert local.lineage() == {"checkpoint": tiny_model.as_posix(), "checkpoint_sha256": sha256_tree(tiny_model)}


def test_endpoint_without_usage_has_unknown_cost():
    endpoint = EndpointBackend("e", "http://127.0.0.1:9/v1", "m", price_per_1k_tokens=1.0)
    assert endpoint.cost_usd(Generation("x", None, None, None, 1.0)) is None


def test_unreachable_endpoint_fails_naming_it():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint = EndpointBackend("gone", f"http://127.0.0.1:{port}/v1", "m", max_retries=0, timeout_s=5)
    with pytest.raises(RuntimeError, match=r"endpoint 'gone' \(http://127.0.0.1:\d+/v1, model 'm'\)"):
        endpoint.generate(MESSAGES, DECODING)


def test_endpoint_params_are_checked(monkeypatch):
    with pytest.raises(ValueError, match="missing base_url"):
        EndpointBackend.from_params({"name": "x", "model": "m"})
    with pytest.raises(ValueError, match="unknown keys \\['price'\\]"):
        EndpointBackend.from_params({"name": "x", "base_url": "http://h/v1", "model": "m", "price": 1})
    with pytest.raises(ValueError, match="privacy must be"):
        EndpointBackend.from_params({"name": "x", "base_url": "http://h/v1", "model": "m", "privacy": "private"})
    monkeypatch.delenv("SCORING_TEST_KEY", raising=False)
    with pytest.raises(ValueError, match="SCORING_TEST_KEY"):
        EndpointBackend.from_params({"name": "x", "base_url": "http://h/v1", "model": "m", "api_key_env": "SCORING_TEST_KEY"})
    monkeypatch.setenv("SCORING_TEST_KEY", "sk-test")
    assert EndpointBackend.from_params({"name": "x", "base_url": "http://h/v1", "model": "m",
                                        "api_key_env": "SCORING_TEST_KEY"}).client.api_key == "sk-test"
