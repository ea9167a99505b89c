"""Ground truth for review extraction: deterministic rules, or an LLM through the `openai` client.

`RuleLabeler` reads the structured facts (stars, lateness, order status, B2W's recommend flag) and a
PT-BR lexicon (`lexicon.py`). Stars decide polarity; words refine the score and find the complaint;
facts fill what words leave out. The same signals say whether a review is `easy` (clear, agreeing
signals) or `hard` (3 stars, words against stars, good product but late, irony, several complaints).

`OpenAILabeler` asks an OpenAI-compatible endpoint for the same 10 fields. Every raw answer is cached
on disk under the sha256 of (model, messages), one file per answer written atomically, so a killed run
resumes where it stopped and a rerun is byte-identical. Requests run concurrently with retries and
exponential backoff; an answer that does not parse or validate falls back to the rule label, and
the reason is recorded.
"""
from __future__ import annotations

import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from pydantic import ValidationError

from factory.io import atomic_path, sha256_bytes
from factory.prompts import lexicon
from factory.prompts.text import ORDER_STATUS_PT, clip_text, fold
from schemas.tasks import ExtractionTruth

log = logging.getLogger(__name__)

STAR_SCORE = {1: -0.9, 2: -0.6, 3: 0.0, 4: 0.6, 5: 0.9}
STAR_CHURN = {1: 0.85, 2: 0.7, 3: 0.45, 4: 0.2, 5: 0.1}
UNDELIVERED = {"canceled", "unavailable"}
MAIN_COMPLAINT_CHARS = 120
# Why a review is hard, rarest and most telling first (the extraction pool rotates over these).
HARD_SIGNAL_ORDER = (
    "irony", "good_review_but_late", "praise_in_negative_review", "recommend_disagrees_with_stars",
    "several_complaints", "complaint_in_positive_review", "three_stars",
)


@dataclass(frozen=True)
class ReviewFacts:
    """One review and the order facts behind it (B2W reviews have no order: status/lateness None)."""

    text: str                          # title and comment, as the customer wrote them
    stars: int                         # 1..5
    order_status: str | None = None
    is_late: bool | None = None
    delay_days: float | None = None
    recommend: bool | None = None      # B2W recommend_to_a_friend


@dataclass(frozen=True)
class Label:
    truth: ExtractionTruth
    difficulty: str                    # easy | hard
    signals: tuple[str, ...]           # why it is hard (empty when easy)


def _clauses(text: str) -> list[tuple[str, str]]:
    parts = [p.strip() for p in re.split(r"[.!?;\n]+|,\s+", text) if p.strip()]
    return [(fold(p), p) for p in parts]


class RuleLabeler:
    """Deterministic labels from facts + lexicon."""

    name = "rules"

    def label(self, facts: ReviewFacts) -> Label:
        folded = fold(facts.text)
        hits = lexicon.scan(folded, _clauses(facts.text))
        polarity = self._polarity(facts.stars, hits)
        score = self._score(facts.stars, hits, polarity)
        category = self._category(facts, hits, polarity)
        late = bool(facts.is_late)
        undelivered = facts.order_status in UNDELIVERED
        complaints = set(hits.complaints) | {category}
        delivery_issue = late or undelivered or bool(complaints & {"atraso_entrega", "produto_nao_recebido"})
        product_issue = bool(complaints & {"produto_defeituoso", "produto_diferente"})
        seller_issue = facts.order_status == "unavailable" or "atendimento_vendedor" in complaints
        if facts.recommend is not None:
            would_recommend = facts.recommend
        elif hits.recommend:
            would_recommend = hits.recommend > 0
        else:
            would_recommend = polarity == "positivo"
        churn = STAR_CHURN[facts.stars] + 0.05 * (delivery_issue + product_issue + seller_issue)
        if hits.repeat < 0:
            churn = max(churn, 0.9)
        elif hits.repeat > 0:
            churn = min(churn, 0.15)
        churn = round(min(max(churn, 0.0), 1.0), 2)
        truth = ExtractionTruth(
            sentiment=polarity,
            sentiment_score=score,
            complaint_category=category,
            churn_risk=churn,
            repeat_intent=round(1.0 - churn, 2),
            delivery_issue=delivery_issue,
            product_issue=product_issue,
            seller_issue=seller_issue,
            would_recommend=would_recommend,
            main_complaint=self._main_complaint(facts, hits, category),
        )
        signals = self._hard_signals(facts, hits, truth)
        return Label(truth, "hard" if signals else "easy", signals)

    @staticmethod
    def _polarity(stars: int, hits: lexicon.LexiconHits) -> str:
        if stars >= 4:
            return "positivo"
        if stars <= 2:
            return "negativo"
        # 3 stars: neutral unless the words all point one way (at least two of them).
        if hits.negative >= 2 and hits.positive == 0 or hits.irony:
            return "negativo"
        if hits.positive >= 2 and hits.negative == 0:
            return "positivo"
        return "neutro"

    @staticmethod
    def _score(stars: int, hits: lexicon.LexiconHits, polarity: str) -> float:
        words = -1.0 if hits.irony else hits.polarity
        score = 0.7 * STAR_SCORE[stars] + 0.3 * words
        bounds = {"positivo": (0.1, 1.0), "neutro": (-0.3, 0.3), "negativo": (-1.0, -0.1)}[polarity]
        return round(min(max(score, bounds[0]), bounds[1]), 2)

    @staticmethod
    def _category(facts: ReviewFacts, hits: lexicon.LexiconHits, polarity: str) -> str:
        if hits.complaints:
            return hits.complaints[0]
        if polarity == "positivo":
            return "nenhuma"
        if facts.order_status in UNDELIVERED:
            return "produto_nao_recebido"
        if facts.is_late:
            return "atraso_entrega"
        return "outro" if polarity == "negativo" or hits.negative > 0 else "nenhuma"

    @staticmethod
    def _main_complaint(facts: ReviewFacts, hits: lexicon.LexiconHits, category: str) -> str:
        if category == "nenhuma":
            return ""
        if hits.complaint_clause and category in hits.complaints:
            return clip_text(hits.complaint_clause, MAIN_COMPLAINT_CHARS)
        if category == "atraso_entrega" and facts.delay_days is not None and facts.delay_days > 0:
            days = max(1, round(facts.delay_days))
            return f"entrega atrasada ({days} {'dia' if days == 1 else 'dias'} após o prazo)"
        if category == "produto_nao_recebido" and facts.order_status:
            return f"pedido não entregue (status: {ORDER_STATUS_PT.get(facts.order_status, facts.order_status)})"
        if hits.negative_clause:
            return clip_text(hits.negative_clause, MAIN_COMPLAINT_CHARS)
        first = _clauses(facts.text)
        return clip_text(first[0][1], MAIN_COMPLAINT_CHARS) if first else "reclamação sem detalhes"

    @staticmethod
    def _hard_signals(facts: ReviewFacts, hits: lexicon.LexiconHits, truth: ExtractionTruth) -> tuple[str, ...]:
        signals = []
        if facts.stars == 3:
            signals.append("three_stars")
        if hits.irony:
            signals.append("irony")
        if facts.stars >= 4 and (hits.negative > 0 or hits.complaints):
            signals.append("complaint_in_positive_review")
        if facts.stars <= 2 and hits.positive > hits.negative:
            signals.append("praise_in_negative_review")
        if facts.stars >= 4 and facts.is_late:
            signals.append("good_review_but_late")
        if len(set(hits.complaints)) >= 2:
            signals.append("several_complaints")
        if facts.recommend is not None and facts.recommend != (truth.sentiment == "positivo"):
            signals.append("recommend_disagrees_with_stars")
        return tuple(signals)


# ----------------------------------------------------------------------------------------------
# LLM labeler
# ----------------------------------------------------------------------------------------------

LABELER_SYSTEM = (
    "Você rotula avaliações de clientes de e-commerce brasileiro. Responda somente com um objeto JSON "
    "com exatamente estes campos: sentiment (positivo|neutro|negativo), sentiment_score (-1 a 1), "
    "complaint_category (nenhuma|atraso_entrega|produto_nao_recebido|produto_defeituoso|produto_diferente|"
    "atendimento_vendedor|embalagem|preco|outro), churn_risk (0 a 1), repeat_intent (0 a 1), "
    "delivery_issue, product_issue, seller_issue, would_recommend (booleanos) e main_complaint "
    "(texto curto; vazio quando complaint_category for nenhuma)."
)


class LabelerError(RuntimeError):
    """The endpoint could not be reached after every retry."""


@dataclass
class LabelerStats:
    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    fallbacks: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "cache_hits": self.cache_hits, "retries": self.retries,
                "fallbacks": dict(sorted(self.fallbacks.items()))}


def parse_extraction(content: str) -> tuple[ExtractionTruth | None, str]:
    """(truth, "") when `content` holds a valid 10-field object, else (None, reason)."""
    import json_repair

    text = re.sub(r"<think>.*?</think>", "", content, flags=re.S).strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, flags=re.S)
    if fence:
        text = fence.group(1)
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None, "unparseable: no JSON object in the answer"
    try:
        data = json_repair.loads(text[start:end + 1])
    except Exception as exc:  # json_repair raises plain exceptions on hopeless input
        return None, f"unparseable: {type(exc).__name__}"
    if not isinstance(data, dict):
        return None, "unparseable: JSON is not an object"
    try:
        return ExtractionTruth.model_validate(data), ""
    except ValidationError as exc:
        first = exc.errors()[0]
        return None, f"invalid: {'.'.join(map(str, first['loc'])) or 'object'}: {first['type']}"


class OpenAILabeler:
    """Labels through an OpenAI-compatible chat endpoint, cached on disk, falling back to rules."""

    name = "openai"

    def __init__(self, base_url: str, model: str, cache_dir: str | Path, concurrency: int = 4,
                 max_retries: int = 4, timeout_s: float = 60.0, backoff_s: float = 0.5,
                 max_tokens: int = 400, api_key: str = "not-needed"):
        from openai import OpenAI

        if not base_url or not model:
            raise ValueError("prompts.labeler.backend=openai needs prompts.labeler.base_url and .model")
        self.model = model
        self.cache_dir = Path(cache_dir)
        self.concurrency = max(1, int(concurrency))
        self.max_retries = int(max_retries)
        self.backoff_s = backoff_s
        self.max_tokens = int(max_tokens)
        self.client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=0)
        self.stats = LabelerStats()

    def messages(self, prompt: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": LABELER_SYSTEM}, {"role": "user", "content": prompt}]

    def cache_key(self, prompt: str) -> str:
        payload = json.dumps({"model": self.model, "messages": self.messages(prompt), "max_tokens": self.max_tokens},
                             ensure_ascii=False, sort_keys=True)
        return sha256_bytes(payload.encode())

    def _cache_file(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.json"

    def _request(self, prompt: str) -> str:
        import openai

        transient = (openai.APIConnectionError, openai.APITimeoutError, openai.RateLimitError, openai.InternalServerError)
        for attempt in range(self.max_retries + 1):
            try:
                response = self.client.chat.completions.create(
                    model=self.model, messages=self.messages(prompt), temperature=0.0, max_tokens=self.max_tokens,
                )
                self.stats.requests += 1
                return response.choices[0].message.content or ""
            except transient as exc:
                if attempt == self.max_retries:
                    raise LabelerError(f"labeler endpoint failed after {attempt + 1} attempts: {exc}") from exc
                self.stats.retries += 1
                time.sleep(self.backoff_s * 2 ** attempt)
        raise AssertionError("unreachable")

    def answer(self, prompt: str) -> str:
        """The raw model answer for `prompt`, from the cache or the endpoint (then cached)."""
        path = self._cache_file(self.cache_key(prompt))
        if path.exists():
            self.stats.cache_hits += 1
            return json.loads(path.read_text(encoding="utf-8"))["content"]
        content = self._request(prompt)
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps({"model": self.model, "content": content}, ensure_ascii=False), encoding="utf-8")
        return content

    def label_many(self, prompts: Sequence[str], fallbacks: Sequence[ExtractionTruth],
                   progress: bool = False) -> list[tuple[ExtractionTruth, str]]:
        """(truth, fallback reason) per prompt; the reason is "" when the model's answer was used."""
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            answers = pool.map(self.answer, prompts)
            if progress:
                from tqdm import tqdm

                answers = tqdm(answers, total=len(prompts), desc="labeler", unit="review")
            answers = list(answers)
        out = []
        for fallback, content in zip(fallbacks, answers):
            truth, reason = parse_extraction(content)
            if truth is None:
                kind = reason.split(":", 1)[0]
                self.stats.fallbacks[kind] = self.stats.fallbacks.get(kind, 0) + 1
                out.append((fallback, reason))
            else:
                out.append((truth, ""))
        return out


def make_labeler(cfg: dict[str, Any], cache_dir: str | Path = "data/cache/labeler") -> RuleLabeler | OpenAILabeler:
    """The labeler that `prompts.labeler` in params.yaml asks for."""
    backend = cfg.get("backend", "rules")
    if backend == "rules":
        return RuleLabeler()
    if backend == "openai":
        import os

        return OpenAILabeler(
            cfg.get("base_url"), cfg.get("model"), cfg.get("cache_dir") or cache_dir,
            concurrency=cfg.get("concurrency", 4), max_retries=cfg.get("max_retries", 4),
            timeout_s=cfg.get("timeout_s", 60.0), max_tokens=cfg.get("max_tokens", 400),
            api_key=os.environ.get(cfg.get("api_key_env") or "OPENAI_API_KEY", "not-needed"),
        )
    raise ValueError(f"params.yaml prompts.labeler.backend: unknown backend {backend!r} (rules | openai)")

