"""`python -m stages.label_audit`: every commented review of a commerce.db with the active labeler's
label and what it saw, on the synthetic database and on the real sample's."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from factory import db
from common.io import read_jsonl, sha256_file
from factory.prompts.build import generate_task
from factory.sources import ingest
from schemas.tasks import ExtractionTruth
from stages import label_audit

from .conftest import REPO, small_params

LINE_KEYS = {"review_id", "source", "text", "label", "labeler", "signals", "keys", "override"}


def _commented_reviews(db_path: Path) -> int:
    with duckdb.connect(str(db_path), read_only=True) as con:
        olist = con.execute("SELECT count(*) FROM orders_enriched WHERE review_score BETWEEN 1 AND 5 AND has_comment")
        olist = olist.fetchone()[0]
        b2w = con.execute("SELECT count(*) FROM b2w_reviews WHERE overall_rating BETWEEN 1 AND 5 "
                          "AND length(trim(coalesce(review_text, ''))) > 0").fetchone()[0]
    return olist + b2w


def _audit(db_path: Path, out: Path, *extra: str) -> list[dict]:
    assert label_audit.main(["--db", str(db_path), "--out", str(out), "--params", str(REPO / "params.yaml"),
                             *extra]) == 0
    return read_jsonl(out)


def _check_lines(rows: list[dict], db_path: Path) -> None:
    assert len(rows) == _commented_reviews(db_path)
    assert {r["source"] for r in rows} == {"olist", "b2w"}
    for row in rows:
        assert set(row) == LINE_KEYS
        ExtractionTruth.model_validate(row["label"])
        assert row["labeler"] == "rules" and row["text"].strip()
        assert {"stars", "order_status", "is_late", "lexicon", "hard_signals", "difficulty"} <= set(row["signals"])
        assert {"complaints", "irony", "positive", "negative"} <= set(row["signals"]["lexicon"])
    order = [(label_audit.SOURCE_ORDER[r["source"]], r["review_id"], r["keys"]) for r in rows]
    assert order == sorted(order)


@pytest.fixture(scope="module")
def synthetic_audit(synthetic_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    return _audit(synthetic_db, out), out


def test_synthetic_db_every_commented_review_one_line(synthetic_audit, synthetic_db):
    rows, _ = synthetic_audit
    _check_lines(rows, synthetic_db)
    assert any(r["signals"]["hard_signals"] for r in rows) and any(r["signals"]["lexicon"]["complaints"] for r in rows)


def test_audit_labels_are_the_extraction_prompts_labels(synthetic_audit, synthetic_db, tmp_path):
    rows, _ = synthetic_audit
    by_keys = {tuple(r["keys"]): r["label"] for r in rows}
    generate_task("extraction", small_params(), synthetic_db, tmp_path, tmp_path / "metrics")
    records = read_jsonl(tmp_path / "by_task" / "extraction.jsonl")
    assert records
    for record in records:
        assert by_keys[tuple(record["source"]["keys"])] == record["ground_truth"], record["id"]


def test_audit_is_byte_stable_and_shows_matching_overrides(synthetic_audit, synthetic_db, tmp_path):
    rows, out = synthetic_audit
    target = next(r for r in rows if r["source"] == "b2w")
    corrections = tmp_path / "overrides.jsonl"
    corrections.write_text(json.dumps({"review_id": target["review_id"], "label": {"sentiment": "neutro"},
                                       "reason": "test", "reviewer": "tester"}) + "\n", encoding="utf-8")
    again = tmp_path / "again.jsonl"
    empty = tmp_path / "none.jsonl"
    _audit(synthetic_db, again, "--overrides", str(empty))
    assert sha256_file(again) == sha256_file(out)
    shown = _audit(synthetic_db, tmp_path / "with.jsonl", "--overrides", str(corrections))
    marked = [r for r in shown if r["override"]]
    assert [r["review_id"] for r in marked] == [target["review_id"]]
    assert marked[0]["override"] == {"label": {"sentiment": "neutro"}, "reason": "test", "reviewer": "tester"}
    assert marked[0]["label"] == target["label"]  # the audit shows the labeler's label beside the correction


def test_bad_inputs_exit_1_with_a_clear_message(synthetic_db, tmp_path, capsys):
    assert label_audit.main(["--db", str(tmp_path / "missing.db"), "--out", str(tmp_path / "a.jsonl")]) == 1
    assert "missing.db: commerce.db not found" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"review_id": "x", "label": {"sentiment": "feliz"}, "reason": "r", "reviewer": "me"}\n')
    assert label_audit.main(["--db", str(synthetic_db), "--out", str(tmp_path / "b.jsonl"),
                             "--overrides", str(bad)]) == 1
    assert f"{bad}:1: label.sentiment:" in capsys.readouterr().err
    assert not (tmp_path / "b.jsonl").exists()


def test_runs_as_a_module(synthetic_db, tmp_path):
    out = tmp_path / "cli.jsonl"
    done = subprocess.run([sys.executable, "-m", "stages.label_audit", "--db", str(synthetic_db), "--out", str(out),
                           "--overrides", str(tmp_path / "none.jsonl")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "label_audit:" in done.stdout and out.stat().st_size > 0


def test_real_sample_db(shared_data, tmp_path):
    params = {"source": "olist", "olist_dir": str(shared_data / "olist-sample"),
              "b2w_path": str(shared_data / "b2w-sample" / "B2W-Reviews01.sample.csv")}
    ingest(params, tmp_path / "raw")
    db.build(tmp_path / "raw", tmp_path / "commerce.db")
    rows = _audit(tmp_path / "commerce.db", tmp_path / "audit.jsonl",
                  "--overrides", str(REPO / "data" / "labels" / "overrides.jsonl"))
    _check_lines(rows, tmp_path / "commerce.db")
    by_id = {r["review_id"]: r for r in rows}
    late = by_id["009629d341a4c26a8d3554c146bf2471"]  # "Passou do prazo." on an order 3 days late
    assert late["text"] == "Passou do prazo." and late["signals"]["is_late"] is True
    assert sum(r["source"] == "b2w" for r in rows) == 2000
    assert sum(bool(r["override"]) for r in rows) >= 1  # the committed corrections are for real reviews
