"""params.yaml is typed once (factory.params): unknown or mistyped keys stop a stage, naming the key."""
from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from factory.config import load_params
from factory.params import Params, ParamsError, validate_params

REPO = Path(__file__).resolve().parents[1]
RAW = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))


def test_the_repo_params_validate() -> None:
    assert isinstance(validate_params(RAW), Params)
    assert load_params(REPO / "params.yaml") == RAW


@pytest.mark.parametrize("section,key,near", [("train", "max_stepz", "train.max_steps"),
                                              ("prompts", "val_fractoin", "prompts.val_fraction"),
                                              ("sft", "learning_rat", "sft.learning_rate")])
def test_unknown_key_names_itself_and_the_nearest_valid_one(section: str, key: str, near: str) -> None:
    raw = copy.deepcopy(RAW)
    raw[section][key] = 5
    with pytest.raises(ParamsError, match=rf"{section}\.{key}: unknown key \(did you mean {near}\?\)"):
        validate_params(raw)


def test_mistyped_and_missing_values_are_named() -> None:
    raw = copy.deepcopy(RAW)
    raw["train"]["max_steps"] = "many"
    raw["prompts"]["val_fraction"] = 1.5
    del raw["eval"]["temperature"]
    with pytest.raises(ParamsError) as err:
        validate_params(raw)
    msg = str(err.value)
    assert "train.max_steps:" in msg and "prompts.val_fraction:" in msg and "eval.temperature: missing" in msg


def test_every_model_field_documents_itself() -> None:
    """TRL style: each knob carries its help text once, in the model."""
    def walk(model):
        for name, field in model.model_fields.items():
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                yield from walk(ann)
            else:
                yield f"{model.__name__}.{name}", field.description
    undocumented = [name for name, help_text in walk(Params) if not help_text]
    assert not undocumented


def test_check_params_stage_fails_fast_on_a_typo(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    raw["train"]["max_stepz"] = 5
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-m", "stages.check_params"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "train.max_stepz: unknown key (did you mean train.max_steps?)" in done.stderr
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(RAW), encoding="utf-8")
    ok = subprocess.run([sys.executable, "-m", "stages.check_params"], cwd=tmp_path, env=env,
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr


def test_an_exponent_float_written_by_dvc_is_a_number(tmp_path: Path) -> None:
    """`dvc exp run -S train.learning_rate=2e-5` writes `2e-05`: a number for DVC, and for us too."""
    text = (REPO / "params.yaml").read_text(encoding="utf-8")
    text = text.replace("learning_rate: 5.0e-6", "learning_rate: 2e-05", 1)
    assert "learning_rate: 2e-05" in text
    (tmp_path / "params.yaml").write_text(text, encoding="utf-8")
    assert yaml.safe_load(text)["train"]["learning_rate"] == "2e-05"  # what plain PyYAML makes of it
    params = load_params(tmp_path / "params.yaml")
    assert params["train"]["learning_rate"] == 2e-05 and isinstance(params["train"]["learning_rate"], float)
    assert load_params(REPO / "params.yaml")["model"]["base"] == "tiny"  # strings stay strings


def _readme_overrides(command_start: str) -> list[tuple[str, str]]:
    """The `-S key=value` overrides of the README command that starts with `command_start`."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(command_start)
    lines = []
    for line in text[start:].splitlines():
        lines.append(line)
        if not line.rstrip().endswith("\\"):
            break
    return re.findall(r"-S\s+([\w.+]+)=(\S+)", " ".join(lines))


def test_the_readme_reference_recipe_names_only_real_params() -> None:
    """`dvc exp run -S` writes these into params.yaml: a renamed param must not leave the README's
    reference command failing on a fresh clone (`extra="forbid"` would stop the first stage)."""
    overrides = _readme_overrides("dvc exp run -n gemma-3-270m")
    assert ("sft.train_per_task", "72") in overrides and len(overrides) >= 10
    raw = copy.deepcopy(RAW)
    for key, value in overrides:
        *path, leaf = key.split(".")
        node = raw
        for part in path:
            assert part in node, f"README recipe: {key}: no section {part!r} in params.yaml"
            node = node[part]
        assert leaf in node, f"README recipe: {key} is not a params.yaml key"
        node[leaf] = yaml.safe_load(value)
    validate_params(raw, source="README reference recipe")
