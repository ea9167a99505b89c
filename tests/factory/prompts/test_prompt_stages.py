"""The stage entry points and their DVC wiring."""
from __future__ import annotations

import subprocess
import sys

import yaml

from schemas.tasks import TASKS

from .conftest import REPO


def test_show_prompts_prints_readable_records(prompt_sets):
    out = subprocess.run([sys.executable, "-m", "stages.show_prompts", "--task", "sql", "-n", "3", "--split", "benchmark",
                          "--prompts-dir", str(prompt_sets.root)], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.count("━━ sql-") == 3
    assert "difficulty=simple" in out.stdout and "difficulty=join" in out.stdout and "gold_sql" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "stages.show_prompts", "--task", "churn", "--stratum", "nope",
                          "--prompts-dir", str(prompt_sets.root)], cwd=REPO, capture_output=True, text=True)
    assert bad.returncode != 0 and "no churn records" in bad.stderr


def test_sample_pages_show_every_stratum(prompt_sets):
    from common.io import read_jsonl
    from factory.prompts.show import sample_page

    splits = {n: read_jsonl(prompt_sets.root / f"{n}.jsonl") for n in ("train", "val", "benchmark")}
    page = sample_page("extraction", splits)
    assert page.startswith("# Prompt samples: `extraction`") and "(easy)" in page and "(hard)" in page
    assert "```json" in page


def test_dvc_yaml_wires_one_prompts_stage_per_task():
    """One prompts@<task> per params.yaml prompts.counts key, and those keys are the registry."""
    spec = yaml.safe_load((REPO / "dvc.yaml").read_text())
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    assert list(params["prompts"]["counts"]) == list(TASKS)
    stages = spec["stages"]
    assert stages["prompts"]["foreach"] == "${prompts.counts}"
    assert stages["prompts"]["do"]["cmd"] == "python -m stages.prompts ${key}"
    assert stages["prompts"]["do"]["outs"] == ["data/prompts/by_task/${key}.jsonl"]
    assert "data/prompts/by_task" in stages["split"]["deps"] and "data/prompts/by_task" in stages["validate_prompts"]["deps"]
    assert "reports/metrics/split.json" in [next(iter(m)) if isinstance(m, dict) else m for m in stages["split"]["metrics"]]
