"""factory.serving: a real HTTP server process serving a real tiny checkpoint, driven by the openai client."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import openai
import pytest

from factory.generation import Decoding
from factory.serving import ChatModel, RequestError, parse_request

MESSAGES = [{"role": "system", "content": "Responda em JSON."}, {"role": "user", "content": "Avaliação: produto ótimo!"}]


@pytest.fixture(scope="module")
def client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server, api_key="unused", max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def local(tiny_model) -> ChatModel:
    return ChatModel(tiny_model, device="cpu")


def _post(base_url: str, path: str, body: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(base_url + path, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_models_lists_the_served_name(client):
    assert [m.id for m in client.models.list().data] == ["tiny"]


@pytest.mark.parametrize("temperature, seed", [(0.0, None), (0.7, 11)])
def test_completion_matches_in_process_model_and_counts_tokens(client, local, temperature, seed):
    response = client.chat.completions.create(model="tiny", messages=MESSAGES, temperature=temperature, seed=seed, max_tokens=12)
    expected = local.chat(MESSAGES, Decoding(temperature=temperature, max_tokens=12, seed=seed))
    choice = response.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == expected.choices[0].text
    assert response.usage.prompt_tokens == len(local.prompt_ids(MESSAGES)) == expected.prompt_tokens
    assert response.usage.completion_tokens == expected.completion_tokens <= 12
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens
    # a random-init model rarely emits EOS in 12 tokens; either way the reason must match the count
    assert choice.finish_reason == ("length" if response.usage.completion_tokens == 12 else "stop")


def test_seed_makes_sampling_reproducible_and_n_returns_n_choices(client):
    kwargs = dict(model="tiny", messages=MESSAGES, temperature=1.0, top_p=0.95, max_tokens=10, n=3)
    first = client.chat.completions.create(seed=7, **kwargs)
    again = client.chat.completions.create(seed=7, **kwargs)
    other = client.chat.completions.create(seed=8, **kwargs)
    texts = [c.message.content for c in first.choices]
    assert [c.index for c in first.choices] == [0, 1, 2]
    assert texts == [c.message.content for c in again.choices]
    assert texts != [c.message.content for c in other.choices]
    assert first.usage.completion_tokens <= 3 * 10


def test_usage_sums_over_choices(client, local):
    response = client.chat.completions.create(model="tiny", messages=MESSAGES, temperature=1.0, max_tokens=6, n=2, seed=1)
    expected = local.chat(MESSAGES, Decoding(temperature=1.0, max_tokens=6, n=2, seed=1))
    assert [c.message.content for c in response.choices] == [c.text for c in expected.choices]
    assert response.usage.completion_tokens == sum(c.completion_tokens for c in expected.choices)


def test_stop_string_cuts_the_completion(client):
    kwargs = dict(model="tiny", messages=MESSAGES, temperature=1.0, seed=5, max_tokens=30)
    full = client.chat.completions.create(**kwargs)
    text = full.choices[0].message.content
    # a stop string that first occurs mid-text
    stop = next(text[i:i + 2] for i in range(3, len(text) - 2) if text[i:i + 2].strip() and text.find(text[i:i + 2]) == i)
    cut = client.chat.completions.create(stop=["NEVER-IN-OUTPUT", stop], **kwargs)
    assert cut.choices[0].message.content == text[: text.find(stop)]
    assert cut.choices[0].finish_reason == "stop"
    assert cut.usage.completion_tokens < full.usage.completion_tokens


def test_client_errors_are_openai_shaped(client, server):
    with pytest.raises(openai.NotFoundError, match="not served here"):
        client.chat.completions.create(model="gpt-unknown", messages=MESSAGES)
    with pytest.raises(openai.BadRequestError, match="temperature"):
        client.chat.completions.create(model="tiny", messages=MESSAGES, temperature=3)
    with pytest.raises(openai.BadRequestError, match="messages"):
        client.chat.completions.create(model="tiny", messages=[])
    status, body = _post(server, "/chat/completions", b"{not json")
    assert status == 400 and body["error"]["type"] == "invalid_request_error" and "not JSON" in body["error"]["message"]
    status, body = _post(server, "/completions", b"{}")
    assert status == 404


def test_parse_request_reads_openai_fields():
    messages, decoding = parse_request({
        "model": "m", "messages": [{"role": "developer", "content": "sys"},
                                   {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
        "temperature": 0, "top_p": 0.5, "max_tokens": 9, "max_completion_tokens": 5, "n": 2, "seed": 3, "stop": "x",
    }, default_max_tokens=100)
    assert messages == [{"role": "system", "content": "sys"}, {"role": "user", "content": "ab"}]
    assert decoding == Decoding(temperature=0.0, top_p=0.5, max_tokens=5, n=2, seed=3, stop=("x",))
    assert parse_request({"messages": MESSAGES}, default_max_tokens=100)[1].max_tokens == 100


@pytest.mark.parametrize("body, param", [
    ({"messages": MESSAGES, "stream": True}, "stream"),
    ({"messages": MESSAGES, "n": 0}, "n"),
    ({"messages": MESSAGES, "top_p": 0}, "top_p"),
    ({"messages": MESSAGES, "max_tokens": 2.5}, "max_tokens"),
    ({"messages": MESSAGES, "temperature": "hot"}, "temperature"),
    ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0]"),
    ({"messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
])
def test_parse_request_rejects_bad_fields(body, param):
    with pytest.raises(RequestError) as err:
        parse_request(body, default_max_tokens=10)
    assert err.value.param == param


def test_checkpoint_generation_config_does_not_leak_into_decoding(tiny_model, tmp_path):
    """A hub checkpoint may ship top_k / repetition_penalty defaults: a request must mean only what it says."""
    import shutil

    import torch

    folder = shutil.copytree(tiny_model, tmp_path / "opinionated")
    config = json.loads((folder / "generation_config.json").read_text(encoding="utf-8"))
    config.update(top_k=1, repetition_penalty=5.0, no_repeat_ngram_size=1, do_sample=True, temperature=0.01)
    (folder / "generation_config.json").write_text(json.dumps(config), encoding="utf-8")
    model = ChatModel(folder, device="cpu")

    # greedy equals a plain argmax loop (no penalty, no n-gram ban)
    ids = model.prompt_ids(MESSAGES)
    expected = []
    with torch.inference_mode():
        for _ in range(10):
            logits = model.model(input_ids=torch.tensor([ids + expected])).logits[0, -1]
            token = int(logits.argmax())
            if token in model.eos_ids:
                break
            expected.append(token)
    greedy = model.chat(MESSAGES, Decoding(temperature=0, max_tokens=10)).choices[0]
    assert greedy.text == model.tokenizer.decode(expected, skip_special_tokens=True)
    assert greedy.completion_tokens == len(expected)
    # sampling is not collapsed to greedy by the checkpoint's top_k=1
    sampled = {model.chat(MESSAGES, Decoding(temperature=1.0, max_tokens=10, seed=s)).choices[0].text for s in range(4)}
    assert len(sampled - {greedy.text}) >= 3
