"""Decontamination by content: no benchmark review text appears verbatim in a training or val prompt."""
from __future__ import annotations

import json

from common.io import read_jsonl
from factory.prompts.extraction import ExtractionGenerator, render_review
from factory.prompts.labeler import ReviewFacts
from factory.prompts.overlap import normalized
from factory.prompts.reviews import Review
from factory.prompts.sentiment import SentimentGenerator
from factory.prompts.split import QUOTE_MIN_WORDS, SplitConfig, Splitter, quotes, user_text
from schemas.records import read_records
from schemas.tasks import TASKS

from .conftest import small_params


def review(title: str, comment: str, source: str = "olist") -> Review:
    facts = ReviewFacts(text=f"{title}\n{comment}", stars=2)
    return Review(source, title, comment, facts, "cama mesa banho", "entregue", "no dia previsto",
                  "orders_enriched", ("review:x",))


def test_quoted_texts_are_the_title_and_the_whole_comment():
    user = render_review(review("Veio quebrado", "A tampa veio rachada.\nNão recomendo a loja"))
    assert ExtractionGenerator.quoted_texts(user) == ("Veio quebrado", "A tampa veio rachada.\nNão recomendo a loja")
    assert ExtractionGenerator.quoted_texts(render_review(review("", "Comentário: chegou certo", "b2w"))) == \
        ("Comentário: chegou certo",)
    assert ExtractionGenerator.quoted_texts(render_review(review("Só o título", ""))) == ("Só o título",)
    sentiment = "Produto: panela\nTítulo: (sem título)\nAvaliação: produto chegou antes do prazo"
    assert SentimentGenerator.quoted_texts(sentiment) == ("produto chegou antes do prazo",)


def test_only_texts_of_four_words_or_more_count(prompt_sets):
    record = json.loads(json.dumps(next(r for r in read_jsonl(prompt_sets.root / "by_task" / "sentiment.jsonl"))))
    record["messages"][-1]["content"] = "Produto: x\nTítulo: Ótimo produto\nAvaliação: Chegou rápido, gostei muito"
    assert QUOTE_MIN_WORDS == 4
    assert quotes(record) == ["chegou rapido gostei muito"]


def test_no_benchmark_review_is_quoted_in_train_or_val(prompt_sets):
    s = {name: read_jsonl(prompt_sets.root / f"{name}.jsonl") for name in ("train", "val", "benchmark")}
    texts = [f" {normalized(user_text(r))} " for r in s["train"] + s["val"]]
    reviews = [r for r in s["benchmark"] if r["task"] in ("extraction", "sentiment")]
    assert len(reviews) == 35 and sum(bool(quotes(r)) for r in reviews) >= 20
    for r in reviews:
        for q in quotes(r):
            assert not any(f" {q} " in t for t in texts), (r["id"], q)
    m = prompt_sets.metrics["review_text_overlap"]
    assert m["benchmark_reviews_seen_verbatim"] == 0 and m["benchmark_reviews"] == 35 and m["min_words"] == 4


def test_a_training_prompt_quoting_a_benchmark_review_is_removed(prompt_sets):
    pools = {t: read_records(prompt_sets.root / "by_task" / f"{t}.jsonl") for t in TASKS}
    bench = read_jsonl(prompt_sets.root / "benchmark.jsonl")
    target = next(r for r in bench if r["task"] == "extraction" and quotes(r))
    comment = user_text(target).split("\nComentário: ", 1)[1]
    bench_ids = {r["id"] for r in bench}
    victim = next(r for r in pools["sentiment"] if r["id"] not in bench_ids and
                  not set(r["source"]["keys"]) & {k for b in bench for k in b["source"]["keys"]})
    victim["messages"][-1]["content"] = "Produto: panela\nTítulo: (sem título)\nAvaliação: " + comment
    splitter = Splitter(pools, SplitConfig.from_params(small_params()))
    splitter.training_pool(bench)
    assert {"id": victim["id"], "task": "sentiment", "reason": "benchmark_review_text", "ref": target["id"]} in splitter.removed


def test_a_review_quoted_elsewhere_yields_its_benchmark_place(prompt_sets):
    """Within its answer class, a review another prompt quotes is tried last for the benchmark."""
    pools = {t: read_records(prompt_sets.root / "by_task" / f"{t}.jsonl") for t in TASKS}
    cfg = SplitConfig.from_params(small_params())
    plain = Splitter(pools, cfg)
    before = plain.benchmark_order("extraction", "easy")
    outcome = ExtractionGenerator.outcome

    def unquoted_of_class(splitter, order, record):
        return [r for r in order if outcome(r["ground_truth"]) == outcome(record["ground_truth"])
                and not splitter.quoted_elsewhere(r)]

    first = next(r for r in before if quotes(r) and len(unquoted_of_class(plain, before, r)) >= 2)
    copy = json.loads(json.dumps(pools["push"][0]))
    copy["id"] = "push-customer-9999"
    copy["source"]["keys"] = ["customer:planted"]
    copy["messages"][-1]["content"] += "\nO cliente escreveu: " + user_text(first).split("\nComentário: ", 1)[1]
    pools["push"].append(copy)
    planted = Splitter(pools, cfg)
    assert planted.quoted_elsewhere(first)
    after = planted.benchmark_order("extraction", "easy")
    assert all(after.index(r) < after.index(first) for r in unquoted_of_class(planted, after, first))
    assert after.index(first) > before.index(first)
