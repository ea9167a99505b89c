"""The GPU path's wiring, checked on CPU: vLLM and Unsloth knobs reach TRL, accelerate configs parse."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from factory.training import backends, grpo
from factory.training.backends import LoraSpec, unsloth_load_kwargs, vllm_args

REPO = Path(__file__).resolve().parents[3]
TRAIN = yaml.safe_load((REPO / "params.yaml").read_text())["train"]


def test_vllm_off_by_default_and_on_cpu_falls_back_with_a_warning(caplog) -> None:
    assert TRAIN["use_vllm"] is False and vllm_args(TRAIN) == {"use_vllm": False}
    with caplog.at_level(logging.WARNING):
        assert vllm_args({**TRAIN, "use_vllm": True}, cuda=False, vllm=True) == {"use_vllm": False}
    assert "no CUDA device" in caplog.text
    with caplog.at_level(logging.WARNING):
        assert vllm_args({**TRAIN, "use_vllm": True}, cuda=True, vllm=False) == {"use_vllm": False}
    assert "vllm is not installed" in caplog.text


def test_vllm_modes_reach_grpo_config(tmp_path: Path, monkeypatch) -> None:
    colocate = vllm_args({**TRAIN, "use_vllm": True, "vllm_gpu_memory_utilization": 0.45}, cuda=True, vllm=True)
    assert colocate == {"use_vllm": True, "vllm_mode": "colocate", "vllm_gpu_memory_utilization": 0.45}
    server = vllm_args({**TRAIN, "use_vllm": True, "vllm_mode": "server",
                        "vllm_server_base_url": "http://127.0.0.1:8000"}, cuda=True, vllm=True)
    assert server["vllm_mode"] == "server" and server["vllm_server_base_url"] == "http://127.0.0.1:8000"
    with pytest.raises(ValueError, match="train.vllm_mode"):
        vllm_args({**TRAIN, "use_vllm": True, "vllm_mode": "remote"}, cuda=True, vllm=True)
    # what grpo_args hands TRL is exactly what vllm_args decided (use_vllm itself stays off on CPU)
    monkeypatch.setattr(grpo, "vllm_args", lambda p: {"use_vllm": False, "vllm_mode": "server",
                                                       "vllm_gpu_memory_utilization": 0.45})
    args = grpo.grpo_args(TRAIN, tmp_path, report=[], evaluate=False)
    assert (args.use_vllm, args.vllm_mode, args.vllm_gpu_memory_utilization) == (False, "server", 0.45)


def test_unsloth_fast_inference_kwargs() -> None:
    plain = unsloth_load_kwargs("m", lora=LoraSpec(enabled=True, r=8), max_seq_length=512,
                                fast_inference=False, gpu_memory_utilization=0.3)
    assert "fast_inference" not in plain and plain["full_finetuning"] is False
    fast = unsloth_load_kwargs("m", lora=LoraSpec(enabled=True, r=8), max_seq_length=512,
                               fast_inference=True, gpu_memory_utilization=0.5)
    assert fast["fast_inference"] is True and fast["gpu_memory_utilization"] == 0.5 and fast["max_lora_rank"] == 8


def test_unsloth_is_never_imported_on_cpu() -> None:
    assert backends.choose_backend("unsloth") == "trl"


@pytest.mark.parametrize("name,kind", [("single_gpu", "NO"), ("multi_gpu", "MULTI_GPU"),
                                       ("deepspeed_zero2", "DEEPSPEED"), ("fsdp", "FSDP")])
def test_accelerate_configs_parse(name: str, kind: str) -> None:
    from accelerate.commands.config.config_args import ClusterConfig

    config = ClusterConfig.from_yaml_file(str(REPO / "configs" / "accelerate" / f"{name}.yaml"))
    assert config.distributed_type.value == kind and config.use_cpu is False
    if kind == "DEEPSPEED":
        assert config.deepspeed_config["zero_stage"] == 2
    if kind == "FSDP":
        import importlib

        for cls in config.fsdp_config["fsdp_transformer_layer_cls_to_wrap"].split(","):
            family = "qwen3" if cls.startswith("Qwen3") else "gemma3"
            module = importlib.import_module(f"transformers.models.{family}.modeling_{family}")
            assert hasattr(module, cls), f"{cls} is not a transformers layer class"
