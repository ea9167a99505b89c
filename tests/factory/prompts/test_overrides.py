"""Reviewed label corrections: validated line by line, applied by review id over the labeler's label."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory.config import load_params
from factory.params import ParamsError
from factory.prompts import overrides
from factory.prompts.labeler import ReviewFacts, RuleLabeler
from factory.prompts.overrides import OverrideError
from schemas.tasks import ExtractionTruth, SentimentTruth

REPO = Path(__file__).resolve().parents[3]
LABEL = ExtractionTruth(sentiment="positivo", sentiment_score=0.8, complaint_category="nenhuma", churn_risk=0.1,
                        repeat_intent=0.9, delivery_issue=False, product_issue=False, seller_issue=False,
                        would_recommend=True, main_complaint="")


def _line(review_id="r1", label=None, **extra) -> dict:
    return {"review_id": review_id, "label": {"complaint_category": "produto_diferente"} if label is None else label,
            "reason": "read by hand", "reviewer": "tester", **extra}


def _write(tmp_path: Path, *rows) -> Path:
    path = tmp_path / "overrides.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_partial_override_replaces_only_its_fields_and_is_counted(tmp_path):
    corrections = overrides.load(_write(tmp_path, _line(label={"complaint_category": "produto_diferente",
                                                               "product_issue": True, "main_complaint": "cor errada"}),
                                        _line("r2", {"sentiment": "negativo", "sentiment_score": -0.5})))
    fixed = corrections.apply("r1", LABEL)
    assert fixed.complaint_category == "produto_diferente" and fixed.product_issue and fixed.main_complaint == "cor errada"
    assert fixed.sentiment == "positivo" and fixed.churn_risk == LABEL.churn_risk  # untouched fields stay
    assert corrections.apply("nobody", LABEL) is LABEL
    assert corrections.metrics()["entries"] == 2 and corrections.metrics()["applied"] == 1
    sentiment = corrections.apply("r2", SentimentTruth(sentiment="positivo", sentiment_score=0.7))
    assert sentiment == SentimentTruth(sentiment="negativo", sentiment_score=-0.5)
    assert corrections.apply("r1", SentimentTruth(sentiment="positivo", sentiment_score=0.7)).sentiment == "positivo"
    assert corrections.metrics()["applied"] == 2


def test_correcting_to_no_complaint_empties_the_main_complaint(tmp_path):
    complaint = LABEL.model_copy(update={"complaint_category": "atraso_entrega", "main_complaint": "atrasou"})
    corrections = overrides.load(_write(tmp_path, _line(label={"complaint_category": "nenhuma"})))
    assert corrections.apply("r1", complaint).main_complaint == ""


def test_corrected_label_keeps_the_stratum_signals(tmp_path):
    label = RuleLabeler().label(ReviewFacts(text="Chegou com 10 dias de atraso, mas é ótimo", stars=4,
                                            order_status="delivered", is_late=True, delay_days=10.0))
    corrections = overrides.load(_write(tmp_path, _line("abc", {"complaint_category": "atraso_entrega"})))
    fixed = corrections.corrected(label, ("review:abc", "order:o1"))
    assert fixed.truth.complaint_category == "atraso_entrega" and fixed.signals == label.signals
    assert corrections.corrected(label, ("b2w_review:other",)) is label
    assert corrections.in_records([("review:abc",), ["b2w_review:x"]]) == 1


def test_review_ids_come_from_the_source_keys():
    assert overrides.review_id(("review:0abc", "order:1", "customer:2")) == "0abc"
    assert overrides.review_id(["b2w_review:0123456789abcdef", "b2w_reviewer:x"]) == "0123456789abcdef"


@pytest.mark.parametrize("row, line, field, words", [
    ('{"review_id": "r1", "label": ', 2, "line", "not JSON"),
    ('["r1"]', 2, "line", "JSON object"),
    (_line(label={"complaint_category": "atraso"}), 2, "label.complaint_category", "atraso"),
    (_line(label={"sentiment_score": 3}), 2, "label.sentiment_score", "less than or equal"),
    (_line(label={"delivery_issue": "talvez"}), 2, "label.delivery_issue", "boolean"),
    (_line(label={"stars": 5}), 2, "label.stars", "unknown field"),
    (_line(label={}), 2, "label", "non-empty"),
    ({"review_id": "r9", "label": {"sentiment": "neutro"}, "reviewer": "x"}, 2, "reason", "missing"),
    (_line(reviewer=" "), 2, "reviewer", "non-empty"),
    (_line(note="x"), 2, "note", "unknown key"),
    (_line("r0"), 2, "review_id", "already corrected on line 1"),
])
def test_bad_lines_are_rejected_naming_file_line_and_field(tmp_path, row, line, field, words):
    path = _write(tmp_path, _line("r0"), row)
    with pytest.raises(OverrideError) as info:
        overrides.load(path)
    assert (info.value.file, info.value.line, info.value.field) == (str(path), line, field)
    assert str(info.value).startswith(f"{path}:{line}: {field}: ") and words in str(info.value)


def test_blank_lines_are_skipped_but_counted(tmp_path):
    corrections = overrides.load(_write(tmp_path, "", _line(label={"main_complaint": "x" * 150})))
    assert corrections.get("r1").line == 2
    assert len(corrections.apply("r1", LABEL).main_complaint) == 150


def test_missing_file_is_an_empty_set_unless_required(tmp_path):
    assert len(overrides.load(tmp_path / "none.jsonl")) == 0
    with pytest.raises(OverrideError, match="not found"):
        overrides.load(tmp_path / "none.jsonl", missing_ok=False)


def test_params_name_the_file(tmp_path):
    path = _write(tmp_path, _line())
    assert len(overrides.from_params({"prompts": {"labeler": {"overrides": str(path)}}})) == 1
    with pytest.raises(ParamsError, match="prompts.labeler.overrides: missing"):
        overrides.from_params({"prompts": {"labeler": {}}})


def test_the_committed_corrections_are_valid_and_reviewed():
    path = load_params(REPO / "params.yaml")["prompts"]["labeler"]["overrides"]
    corrections = overrides.load(REPO / path, missing_ok=False)
    assert len(corrections) >= 1
    assert all(o.reason and o.reviewer for o in corrections.by_id.values())


def test_corrections_take_precedence_in_the_prompt_sets(synthetic_db, tmp_path):
    from common.io import read_jsonl
    from factory.prompts.build import generate_task

    from .conftest import small_params

    params = small_params()
    generate_task("extraction", params, synthetic_db, tmp_path / "before", tmp_path / "before")
    record = read_jsonl(tmp_path / "before" / "by_task" / "extraction.jsonl")[0]
    rid = overrides.review_id(record["source"]["keys"])
    # fields outside the answer classes the pools are spread over, so the same record is kept
    path = _write(tmp_path, _line(rid, {"churn_risk": 0.42, "repeat_intent": 0.58, "main_complaint": "revisado"}))
    params["prompts"]["labeler"]["overrides"] = str(path)
    generate_task("extraction", params, synthetic_db, tmp_path / "after", tmp_path / "after")
    after = {r["id"]: r for r in read_jsonl(tmp_path / "after" / "by_task" / "extraction.jsonl")}[record["id"]]
    assert after["source"]["keys"] == record["source"]["keys"]
    assert (after["ground_truth"]["churn_risk"], after["ground_truth"]["main_complaint"]) == (0.42, "revisado")
    from factory.reporting import details_path

    headline = json.loads((tmp_path / "after" / "extraction.json").read_text(encoding="utf-8"))
    metrics = json.loads(details_path(tmp_path / "after" / "extraction.json").read_text(encoding="utf-8"))
    assert headline["overrides"] == {"applied": metrics["overrides"]["applied"]}
    assert metrics["overrides"]["applied"] >= 1 and metrics["overrides"]["in_records"] >= 1


def test_corrections_reach_the_sentiment_prompts_too(synthetic_db, tmp_path):
    from common.io import read_jsonl
    from factory.prompts.build import generate_task

    from .conftest import small_params

    params = small_params()
    generate_task("sentiment", params, synthetic_db, tmp_path / "before", tmp_path / "before")
    record = read_jsonl(tmp_path / "before" / "by_task" / "sentiment.jsonl")[0]
    score = record["ground_truth"]["sentiment_score"]
    revised = round(score - 0.05 if score > 0 else score + 0.05, 2)  # same polarity, so the same stratum
    path = _write(tmp_path, _line(overrides.review_id(record["source"]["keys"]), {"sentiment_score": revised}))
    params["prompts"]["labeler"]["overrides"] = str(path)
    generate_task("sentiment", params, synthetic_db, tmp_path / "after", tmp_path / "after")
    after = {r["id"]: r for r in read_jsonl(tmp_path / "after" / "by_task" / "sentiment.jsonl")}[record["id"]]
    assert after["source"]["keys"] == record["source"]["keys"]
    assert after["ground_truth"] == {"sentiment": record["ground_truth"]["sentiment"], "sentiment_score": revised}
    from factory.reporting import details_path

    metrics = json.loads(details_path(tmp_path / "after" / "sentiment.json").read_text(encoding="utf-8"))
    assert metrics["overrides"] == {"file": path.as_posix(), "entries": 1, "applied": 1, "in_records": 1}
