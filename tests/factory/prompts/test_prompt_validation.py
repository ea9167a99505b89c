"""validate_prompts: passes on a real build, and fails, naming the problem, on broken files."""
from __future__ import annotations

import json
import shutil

import pytest

from factory.prompts.validate import check_prompt_sets


@pytest.fixture()
def copy_of(prompt_sets, tmp_path):
    shutil.copytree(prompt_sets.root, tmp_path / "prompts", ignore=shutil.ignore_patterns("metrics"))
    return tmp_path / "prompts"


def _rewrite(path, edit):
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = edit(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_validation_passes_on_the_built_sets(prompt_sets, tmp_path):
    report, extra = check_prompt_sets(prompt_sets.root, prompt_sets.db, prompt_sets.params, docs_dir=tmp_path / "docs")
    assert report.success, report.failures
    assert extra["record_errors"] == 0
    assert extra["sql_gold_checked"] == sum(1 for line in (prompt_sets.root / "benchmark.jsonl").open()
                                            if '"task":"sql"' in line) + \
        sum(1 for name in ("train", "val") for line in (prompt_sets.root / f"{name}.jsonl").open() if '"task":"sql"' in line)
    assert (tmp_path / "docs" / "index.html").exists()


def test_a_wrong_sql_result_and_a_changed_file_fail(prompt_sets, copy_of):
    def corrupt(lines):
        for i, line in enumerate(lines):
            record = json.loads(line)
            if record["task"] == "sql":
                record["ground_truth"]["rows"] = [[123456789]]
                lines[i] = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
                return lines
        raise AssertionError("no sql record")

    _rewrite(copy_of / "benchmark.jsonl", corrupt)
    report, extra = check_prompt_sets(copy_of, prompt_sets.db, prompt_sets.params)
    assert not report.success
    failed = "\n".join(report.failures)
    assert "sql_gold.matches" in failed and "manifest.match" in failed
    assert extra["sql_gold_failures"][0]["error"] == "result differs from the stored one"


def test_missing_benchmark_record_breaks_strata_and_size(prompt_sets, copy_of):
    _rewrite(copy_of / "benchmark.jsonl", lambda lines: lines[1:])
    report, _ = check_prompt_sets(copy_of, prompt_sets.db, prompt_sets.params)
    failed = "\n".join(report.failures)
    assert "benchmark: expect_table_row_count_to_equal" in failed
    assert "benchmark_strata" in failed


def test_invalid_record_is_reported_with_file_and_line(prompt_sets, copy_of):
    def bad_stratum(lines):
        record = json.loads(lines[2])
        record["difficulty"] = "impossible"
        lines[2] = json.dumps(record, ensure_ascii=False)
        return lines

    _rewrite(copy_of / "val.jsonl", bad_stratum)
    _, extra = check_prompt_sets(copy_of, prompt_sets.db, prompt_sets.params)
    assert extra["record_errors"] == 1
    assert extra["record_error_examples"][0].startswith(f"{copy_of / 'val.jsonl'}:3:")
    assert "impossible" in extra["record_error_examples"][0]


def test_a_duplicated_id_across_splits_fails(prompt_sets, copy_of):
    first_train = (copy_of / "train.jsonl").read_text(encoding="utf-8").splitlines()[0]
    _rewrite(copy_of / "val.jsonl", lambda lines: lines + [first_train])
    report, _ = check_prompt_sets(copy_of, prompt_sets.db, prompt_sets.params)
    assert any(f.startswith("all_splits.id: expect_column_values_to_be_unique") for f in report.failures)
