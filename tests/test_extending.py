"""README "Extending" is a test: its worked example adds a task in a temporary copy of the repository,
editing three files, and that task runs through prompts, split, the reward self-test and scoring.

The three code blocks are read from the README (so the guide cannot drift from what works), applied
to a copy (tests/pipeline_copy.py), and `git status` must show exactly those three files changed.
A driver then runs the real stage entry points in the copy on a small synthetic commerce.db: every
`prompts@<task>`, `split`, `reward_selftest` and `score`, the last against a local OpenAI-compatible
server that answers each benchmark prompt with its gold answer (no model to train).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from pipeline_copy import REPO, copy_repo, run, tiny_params

BLOCK = re.compile(r"```(?:python|yaml)\n# (?P<path>\S+?)(?:: (?P<how>[^\n]+))?\n(?P<body>.*?)```", re.S)
COUNTS_END = "add at the end of prompts.counts"
APPEND = "add at the end"


def readme_example() -> list[tuple[str, str, str]]:
    """(path, how, text) of each code block of README "### Add a task"."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Add a task", 1)[1].split("\n### ", 1)[0]
    return [(m["path"], m["how"] or "", m["body"]) for m in BLOCK.finditer(section)]


def apply_block(repo: Path, path: str, how: str, text: str) -> None:
    """Write a new file, append to one, or add entries at the end of params.yaml prompts.counts."""
    target = repo / path
    if how == COUNTS_END:
        lines = target.read_text(encoding="utf-8").split("\n")
        end = next(i for i, line in enumerate(lines) if line.startswith("  counts:")) + 1
        while lines[end].startswith("    "):
            end += 1
        lines[end:end] = text.rstrip("\n").split("\n")
        target.write_text("\n".join(lines), encoding="utf-8")
    elif how == APPEND:
        target.write_text(target.read_text(encoding="utf-8") + text, encoding="utf-8")
    else:
        assert not how and not target.exists(), f"README block for {path}: unknown action {how!r} or file exists"
        target.write_text(text, encoding="utf-8")


# Runs in the copy: the stage entry points, in pipeline order, on a small synthetic database.
DRIVER = r'''
import json, sys
from pathlib import Path

sys.path.insert(0, "tests")
import factory.tasks  # noqa: F401  (what every task stage imports)
from factory import db
from factory.config import load_params
from factory.prompts.base import check_counts
from factory.sources import ingest
from json_server import JsonServer
from rewards.render import gold_answer
from schemas.records import read_records
from schemas.tasks import TASKS
import stages.prompts, stages.reward_selftest, stages.score, stages.split

params = load_params()
out = {"tasks": list(TASKS)}
try:  # a registered task missing from prompts.counts is a clear error
    check_counts({k: v for k, v in params["prompts"]["counts"].items() if k != "rating"})
except ValueError as exc:
    out["missing_counts_error"] = str(exc)
ingest(params["data"], Path("data/raw"))
db.build(Path("data/raw"), Path("data/commerce.db"))
for task in TASKS:
    sys.argv = ["prompts", task]
    stages.prompts.main()
stages.split.main()
out["selftest_rc"] = stages.reward_selftest.main()

benchmark = read_records(Path("data/prompts/benchmark.jsonl"))
gold = {r["messages"][-1]["content"]: gold_answer(r["task"], r["ground_truth"]) for r in benchmark}

class GoldServer(JsonServer):
    def answer(self, path, headers, body):
        text = gold[body["messages"][-1]["content"]]
        return 200, json.dumps({"choices": [{"message": {"role": "assistant", "content": text},
                                             "finish_reason": "stop"}],
                                "usage": {"prompt_tokens": 1, "completion_tokens": 1}}).encode()

server = GoldServer()
import yaml
spec = yaml.safe_load(Path("params.yaml").read_text())
spec["eval"]["models"] = []
spec["eval"]["endpoints"] = [{"name": "gold", "base_url": server.base_url, "model": "gold", "privacy": "local"}]
Path("params.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
stages.score.main([])  # every target and the floor
server.close()
print("RESULT " + json.dumps(out))
'''


@pytest.fixture(scope="module")
def extended(tmp_path_factory) -> tuple[Path, list[str], dict]:
    repo = tmp_path_factory.mktemp("extending") / "repo"
    repo.mkdir()
    copy_repo(repo)
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    run(["git", "init", "-q"], repo)
    run(git + ["add", "-A"], repo)
    run(git + ["commit", "-q", "-m", "copy"], repo)
    for path, how, text in readme_example():
        apply_block(repo, path, how, text)
    changed = sorted(line[3:] for line in run(["git", "status", "--porcelain", "-uall"], repo).splitlines())
    params = tiny_params(repo)  # the smallest sizes, the new task's count too
    params["prompts"]["counts"]["rating"] = 8
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True), encoding="utf-8")
    output = run([sys.executable, "-c", DRIVER], repo, timeout=600)  # cwd first on sys.path: the copy's code
    result = json.loads(output.split("RESULT ", 1)[1].splitlines()[0])
    return repo, changed, result


def test_readme_example_has_the_three_blocks():
    blocks = readme_example()
    assert [(p, h) for p, h, _ in blocks] == [("factory/tasks/rating.py", ""), ("factory/tasks/__init__.py", APPEND),
                                              ("params.yaml", COUNTS_END)]


def test_adding_a_task_touches_three_files(extended):
    _, changed, result = extended
    assert changed == ["factory/tasks/__init__.py", "factory/tasks/rating.py", "params.yaml"]
    assert result["tasks"][-1] == "rating"


def test_a_task_missing_from_params_counts_is_named(extended):
    _, _, result = extended
    assert "prompts.counts" in result["missing_counts_error"] and "rating" in result["missing_counts_error"]


def test_the_new_task_runs_through_prompts_split_selftest_and_score(extended):
    repo, _, result = extended
    pool = [json.loads(line) for line in (repo / "data/prompts/by_task/rating.jsonl").read_text().splitlines()]
    assert {r["difficulty"] for r in pool} == {"low", "mid", "high"}
    benchmark = [json.loads(line) for line in (repo / "data/prompts/benchmark.jsonl").read_text().splitlines()]
    assert sum(r["task"] == "rating" for r in benchmark) == 6
    assert any(json.loads(line)["task"] == "rating" for line in (repo / "data/prompts/train.jsonl").read_text().splitlines())
    assert "`rating`: review text -> the 1-5 stars" in (repo / "data/prompts/hf/README.md").read_text()

    assert result["selftest_rc"] == 0
    selftest = json.loads((repo / "reports/details/reward_selftest.json").read_text())
    rating = selftest["tasks"]["rating"]
    assert rating["records"] >= 6 and rating["gold_min"] >= 0.99
    assert rating["corruptions"] and all(c["caught"] == c["checked"] for c in rating["corruptions"].values())
    assert rating["truncation"]["half_values"] == 0 and "rating" in selftest["trivial_floor"]["tasks"]

    gold = json.loads((repo / "reports/details/score/gold.json").read_text())
    assert gold["by_task"]["rating"]["n"] == 6 and gold["by_task"]["rating"]["task"] == 1.0
    floor = json.loads((repo / "reports/details/score/floor.json").read_text())
    assert floor["answerers"]["majority"]["by_task"]["rating"]["task"] < 1.0


def test_dvc_sees_a_prompts_stage_for_the_new_task(extended):
    repo, _, _ = extended
    dvc = str(Path(sys.executable).with_name("dvc"))
    run([dvc, "init", "-q", "-f"], repo)
    stages = run([dvc, "stage", "list", "--name-only"], repo).split()
    assert "prompts@rating" in stages and "split" in stages


def test_an_unregistered_counts_key_is_named():
    """The check itself can fail the other way: a counts key that no task registered is refused."""
    from factory.prompts.base import check_counts

    counts = {**yaml.safe_load((REPO / "params.yaml").read_text())["prompts"]["counts"], "ratin": 8}
    with pytest.raises(ValueError, match=r"prompts.counts: unknown task ratin"):
        check_counts(counts)


def test_every_stage_that_reads_the_registry_loads_the_plugins():
    """A stage that iterates tasks but never imports factory/tasks would not see a plugin's task."""
    from test_dvc_deps import import_closure

    registry, plugins = REPO / "schemas" / "tasks.py", REPO / "factory" / "tasks" / "__init__.py"
    blind = [stage.name for stage in sorted((REPO / "stages").glob("*.py"))
             if registry in (closure := import_closure(stage)) and plugins not in closure]
    assert blind == []
