"""SFT: loss falls, the saved model reloads with its tokenizer, degenerate output is measured."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from factory.training.base_model import CHAT_TEMPLATE, check_model_dir, load_model
from factory.training.reward_funcs import format_scorer
from factory.training.sft import fit_length, sample_report, samples_markdown, train_sft


def test_sft_loss_falls_and_the_model_reloads_with_its_tokenizer(sft_run, tiny_model_dir: Path, sft_params: dict) -> None:
    out, run = sft_run
    m = run.metrics
    assert m["global_step"] == sft_params["max_steps"] and m["backend"] == "trl"
    assert m["loss_last"] < 0.7 * m["loss_first"], m
    assert m["val_loss"] is not None and m["val_loss"] < m["loss_first"]
    assert check_model_dir(out)["tokenizer_class"] == "Qwen2Tokenizer"
    model, tok = load_model(out)
    base, _ = load_model(tiny_model_dir)
    assert tok.chat_template == CHAT_TEMPLATE
    assert not torch.equal(model.model.embed_tokens.weight, base.model.embed_tokens.weight)
    assert model.generation_config.temperature is None and not model.generation_config.do_sample
    assert not (out.parent / "work").exists()  # checkpoints dropped once the model is saved


def test_assistant_only_loss_masks_the_prompt(sft_model_dir: Path, records: list[dict]) -> None:
    """The SFT collator trains on the answer tokens only (prompt labels are -100)."""
    from trl import SFTConfig, SFTTrainer

    from factory.training.data import sft_dataset

    model, tok = load_model(sft_model_dir)
    args = SFTConfig(output_dir="/tmp/unused", assistant_only_loss=True, max_length=256, report_to=[],
                     use_cpu=True, bf16=False, per_device_train_batch_size=2)
    trainer = SFTTrainer(model=model, args=args, processing_class=tok, train_dataset=sft_dataset(records[:2]))
    batch = trainer.data_collator([trainer.train_dataset[0]])
    labels = batch["labels"][0]
    trained = tok.decode(labels[labels != -100])
    assert trained == '{"sentiment": "positivo", "sentiment_score": 0.9}<|im_end|>'


def test_sample_report_measures_format_and_repetition(
    sft_model_dir: Path, records: list[dict], tmp_path: Path, reward_params: dict
) -> None:
    rows, metrics = sample_report(sft_model_dir, records, max_new_tokens=24,
                                  format_score=format_scorer(tmp_path / "absent.db", reward_params))
    assert len(rows) == len(records)
    assert set(metrics) >= {"repetition_rate", "valid_format_rate", "looping_rate", "stopped_rate", "empty_rate"}
    assert all(0.0 <= metrics[k] <= 1.0 for k in ("repetition_rate", "valid_format_rate"))
    # the format rate is the rewards library's verdict on the outputs, recomputed here
    assert metrics["valid_format_rate"] == pytest.approx(sum(r["format"] >= 1.0 for r in rows) / len(rows))
    page = samples_markdown(rows, metrics, title="t")
    assert "valid_format_rate" in page and rows[0]["id"] in page


def test_fit_length_drops_records_that_would_be_truncated(tiny_model_dir: Path, records: list[dict]) -> None:
    _, tok = load_model(tiny_model_dir)
    kept, dropped = fit_length(records, tok, max_length=40)
    assert dropped > 0 and len(kept) + dropped == len(records)
    assert fit_length(records, tok, max_length=4096) == (list(records), 0)


def test_sft_with_lora_saves_a_merged_model_and_logs_to_wandb_offline(
    tiny_model_dir: Path, records: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sft_params: dict
) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.delenv("WANDB_PROJECT", raising=False)
    monkeypatch.delenv("WANDB_NAME", raising=False)
    params = {**sft_params, "max_steps": 3, "lora": {"enabled": True, "r": 4, "alpha": 8, "dropout": 0.0}}
    run = train_sft(records, [], base_dir=tiny_model_dir, out_dir=tmp_path / "sft", params=params,
                    work_dir=tmp_path / "work", tracking_params={"wandb": True, "project": "cf-test"})
    assert run.metrics["lora"] is True
    assert not (tmp_path / "sft" / "adapter_config.json").exists()
    model, _ = load_model(tmp_path / "sft")
    assert type(model).__name__ == "Qwen3ForCausalLM"
    assert not any("lora" in name for name, _ in model.named_parameters())
    base, _ = load_model(tiny_model_dir)
    q, q0 = model.model.layers[0].self_attn.q_proj.weight, base.model.layers[0].self_attn.q_proj.weight
    assert not torch.equal(q, q0)  # the adapter was merged into the weights
    runs = list((tmp_path / "wandb").glob("offline-run-*"))
    assert len(runs) == 1 and any(runs[0].rglob("*.wandb"))


def test_sft_resumes_an_interrupted_run_through_the_shared_skeleton(
    tiny_model_dir: Path, records: list[dict], tmp_path: Path, sft_params: dict, capsys: pytest.CaptureFixture
) -> None:
    from transformers import TrainerCallback

    class Interrupt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise KeyboardInterrupt("interrupted at step 3")

    params = {**sft_params, "max_steps": 4, "save_steps": 2}
    kwargs = dict(base_dir=tiny_model_dir, out_dir=tmp_path / "sft", params=params, work_dir=tmp_path / "work")
    with pytest.raises(KeyboardInterrupt):
        train_sft(records, [], callbacks=[Interrupt()], **kwargs)
    assert (tmp_path / "work" / "checkpoint-2").is_dir() and not (tmp_path / "sft").exists()
    capsys.readouterr()
    run = train_sft(records, records[:4], **kwargs)  # val records do not enter the SFT fingerprint
    assert f"sft: resuming from {tmp_path / 'work' / 'checkpoint-2'} (step 2)" in capsys.readouterr().out
    assert run.metrics["resumed_from_step"] == 2 and run.metrics["global_step"] == 4
    assert set(run.metrics) == {"backend", "lora", "global_step", "resumed_from_step", "train_records",
                                "dropped_too_long", "loss_first", "loss_last", "val_loss", "seconds",
                                "seconds_per_step"}
    assert run.metrics["val_loss"] is not None and not (tmp_path / "work").exists()
    check_model_dir(tmp_path / "sft")
