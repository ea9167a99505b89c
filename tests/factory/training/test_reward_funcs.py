"""The GRPO stop signal: a completion cut by the length cap earns `train.truncated_reward`, whatever it holds."""
from __future__ import annotations

import json
from pathlib import Path

import rewards
from factory.training.reward_funcs import stop_token_ids, unstopped_scored_as

GOLD = {"sentiment": "positivo", "sentiment_score": 0.9, "complaint_category": "nenhuma", "churn_risk": 0.1,
        "repeat_intent": 0.9, "delivery_issue": False, "product_issue": False, "seller_issue": False,
        "would_recommend": True, "main_complaint": ""}
EOS, PAD = 1, 0


def _call(func, completions, ids, tasks):
    return func(prompts=["p"] * len(completions), completions=completions, completion_ids=ids,
                task=tasks, ground_truth=[GOLD] * len(completions))


def test_a_looping_completion_with_a_complete_answer_earns_the_truncated_reward(tmp_path: Path) -> None:
    plain = rewards.get("extraction", db_path=tmp_path / "none.db")
    answer = json.dumps(GOLD, ensure_ascii=False)
    looping = answer + "\n" + answer[:40]  # the full answer, then a loop cut by the cap
    stopped_ids, cut_ids = [5, 6, EOS], [5, 6, 7]
    scored = _call(plain, [answer, looping], [stopped_ids, cut_ids], ["extraction"] * 2)
    assert scored[0] == 1.0 and scored[1] > 0.9  # as written, the loop scores nearly as well: no stop signal

    penalized = unstopped_scored_as(plain, [EOS, PAD], 0.0)
    assert penalized.__name__ == "extraction"  # TRL's rewards/<task>/mean keeps its name
    assert _call(penalized, [answer, looping], [stopped_ids, cut_ids], ["extraction"] * 2) == [1.0, 0.0]


def test_other_tasks_rows_stay_none_and_pad_ends_a_completion(tmp_path: Path) -> None:
    penalized = unstopped_scored_as(rewards.get("extraction", db_path=tmp_path / "none.db"), [EOS, PAD], -0.5)
    answer = json.dumps(GOLD, ensure_ascii=False)
    out = _call(penalized, [answer, answer, "x"], [[9, PAD], [9, 9], [9]], ["extraction", "extraction", "sql"])
    assert out == [1.0, -0.5, None]


def test_without_completion_ids_the_reward_is_unchanged(tmp_path: Path) -> None:
    plain = rewards.get("extraction", db_path=tmp_path / "none.db")
    penalized = unstopped_scored_as(plain, [EOS], 0.0)
    kwargs = dict(prompts=["p"], completions=["{}"], task=["extraction"], ground_truth=[GOLD])
    assert penalized(**kwargs) == plain(**kwargs)


def test_stop_ids_are_the_generation_eos_ids_and_the_tokenizers_eos_and_pad(tiny_model_dir: Path) -> None:
    from factory.training.base_model import load_model

    model, tok = load_model(tiny_model_dir)
    model.generation_config.eos_token_id = [tok.eos_token_id, 3]
    assert stop_token_ids(model, tok) == sorted({tok.eos_token_id, tok.pad_token_id, 3})
    model.generation_config.eos_token_id = None
    assert stop_token_ids(model, tok) == sorted({tok.eos_token_id, tok.pad_token_id})


def test_grpo_rewards_cut_completions_with_train_truncated_reward(
    sft_run, records: list[dict], task_rewards: list, grpo_params: dict, tmp_path: Path
) -> None:
    """On the tiny model most completions hit the 24-token cap: each of those scores -1, not its parse."""
    from factory.training.grpo import train_grpo

    params = {**grpo_params, "max_steps": 1, "truncated_reward": -1.0}
    run = train_grpo(records, [], policy_dir=sft_run[0], out_dir=tmp_path / "grpo", params=params,
                     reward_funcs=task_rewards, work_dir=tmp_path / "work")
    (step,) = [e for e in run.log_history if "reward" in e]
    clipped = step["completions/clipped_ratio"]
    assert clipped > 0.5
    # cut completions earn -1, the others at most 1 (a single task reward per row)
    assert step["reward"] <= (1 - clipped) * 1.0 - clipped + 1e-6
