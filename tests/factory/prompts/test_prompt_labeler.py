"""Extraction labels: the deterministic rule labeler, and the OpenAI-client labeler against a real
local server (`python -m factory.serving` over a tiny random model built offline)."""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from typing import Iterator

import pytest

from factory.prompts.labeler import LabelerError, OpenAILabeler, ReviewFacts, RuleLabeler, parse_extraction
from schemas.tasks import ExtractionTruth

from .conftest import REPO, small_params

RULES = RuleLabeler()


def label(text, stars, status="delivered", late=False, delay=-3.0, recommend=None):
    return RULES.label(ReviewFacts(text, stars, status, late, delay if status == "delivered" else None, recommend))


# ---------------------------------------------------------------- rules

def test_clear_reviews_are_easy_and_labelled_from_facts_and_words():
    good = label("Produto excelente, chegou antes do prazo. Recomendo!", 5)
    assert good.difficulty == "easy" and good.signals == ()
    assert good.truth.sentiment == "positivo" and good.truth.complaint_category == "nenhuma"
    assert good.truth.would_recommend and good.truth.main_complaint == "" and good.truth.sentiment_score > 0.5
    bad = label("Não recebi o produto até hoje. Péssimo.", 1, status="canceled")
    assert bad.difficulty == "easy"
    assert bad.truth.complaint_category == "produto_nao_recebido" and bad.truth.delivery_issue
    assert bad.truth.churn_risk > 0.8 and bad.truth.repeat_intent == pytest.approx(1 - bad.truth.churn_risk)
    broken = label("Veio quebrado e o vendedor não responde", 1)
    assert broken.truth.complaint_category == "produto_defeituoso"
    assert broken.truth.product_issue and broken.truth.seller_issue
    assert broken.truth.main_complaint == "Veio quebrado e o vendedor não responde"  # the clause with the cue


def test_mixed_signals_are_hard():
    late = label("Produto ótimo, mas a entrega atrasou 10 dias", 5, late=True, delay=10.0)
    assert late.difficulty == "hard" and "good_review_but_late" in late.signals
    assert late.truth.sentiment == "positivo" and late.truth.complaint_category == "atraso_entrega"
    assert late.truth.delivery_issue
    assert "three_stars" in label("Mais ou menos, cumpre o que promete", 3).signals
    irony = label("Ótimo, só que não. Nunca chegou.", 3)
    assert "irony" in irony.signals and irony.truth.sentiment == "negativo"
    b2w = RULES.label(ReviewFacts("Bom produto", 5, recommend=False))
    assert "recommend_disagrees_with_stars" in b2w.signals and b2w.truth.would_recommend is False


def test_negation_flips_cues():
    assert label("Não recomendo, produto ruim", 2).truth.would_recommend is False
    no_delay = label("Entrega sem atraso nenhum, tudo certo", 5)
    assert no_delay.truth.complaint_category == "nenhuma" and not no_delay.truth.delivery_issue


def test_late_order_without_complaint_words_is_a_delivery_complaint():
    t = label("Que decepção", 1, late=True, delay=6.4).truth
    assert t.complaint_category == "atraso_entrega" and t.main_complaint == "entrega atrasada (6 dias após o prazo)"
    assert t.delivery_issue


def test_late_order_without_a_complaint_is_no_complaint():
    """The guide: a late order whose customer does not complain is `nenhuma`, delivery_issue false."""
    t = label("Produto excelente, recomendo", 5, late=True, delay=4.0).truth
    assert t.complaint_category == "nenhuma" and not t.delivery_issue and t.main_complaint == ""


def test_a_parcel_not_yet_arrived_is_late_when_the_order_is_late_else_not_received():
    late = label("Até agora não recebi o produto", 1, late=True, delay=10.0).truth
    assert late.complaint_category == "atraso_entrega" and late.delivery_issue
    early = label("Até agora não recebi o produto", 1, late=False, delay=-5.0).truth
    assert early.complaint_category == "produto_nao_recebido"
    canceled = label("Não recebi o produto", 1, status="canceled").truth
    assert canceled.complaint_category == "produto_nao_recebido"
    b2w = RULES.label(ReviewFacts("Não recebi // Já passou do prazo e nada", 1, recommend=False)).truth
    assert b2w.complaint_category == "atraso_entrega"


@pytest.mark.parametrize("text, stars, category", [
    ("Veio faltando uma peça para montar", 3, "produto_nao_recebido"),
    ("Comprei 2 unidades e recebi apenas 1", 2, "produto_nao_recebido"),
    ("A tela veio rasgada", 2, "produto_defeituoso"),
    ("O fone não era original, é falsificado", 1, "produto_diferente"),
    ("Pedi azul e veio na cor errada", 2, "produto_diferente"),
    ("Produto muito caro para o que oferece, frete abusivo", 2, "preco"),
    ("O vendedor não responde minhas mensagens, péssimo atendimento", 1, "atendimento_vendedor"),
    ("Caixa toda amassada, mas o produto está inteiro", 3, "embalagem"),
])
def test_specific_complaints_get_their_category_not_outro(text, stars, category):
    t = label(text, stars).truth
    assert t.complaint_category == category, t


def test_praise_of_the_packaging_is_not_a_packaging_complaint():
    t = label("Chegou rápido e muito bem embalado, embalagem perfeita", 5).truth
    assert t.complaint_category == "nenhuma" and t.sentiment == "positivo"


def test_a_missing_item_in_a_four_star_review_is_an_issue():
    t = label("Gostei da capa, muito boa, porém ainda não recebi as almofadas", 4).truth
    assert t.sentiment == "positivo" and t.complaint_category == "produto_nao_recebido" and t.delivery_issue


def test_the_text_decides_against_the_stars():
    assert label("Até agora não recebi, por favor me ajudem", 5).truth.sentiment == "negativo"
    assert label("Recebi corretamente.", 2).truth.sentiment == "neutro"


def test_seller_issue_only_when_the_text_blames_the_seller():
    assert not label("Comprei 2 e recebi apenas 1", 1).truth.seller_issue
    assert label("Comprei 2 e recebi apenas 1, a loja não responde", 1).truth.seller_issue
    assert not label("Atrasou por culpa dos Correios", 2, late=True, delay=3.0).truth.seller_issue


def test_bands_and_churn_follow_the_guide():
    strong = label("Produto excelente, amei!", 5).truth
    assert strong.sentiment_score == 0.9 and strong.churn_risk == 0.1 and strong.repeat_intent == 0.9
    never = label("Péssimo, nunca mais compro aqui", 1).truth
    assert never.sentiment_score == -0.9 and never.churn_risk == 0.95


def test_parse_extraction_reads_damaged_json_and_explains_failures():
    valid = label("Produto excelente", 5).truth.model_dump()
    truth, reason = parse_extraction("<think>hmm</think>```json\n" + json.dumps(valid)[:-1] + ",}\n```")
    assert reason == "" and truth == ExtractionTruth(**valid)
    assert parse_extraction("sem json aqui") == (None, "unparseable: no JSON object in the answer")
    broken = dict(valid, sentiment="feliz")
    assert parse_extraction(json.dumps(broken))[1] == "invalid: sentiment: literal_error"


# ---------------------------------------------------------------- OpenAI client against a real server

CORPUS = ["Avaliação de cliente: produto ótimo, entrega rápida.", '{"sentiment": "positivo", "sentiment_score": 0.9}',
          "Não recebi o produto e o vendedor não responde.", "complaint_category nenhuma atraso_entrega"] * 8


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    from factory.training.base_model import build_tiny_model

    model = build_tiny_model(tmp_path_factory.mktemp("labeler_model") / "tiny", CORPUS, seed=0, vocab_size=300,
                             hidden_size=32, num_layers=1, num_heads=2)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "factory.serving", "--model", str(model), "--port", "0",
                             "--served-model-name", "tiny"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        if not line.startswith("Serving "):
            pytest.fail(f"factory.serving did not start (exit code {proc.poll()})")
        yield line.split(" at ", 1)[1].strip()
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        if proc.poll() is None:
            proc.kill()


PROMPTS = [f"Avaliação de cliente\nNota: {i % 5 + 1} de 5\nComentário: pedido número {i}, tudo certo" for i in range(6)]
FALLBACKS = [label(p, i % 5 + 1).truth for i, p in enumerate(PROMPTS)]


def labeler(base_url, cache, **kw) -> OpenAILabeler:
    return OpenAILabeler(base_url, "tiny", cache, concurrency=kw.pop("concurrency", 3), max_tokens=16, **kw)


def test_round_trip_cache_and_fallback_with_reason(server, tmp_path):
    first = labeler(server, tmp_path / "cache")
    results = first.label_many(PROMPTS, FALLBACKS)
    assert first.stats.requests == len(PROMPTS) and first.stats.cache_hits == 0
    cached = sorted((tmp_path / "cache").rglob("*.json"))
    assert len(cached) == len(PROMPTS)
    for (truth, reason), fallback in zip(results, FALLBACKS):  # a random tiny model does not write the JSON
        assert reason.startswith(("unparseable", "invalid")) and truth == fallback
    assert sum(first.stats.fallbacks.values()) == len(PROMPTS)

    again = labeler(server, tmp_path / "cache")
    assert again.label_many(PROMPTS, FALLBACKS) == results
    assert again.stats.requests == 0 and again.stats.cache_hits == len(PROMPTS)

    # a cached answer that is valid JSON is used as the label, with no fallback
    valid = label("Produto excelente", 5).truth
    key = again.cache_key(PROMPTS[0])
    (tmp_path / "cache" / key[:2] / f"{key}.json").write_text(json.dumps({"model": "tiny", "content": valid.model_dump_json()}))
    truth, reason = labeler(server, tmp_path / "cache").label_many(PROMPTS[:1], FALLBACKS[:1])[0]
    assert reason == "" and truth == valid


def test_retries_with_backoff_then_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    dead = labeler(closed, tmp_path / "cache", max_retries=2, backoff_s=0.05)
    start = time.monotonic()
    with pytest.raises(LabelerError, match="after 3 attempts"):
        dead.label_many(PROMPTS[:1], FALLBACKS[:1])
    assert dead.stats.retries == 2 and time.monotonic() - start >= 0.05 + 0.1
    assert not list((tmp_path / "cache").rglob("*.json"))


KILLED_RUN = """
import sys
from factory.prompts.labeler import OpenAILabeler
prompts = [f"revisão {i}: " + "produto bom " * 5 for i in range(40)]
OpenAILabeler(sys.argv[1], "tiny", sys.argv[2], concurrency=1, max_tokens=16).label_many(prompts, [None] * 40)
"""


def test_a_killed_run_resumes_from_its_cache(server, tmp_path):
    cache = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, server, str(cache)], cwd=REPO,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    deadline = time.monotonic() + 120
    while len(list(cache.rglob("*.json"))) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    done = list(cache.rglob("*.json"))
    assert 3 <= len(done) < 40, "the run should have been killed part-way"
    for f in done:  # atomic writes: every cache file is complete
        json.loads(f.read_text())
    prompts = [f"revisão {i}: " + "produto bom " * 5 for i in range(40)]
    resumed = labeler(server, cache)
    resumed.label_many(prompts, [label("produto bom", 4).truth] * 40)
    assert resumed.stats.cache_hits == len(done) and resumed.stats.requests == 40 - len(done)


def test_extraction_stage_with_the_openai_backend(server, synthetic_db, tmp_path):
    from factory.prompts.build import generate_task

    params = small_params()
    params["prompts"]["counts"]["extraction"] = 2
    params["prompts"]["labeler"].update(backend="openai", base_url=server, model="tiny", concurrency=4,
                                        max_retries=1, max_tokens=8, cache_dir=str(tmp_path / "cache"))
    report = generate_task("extraction", params, synthetic_db, tmp_path, tmp_path / "metrics")
    n = report["records"]
    assert report["labeler"] == "openai" and n == sum(report["kept_per_stratum"].values())
    assert report["labeler_stats"]["requests"] == n and sum(report["labeler_stats"]["fallbacks"].values()) == n
    assert report["labeler_fallback_examples"][0]["reason"].startswith(("unparseable", "invalid"))
    rules = small_params()
    rules["prompts"]["counts"]["extraction"] = 2
    baseline = generate_task("extraction", rules, synthetic_db, tmp_path / "rules", tmp_path / "rules_metrics")
    assert (tmp_path / "by_task" / "extraction.jsonl").read_bytes() == \
        (tmp_path / "rules" / "by_task" / "extraction.jsonl").read_bytes()  # every answer fell back to the rules
    assert baseline["records"] == n


@pytest.mark.parametrize("text, stars, late, category", [
    ("Ótimo, faz 4 semanas que uso e estou gostando", 5, False, "nenhuma"),          # use, not a wait
    ("Chegou certinho, recebi apenas ontem e já estou usando", 5, False, "nenhuma"),  # "apenas o..." is not "apenas ontem"
    ("Ainda está no prazo, porém não recebi", 3, False, "produto_nao_recebido"),     # the due date has not passed
    ("Não recebi. A entrega era até dia 18 e até hoje nada", 1, False, "atraso_entrega"),  # it has
    ("Pedi 2 e só me mandaram 1", 1, False, "produto_nao_recebido"),
    ("A caixa original estava faltando uma parte, o produto está inteiro", 3, False, "embalagem"),
    ("O ruim é só que não conseguia rastrear, mas o produto é ótimo", 5, False, "outro"),
])
def test_round_two_rules(text, stars, late, category):
    t = label(text, stars, late=late, delay=5.0 if late else -3.0).truth
    assert t.complaint_category == category, t


def test_in_sentence_so_que_nao_is_not_irony_and_no_reply_blames_the_store():
    t = label("Vale a pena. O ruim é só que não conseguia rastrear", 5).truth
    assert t.sentiment == "positivo" and t.delivery_issue
    assert label("Veio quebrado. Já liguei duas vezes e nada foi resolvido", 1).truth.seller_issue
