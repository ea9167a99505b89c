"""The insights LLM judge against a real OpenAI-compatible HTTP server on 127.0.0.1."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import rewards
from json_server import JsonServer
from rewards.judge import RUBRIC, InsightsJudge, JudgeConfig, JudgeError


class JudgeServer(JsonServer):
    """/v1/chat/completions answering with rubric grades; seed s gets grades 3 + s % 2.

    `fail_next` requests get HTTP 500, `delay_s` delays every answer, `content` overrides the body.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_next = 0
        self.delay_s = 0.0
        self.content: str | None = None
        super().__init__()

    def answer(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, bytes]:
        self.requests.append(body)
        time.sleep(self.delay_s)
        if self.fail_next > 0:
            self.fail_next -= 1
            return 500, b'{"error": {"message": "boom"}}'
        grade = 3 + body.get("seed", 0) % 2
        content = self.content if self.content is not None else json.dumps({k: grade for k in RUBRIC})
        payload = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                   "choices": [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "content": content}}],
                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        return 200, json.dumps(payload).encode()


@pytest.fixture()
def server() -> Iterator[JudgeServer]:
    s = JudgeServer()
    yield s
    s.close()


def _params(server: JudgeServer, tmp_path: Path, **over: Any) -> dict[str, Any]:
    return {"base_url": server.base_url, "model": "juiz-local", "samples": 3, "timeout_s": 5, "max_retries": 0,
            "cache_dir": str(tmp_path / "judge-cache"), **over}


def test_judge_scores_with_rubric_samples_averaged(server: JudgeServer, by_task: dict, tmp_path: Path) -> None:
    record = by_task["insights"][0]
    truth = record["ground_truth"]
    question = record["messages"][-1]["content"]
    scores = rewards.score("insights", truth["reference"], truth, prompt=question, judge=_params(server, tmp_path))
    assert len(server.requests) == 3
    assert [r["seed"] for r in server.requests] == [0, 1, 2]
    for request in server.requests:
        assert request["temperature"] == 0 and request["model"] == "juiz-local"
        assert request["response_format"] == {"type": "json_object"}
        assert question in request["messages"][-1]["content"]
    # grades 3, 4, 3 -> mean 10/3 on each dimension -> (10/3 - 1) / 4
    assert scores["judge_dimensions"] == {k: pytest.approx(10 / 3) for k in RUBRIC}
    assert scores["judge"] == pytest.approx((10 / 3 - 1) / 4)
    assert scores["insights_grounding"] == 1.0  # the heuristic keeps its own name
    assert scores["task"] == pytest.approx(0.5 * 1.0 + 0.5 * scores["judge"])


def test_judge_responses_are_cached_on_disk(server: JudgeServer, by_task: dict, tmp_path: Path) -> None:
    truth = by_task["insights"][1]["ground_truth"]
    first = rewards.score("insights", truth["reference"], truth, judge=_params(server, tmp_path))
    assert len(server.requests) == 3
    fresh_judge = InsightsJudge(JudgeConfig.from_params(_params(server, tmp_path)))  # new process, same cache
    again = rewards.score("insights", truth["reference"], truth, judge=fresh_judge)
    assert len(server.requests) == 3 and fresh_judge.requests_sent == 0
    assert again["judge"] == first["judge"]
    assert len(list((tmp_path / "judge-cache").rglob("*.json"))) == 3
    other_answer = rewards.score("insights", "Resposta diferente. Sem números.", truth, judge=fresh_judge)
    assert len(server.requests) == 6 and other_answer["judge"] is not None


def test_judge_retries_server_errors(server: JudgeServer, by_task: dict, tmp_path: Path) -> None:
    server.fail_next = 2
    truth = by_task["insights"][0]["ground_truth"]
    scores = rewards.score("insights", truth["reference"], truth, judge=_params(server, tmp_path, samples=1, max_retries=3))
    assert scores["judge"] is not None and len(server.requests) == 3


def test_judge_timeout_and_bad_output_raise_judge_error(server: JudgeServer, by_task: dict, tmp_path: Path) -> None:
    truth = by_task["insights"][0]["ground_truth"]
    server.delay_s = 1.0
    with pytest.raises(JudgeError):
        rewards.score("insights", truth["reference"], truth, judge=_params(server, tmp_path, samples=1, timeout_s=0.2))
    server.delay_s = 0.0
    server.content = "nota: ótima"
    with pytest.raises(JudgeError, match="no valid rubric"):
        rewards.score("insights", truth["reference"] + " ", truth, judge=_params(server, tmp_path, samples=2))


def test_unconfigured_judge_is_never_used(by_task: dict) -> None:
    assert JudgeConfig.from_params({"base_url": None, "model": None, "samples": 3}) is None
    truth = by_task["insights"][0]["ground_truth"]
    scores = rewards.score("insights", truth["reference"], truth, judge={"base_url": None, "model": None})
    assert scores["judge"] is None and "judge_dimensions" not in scores
    assert scores["task"] == scores["insights_grounding"]
