"""Ground truth for review extraction: deterministic rules, or an LLM behind an OpenAI-compatible endpoint.

`RuleLabeler` applies the labeling guide (docs/labeling.md) with the structured facts (stars, lateness,
order status, B2W's recommend flag) and a PT-BR lexicon (`lexicon.py`): the text decides polarity where
it is clear and the stars break ties; the lexicon finds the complaints, the main one by the guide's
priority; facts fill what words leave out (a late or undelivered order). Its agreement with the
reviewed gold set is measured by `label_quality.py`. The same signals say whether a review is `easy`
(clear, agreeing signals) or `hard` (3 stars, words against stars, good product but late, irony,
several complaints).

`OpenAILabeler` asks an OpenAI-compatible endpoint for the same 10 fields, through the shared client
(`common.openai_client`: retries with exponential backoff, on-disk cache). Every raw answer is cached
under the sha256 of (model, messages, max_tokens), one file per answer written atomically, so a killed
run resumes where it stopped and a rerun is byte-identical. Requests run concurrently; an answer that
does not parse or validate falls back to the rule label, and the reason is recorded.
"""
from __future__ import annotations

import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from pydantic import ValidationError

from common.io import sha256_bytes
from common.openai_client import ChatClient, ChatError, ResponseCache
from factory.prompts import lexicon
from factory.prompts.text import ORDER_STATUS_PT, clip_text, fold
from schemas.tasks import ExtractionTruth

log = logging.getLogger(__name__)

# The labeling guide's bands (docs/labeling.md): sentiment_score by how strongly the text praises or
# complains, churn_risk from the score unless the customer states an intent, repeat_intent = 1 - churn.
POSITIVE_BANDS = {"strong": 0.9, "plain": 0.6, "mild": 0.3}
NEGATIVE_BANDS = {"strong": -0.9, "plain": -0.6, "mild": -0.3}
CHURN_OF_SCORE = {0.9: 0.1, 0.6: 0.2, 0.3: 0.35, 0.0: 0.5, -0.3: 0.65, -0.6: 0.8, -0.9: 0.9}
BUY_AGAIN_CHURN, NEVER_AGAIN_CHURN = 0.1, 0.95
UNDELIVERED = {"canceled", "unavailable"}                            # the order will never arrive
IN_TRANSIT = {"created", "approved", "processing", "invoiced", "shipped"}  # not delivered yet
DELIVERY_CATEGORIES = {"atraso_entrega", "produto_nao_recebido"}
PRODUCT_CATEGORIES = {"produto_defeituoso", "produto_diferente"}
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
    """Deterministic labels from facts + lexicon, following docs/labeling.md."""

    name = "rules"

    def label(self, facts: ReviewFacts) -> Label:
        # Lines are folded apart so that a title's "nao recomendo" does not negate the comment's first words.
        folded = " . ".join(fold(line) for line in facts.text.splitlines() if line.strip())
        hits = lexicon.scan(folded, _clauses(facts.text))
        complaints = self._text_complaints(facts, hits)
        polarity = self._polarity(facts.stars, hits, bool(complaints))
        complaints = complaints or self._fact_complaints(facts, hits, polarity)
        category = complaints[0] if complaints else "nenhuma"
        score = self._score(hits, polarity, bool(complaints))
        delivery_issue = bool(set(complaints) & DELIVERY_CATEGORIES) or hits.delivery_other
        product_issue = bool(set(complaints) & PRODUCT_CATEGORIES)
        seller_issue = hits.seller_blame or "atendimento_vendedor" in complaints
        if facts.recommend is not None:
            would_recommend = facts.recommend
        elif hits.recommend:
            would_recommend = hits.recommend > 0
        else:
            would_recommend = polarity == "positivo"
        churn = CHURN_OF_SCORE[score]
        if hits.repeat < 0:
            churn = NEVER_AGAIN_CHURN
        elif hits.repeat > 0:
            churn = BUY_AGAIN_CHURN
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
    def _text_complaints(facts: ReviewFacts, hits: lexicon.LexiconHits) -> list[str]:
        """The complaint categories the text names, main one first (the guide's priority order).

        A parcel that has not arrived is `atraso_entrega` when the order is late (by the dates or by
        the customer's words) and `produto_nao_recebido` when it was canceled or has no due date
        passed; a missing item is always `produto_nao_recebido`."""
        found = list(hits.complaints)
        if "produto_nao_recebido" in found and not hits.missing_item:
            never = facts.order_status in UNDELIVERED or hits.canceled
            if not never and (facts.is_late or hits.late or (hits.deadline and not hits.within_deadline)):
                found = [c for c in found if c != "produto_nao_recebido"]
                found.insert(found.index("atraso_entrega") if "atraso_entrega" in found else
                             next((i for i, c in enumerate(found) if c not in ("produto_defeituoso", "produto_diferente")),
                                  len(found)), "atraso_entrega")
                found = list(dict.fromkeys(found))
        elif "atraso_entrega" in found and "produto_nao_recebido" not in found and (
                hits.canceled or facts.order_status in UNDELIVERED):
            found[found.index("atraso_entrega")] = "produto_nao_recebido"
        if hits.canceled and "produto_nao_recebido" not in found and not set(found) & PRODUCT_CATEGORIES:
            found.insert(0, "produto_nao_recebido")
        if hits.pickup and not hits.missing_item and "produto_nao_recebido" in found:
            found.remove("produto_nao_recebido")  # "nao recebi, tive que buscar no correio": outro
        if hits.misleading_ad and "produto_diferente" in found:
            found.remove("produto_diferente")
            found.insert(0, "produto_diferente")
        return found

    @staticmethod
    def _fact_complaints(facts: ReviewFacts, hits: lexicon.LexiconHits, polarity: str) -> list[str]:
        """What a complaint with no named cause is about, from the order facts (never on praise)."""
        if polarity == "positivo":
            return []
        if facts.order_status in UNDELIVERED or hits.canceled:
            return ["produto_nao_recebido"]
        if facts.order_status in IN_TRANSIT:
            return ["atraso_entrega" if hits.late else "produto_nao_recebido"]
        if facts.is_late:
            return ["atraso_entrega"]
        if polarity == "negativo" or hits.irony:
            return ["outro"]
        return []

    @staticmethod
    def _polarity(stars: int, hits: lexicon.LexiconHits, complains: bool) -> str:
        """Stars decide unless the text clearly says otherwise (the guide: the text decides)."""
        if hits.irony:
            return "negativo"
        praises = hits.positive > 0
        if stars >= 4:
            return "negativo" if complains and not praises and not hits.wish else "positivo"
        if hits.neutral and stars <= 3 and not hits.strong_negative:
            return "neutro"
        if stars <= 2:
            return "neutro" if praises and not complains and hits.negative == 0 else "negativo"
        if complains or hits.negative > hits.positive:
            return "neutro" if praises else "negativo"
        return "positivo" if praises else "neutro"

    @staticmethod
    def _score(hits: lexicon.LexiconHits, polarity: str, complains: bool) -> float:
        if polarity == "positivo":
            band = "mild" if complains or hits.weak_positive else "strong" if hits.strong_positive else "plain"
            return POSITIVE_BANDS[band]
        if polarity == "negativo":
            band = ("strong" if hits.strong_negative else
                    "mild" if hits.mild_negative or hits.positive > hits.negative else "plain")
            return NEGATIVE_BANDS[band]
        return 0.0

    @staticmethod
    def _main_complaint(facts: ReviewFacts, hits: lexicon.LexiconHits, category: str) -> str:
        if category == "nenhuma":
            return ""
        clause = hits.clauses.get(category) or (
            hits.clauses.get("produto_nao_recebido", "") if category == "atraso_entrega" else "")
        if clause:
            return clip_text(clause, MAIN_COMPLAINT_CHARS)
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
        if facts.stars >= 4 and truth.complaint_category != "nenhuma":
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
    """The endpoint refused the request, or could not be reached after every retry."""


def _cache_entry_json(entry: dict[str, Any]) -> str:
    """A cache file as the labeler has always written it ({"model", "content"}, one line), so that
    existing caches stay valid and a rerun writes the same bytes."""
    return json.dumps(entry, ensure_ascii=False)


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
                 max_tokens: int = 400, api_key_env: str | None = "OPENAI_API_KEY"):
        if not base_url or not model:
            raise ValueError("prompts.labeler.backend=openai needs prompts.labeler.base_url and .model")
        self.model = model
        self.cache_dir = Path(cache_dir)
        self.concurrency = max(1, int(concurrency))
        self.max_tokens = int(max_tokens)
        self.client = ChatClient(base_url, api_key_env=api_key_env, timeout_s=timeout_s, max_retries=max_retries,
                                 backoff_s=backoff_s, cache=ResponseCache(self.cache_dir, dumps=_cache_entry_json))
        self.stats = LabelerStats()

    def messages(self, prompt: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": LABELER_SYSTEM}, {"role": "user", "content": prompt}]

    def cache_key(self, prompt: str) -> str:
        """The answer's cache file name (and its `prompt_sha256` in reports): computed as it always has
        been, so existing caches keep answering."""
        payload = json.dumps({"model": self.model, "messages": self.messages(prompt), "max_tokens": self.max_tokens},
                             ensure_ascii=False, sort_keys=True)
        return sha256_bytes(payload.encode())

    def answer(self, prompt: str) -> str:
        """The raw model answer for `prompt`, from the cache or the endpoint (then cached)."""
        request = {"model": self.model, "messages": self.messages(prompt), "temperature": 0.0,
                   "max_tokens": self.max_tokens}
        try:
            response = self.client.chat(request, cache_key=self.cache_key(prompt), cache_record={"model": self.model})
        except ChatError as exc:
            self.stats.retries += exc.attempts - 1
            raise LabelerError(f"labeler endpoint failed: {exc}") from exc
        if response.cached:
            self.stats.cache_hits += 1
        else:
            self.stats.requests += 1
            self.stats.retries += response.attempts - 1
        return response.text

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
        return OpenAILabeler(
            cfg.get("base_url"), cfg.get("model"), cfg.get("cache_dir") or cache_dir,
            concurrency=cfg.get("concurrency", 4), max_retries=cfg.get("max_retries", 4),
            timeout_s=cfg.get("timeout_s", 60.0), max_tokens=cfg.get("max_tokens", 400),
            api_key_env=cfg.get("api_key_env") or "OPENAI_API_KEY",
        )
    raise ValueError(f"params.yaml prompts.labeler.backend: unknown backend {backend!r} (rules | openai)")

