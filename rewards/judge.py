"""An LLM judge for insights answers, through any OpenAI-compatible endpoint (`common.openai_client`).

Used only when params `eval.judge` names a `base_url` and a `model`. The rubric has four
dimensions scored 1-5; each request runs at temperature 0 asking for a JSON object, `samples`
requests (seeds 0..samples-1) are averaged, and every response is cached on disk under the hash of
its endpoint and request, so re-scoring the same answers costs nothing and gives the same numbers.
The shared client retries connection errors, timeouts, 429 and 5xx (`max_retries`), never other 4xx.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from common.openai_client import ChatClient, ChatError, ResponseCache
from rewards.parsing import extract_json_object, parse_number
from schemas.tasks import InsightsTruth

RUBRIC: dict[str, str] = {
    "correcao": "os números e fatos citados batem com a ficha de fatos (nada inventado)",
    "fundamentacao": "as conclusões se apoiam nos números da ficha, citados explicitamente",
    "clareza": "português claro, organizado e sem rodeios",
    "acionabilidade": "traz uma conclusão ou recomendação útil para o negócio",
}
SYSTEM_PROMPT = (
    "Você avalia respostas de analistas de e-commerce. Dê a cada dimensão uma nota inteira de 1 a 5 "
    "(1 = péssimo, 5 = excelente):\n"
    + "\n".join(f"- {name}: {desc}" for name, desc in RUBRIC.items())
    + "\nResponda apenas com um objeto JSON com exatamente estas chaves: "
    + ", ".join(RUBRIC) + "."
)
DEFAULT_CACHE_DIR = Path("data/cache/judge")


class JudgeError(RuntimeError):
    """The judge endpoint gave no usable verdict (after the client's retries)."""


@dataclass(frozen=True)
class JudgeConfig:
    base_url: str
    model: str
    samples: int = 3
    timeout_s: float = 30.0
    max_retries: int = 3
    cache_dir: Path = DEFAULT_CACHE_DIR
    api_key_env: str = "OPENAI_API_KEY"

    @classmethod
    def from_params(cls, judge: Mapping[str, Any] | None, cache_dir: Path | None = None) -> "JudgeConfig | None":
        """The judge of params `eval.judge`, or None when it names no base_url/model."""
        if not judge or not judge.get("base_url") or not judge.get("model"):
            return None
        known = {k: judge[k] for k in ("samples", "timeout_s", "max_retries", "api_key_env") if judge.get(k) is not None}
        directory = Path(judge.get("cache_dir") or cache_dir or DEFAULT_CACHE_DIR)
        return cls(base_url=judge["base_url"], model=judge["model"], cache_dir=directory, **known)


@dataclass(frozen=True)
class Verdict:
    score: float                    # mean of the dimensions, mapped from 1-5 to [0, 1]
    dimensions: dict[str, float]    # mean over samples, 1-5
    samples: int


class InsightsJudge:
    def __init__(self, config: JudgeConfig) -> None:
        if config.samples < 1:
            raise ValueError("eval.judge.samples must be >= 1")
        self.config = config
        self._client = ChatClient(config.base_url, api_key_env=config.api_key_env, timeout_s=config.timeout_s,
                                  max_retries=config.max_retries, cache=ResponseCache(config.cache_dir))
        self.requests_sent = 0  # HTTP requests that missed the cache

    def request(self, question: str, truth: InsightsTruth, answer: str, seed: int) -> dict[str, Any]:
        facts = "\n".join(f"- {f.name}: {f.value:g}{(' ' + f.unit) if f.unit else ''}" for f in truth.facts)
        user = (f"Pergunta:\n{question or '(não informada)'}\n\nFicha de fatos (verdade):\n{facts}\n"
                f"Entidades esperadas: {', '.join(truth.entities)}\n\nResposta de referência:\n{truth.reference}\n\n"
                f"Resposta a avaliar:\n{answer}")
        return {
            "model": self.config.model,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}],
            "temperature": 0,
            "seed": seed,
            "response_format": {"type": "json_object"},
        }

    def _cached_call(self, request: dict[str, Any]) -> str:
        """The judge's answer: cached as {"request", "content"} under sha256(base_url, request)."""
        try:
            response = self._client.chat(request)
        except ChatError as exc:
            raise JudgeError(f"judge {self.config.model} at {self.config.base_url}: {exc}") from exc
        if not response.cached:
            self.requests_sent += 1
        return response.text

    def evaluate(self, question: str, truth: InsightsTruth, answer: str) -> Verdict:
        totals = dict.fromkeys(RUBRIC, 0.0)
        used = 0
        for seed in range(self.config.samples):
            dims = parse_rubric(self._cached_call(self.request(question, truth, answer, seed)))
            if dims is None:
                continue
            used += 1
            for name, value in dims.items():
                totals[name] += value
        if used == 0:
            raise JudgeError(f"judge {self.config.model} returned no valid rubric in {self.config.samples} samples")
        dimensions = {k: v / used for k, v in totals.items()}
        score = sum((v - 1.0) / 4.0 for v in dimensions.values()) / len(dimensions)
        return Verdict(score=score, dimensions=dimensions, samples=used)


def parse_rubric(content: str) -> dict[str, float] | None:
    """The four 1-5 grades of a judge response (clipped to 1-5), or None if any is missing."""
    parsed = extract_json_object(content)
    if parsed.value is None:
        return None
    grades = {}
    for name in RUBRIC:
        value = parse_number(parsed.value.get(name))
        if value is None:
            return None
        grades[name] = min(5.0, max(1.0, value))
    return grades


def build_judge(judge: "InsightsJudge | JudgeConfig | Mapping[str, Any] | None") -> "InsightsJudge | None":
    """Accept a judge, its config, or the params `eval.judge` mapping (None when unconfigured)."""
    if judge is None or isinstance(judge, InsightsJudge):
        return judge
    config = judge if isinstance(judge, JudgeConfig) else JudgeConfig.from_params(judge)
    return InsightsJudge(config) if config else None
