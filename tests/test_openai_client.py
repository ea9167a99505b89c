"""common.openai_client against a real HTTP server on 127.0.0.1 that answers from a script.

Covers what the labeler, the judge and endpoint scoring rely on: the request as sent, retries on
5xx/429/connection errors with exponential backoff, no retry on other 4xx, timeouts, the on-disk
cache (a hit sends nothing), and the cache files each caller has always written, byte for byte.
"""
from __future__ import annotations

import hashlib
import json
import socket
import time
from typing import Any, Iterator

import pytest

from common.io import dumps_json
from common.openai_client import ChatClient, ChatError, ResponseCache
from json_server import JsonServer


def completion(content: str, usage: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                            "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": content}}]}
    if usage:
        body["usage"] = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
    return body


class ScriptedServer(JsonServer):
    """POST /v1/chat/completions: answers with `script` entries in turn, (status, body, delay_s), then
    with `default`. Every request is recorded as (path, headers, JSON body)."""

    def __init__(self) -> None:
        self.script: list[tuple[int, Any, float]] = []
        self.default: tuple[int, Any, float] = (200, completion("olá"), 0.0)
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        super().__init__()

    def answer(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, bytes]:
        self.requests.append((path, headers, body))
        status, answer, delay = self.script.pop(0) if self.script else self.default
        time.sleep(delay)
        return status, answer if isinstance(answer, bytes) else json.dumps(answer).encode()


@pytest.fixture()
def server() -> Iterator[ScriptedServer]:
    s = ScriptedServer()
    yield s
    s.close()


REQUEST = {"model": "m", "messages": [{"role": "user", "content": "Qual o status do pedido?"}],
           "temperature": 0.0, "max_tokens": 16}


def client(server: ScriptedServer, sleeps: list[float] | None = None, **kw: Any) -> ChatClient:
    recorder = sleeps.append if sleeps is not None else time.sleep
    return ChatClient(server.base_url, sleep=recorder, **{"backoff_s": 0.1, **kw})


def test_success_sends_the_request_and_parses_text_usage_and_latency(server, monkeypatch):
    monkeypatch.setenv("CLIENT_TEST_KEY", "sk-local")
    response = client(server, api_key_env="CLIENT_TEST_KEY").chat(REQUEST)
    assert (response.text, response.finish_reason, response.prompt_tokens, response.completion_tokens) == \
        ("olá", "stop", 7, 3)
    assert response.attempts == 1 and not response.cached and response.latency_s > 0
    path, headers, body = server.requests[0]
    assert path == "/v1/chat/completions" and body == REQUEST
    assert headers["Authorization"] == "Bearer sk-local"
    server.default = (200, completion("sem uso", usage=False), 0.0)
    bare = client(server, api_key_env="CLIENT_TEST_UNSET_KEY").chat(REQUEST)
    assert bare.prompt_tokens is None and bare.completion_tokens is None  # unknown, never guessed
    assert "Authorization" not in server.requests[1][1]


def test_a_500_is_retried_after_backoff_then_succeeds(server):
    server.script = [(500, {"error": {"message": "boom"}}, 0.0)]
    sleeps: list[float] = []
    response = client(server, sleeps, max_retries=3).chat(REQUEST)
    assert response.text == "olá" and response.attempts == 2
    assert len(server.requests) == 2 and sleeps == [0.1]


def test_a_400_is_not_retried_and_names_the_servers_message(server):
    server.script = [(400, {"error": {"message": "temperature must be in [0, 2]"}}, 0.0)]
    sleeps: list[float] = []
    with pytest.raises(ChatError, match=r"HTTP 400: temperature must be in \[0, 2\] \(not retried\)") as err:
        client(server, sleeps, max_retries=3).chat(REQUEST)
    assert err.value.status == 400 and err.value.attempts == 1
    assert len(server.requests) == 1 and sleeps == []


def test_backoff_doubles_per_retry_and_gives_up_after_max_retries(server):
    server.script = [(503, b"unavailable", 0.0), (429, {"error": {"message": "slow down"}}, 0.0),
                     (500, {"error": "boom"}, 0.0), (200, completion("too late"), 0.0)]
    sleeps: list[float] = []
    with pytest.raises(ChatError, match=r"HTTP 500: boom \(after 3 attempts\)") as err:
        client(server, sleeps, max_retries=2).chat(REQUEST)
    assert err.value.status == 500 and err.value.attempts == 3
    assert sleeps == [0.1, 0.2] and len(server.requests) == 3


def test_real_backoff_waits(server):
    server.script = [(502, b"", 0.0), (502, b"", 0.0)]
    start = time.monotonic()
    assert client(server, max_retries=2, backoff_s=0.05).chat(REQUEST).attempts == 3
    assert time.monotonic() - start >= 0.05 + 0.1


def test_a_timeout_is_retried_then_fails_clearly(server):
    server.default = (200, completion("late"), 1.0)
    sleeps: list[float] = []
    start = time.monotonic()
    with pytest.raises(ChatError, match=r"timed out after 0.2s \(after 2 attempts\)") as err:
        client(server, sleeps, max_retries=1, timeout_s=0.2).chat(REQUEST)
    assert time.monotonic() - start < 1.5 and err.value.status is None and err.value.attempts == 2
    assert sleeps == [0.1]


def test_an_unreachable_server_is_retried_then_fails(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    sleeps: list[float] = []
    cache = ResponseCache(tmp_path / "cache")
    with pytest.raises(ChatError, match=r"connection failed: .*\(after 3 attempts\)"):
        ChatClient(closed, max_retries=2, backoff_s=0.1, sleep=sleeps.append, cache=cache).chat(REQUEST)
    assert sleeps == [0.1, 0.2] and not list((tmp_path / "cache").rglob("*"))  # nothing cached on failure


def test_an_answer_that_is_not_a_completion_fails(server):
    server.default = (200, b"<html>proxy</html>", 0.0)
    with pytest.raises(ChatError, match="not a chat completion"):
        client(server).chat(REQUEST)
    assert len(server.requests) == 1


def test_a_cache_hit_sends_no_request(server, tmp_path):
    cache = ResponseCache(tmp_path / "cache")
    first = client(server, cache=cache).chat(REQUEST)
    again = ChatClient(server.base_url, cache=ResponseCache(tmp_path / "cache")).chat(dict(REQUEST))  # a new process
    assert len(server.requests) == 1 and again.cached and again.attempts == 0 and again.text == first.text
    key = hashlib.sha256((server.base_url + "\n" + dumps_json(REQUEST)).encode()).hexdigest()
    path = tmp_path / "cache" / key[:2] / f"{key}.json"
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == [path]
    assert path.read_bytes() == dumps_json({"request": REQUEST, "content": "olá"}).encode()
    client(server, cache=cache).chat({**REQUEST, "max_tokens": 17})  # another request: another entry
    assert len(server.requests) == 2 and len(list((tmp_path / "cache").rglob("*.json"))) == 2


def test_labeler_cache_files_keep_their_name_and_bytes(server, tmp_path):
    """data/cache/labeler: sha256 of (model, messages, max_tokens) as always, {"model", "content"} on one line."""
    from factory.prompts.labeler import LABELER_SYSTEM, OpenAILabeler

    server.default = (200, completion('{"sentiment": "ótimo"}'), 0.0)
    labeler = OpenAILabeler(server.base_url, "tiny", tmp_path / "labeler", concurrency=1, max_tokens=16)
    assert labeler.answer("Produto ótimo") == '{"sentiment": "ótimo"}'
    messages = [{"role": "system", "content": LABELER_SYSTEM}, {"role": "user", "content": "Produto ótimo"}]
    key = hashlib.sha256(json.dumps({"model": "tiny", "messages": messages, "max_tokens": 16},
                                    ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    path = tmp_path / "labeler" / key[:2] / f"{key}.json"
    assert path.read_bytes() == '{"model": "tiny", "content": "{\\"sentiment\\": \\"ótimo\\"}"}'.encode()
    assert server.requests[0][2] == {"model": "tiny", "messages": messages, "temperature": 0.0, "max_tokens": 16}
    again = OpenAILabeler(server.base_url, "tiny", tmp_path / "labeler", concurrency=1, max_tokens=16)
    assert again.answer("Produto ótimo") == '{"sentiment": "ótimo"}' and len(server.requests) == 1
    assert (again.stats.requests, again.stats.cache_hits) == (0, 1)


def test_judge_cache_files_keep_their_name_and_bytes(server, tmp_path):
    """data/cache/judge: sha256 of base_url and the canonical request, {"request", "content"} canonical JSON."""
    from rewards.judge import InsightsJudge, JudgeConfig

    judge = InsightsJudge(JudgeConfig(base_url=server.base_url, model="juiz", cache_dir=tmp_path / "judge", max_retries=0))
    request = {"model": "juiz", "messages": [{"role": "user", "content": "nota?"}], "temperature": 0, "seed": 1}
    assert judge._cached_call(request) == "olá" and judge.requests_sent == 1
    key = hashlib.sha256((server.base_url + "\n" + dumps_json(request)).encode()).hexdigest()
    assert (tmp_path / "judge" / key[:2] / f"{key}.json").read_bytes() == \
        dumps_json({"request": request, "content": "olá"}).encode()
    assert judge._cached_call(request) == "olá" and judge.requests_sent == 1 and len(server.requests) == 1
