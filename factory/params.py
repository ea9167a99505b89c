"""The typed shape of params.yaml: one pydantic model, sections per stage, unknown keys refused.

params.yaml holds every value and this model every type and help text, so a default exists in
exactly one place. `factory.config.load_params` validates the whole file before any stage runs:
`dvc exp run -S +train.max_stepz=5` fails at once with "train.max_stepz: unknown key (did you mean
train.max_steps?)" instead of being silently ignored.
"""
from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- data (ingest)
class SyntheticParams(_Section):
    seed: int = Field(description="seed of the synthetic Olist/B2W twin")
    orders: int = Field(gt=0, description="synthetic Olist orders")
    b2w_reviews: int = Field(ge=0, description="synthetic B2W reviews")


class DataParams(_Section):
    source: Literal["synthetic", "olist"] = Field(description="synthetic twin or real Olist CSVs")
    olist_dir: str | None = Field(description="folder with the Kaggle Olist CSVs (source: olist)")
    b2w_path: str | None = Field(description="optional B2W-Reviews01 CSV")
    synthetic: SyntheticParams


# --- prompts (generators and split)
class NearDupParams(_Section):
    shingle: int = Field(gt=0, description="word shingle size of the near-duplicate check")
    jaccard: float = Field(gt=0, le=1, description="shingle Jaccard at or above which two prompts are near-duplicates")


class LabelerParams(_Section):
    backend: Literal["rules", "openai"] = Field(description="extraction labeler: rules or an OpenAI-compatible endpoint")
    base_url: str | None = Field(description="endpoint of the openai backend")
    model: str | None = Field(description="model name of the openai backend")
    concurrency: int = Field(gt=0, description="parallel labeler requests")
    max_retries: int = Field(ge=0, description="retries per labeler request, with backoff")
    timeout_s: float = Field(gt=0, description="timeout per labeler request")
    max_tokens: int = Field(gt=0, description="answer length cap of the labeler")
    cache_dir: str = Field(description="one file per labeler answer, keyed by prompt hash")
    overrides: str = Field(description="reviewed label corrections (JSONL by review id), over the labeler's in the prompt sets")
    gold: str = Field(description="hand-labelled gold set of real reviews: label_quality scores the labeler on it; "
                                  "its reviews are kept out of every prompt set")


class SqlPromptParams(_Section):
    max_result_rows: int = Field(gt=0, description="a gold query returning more rows (or none) is rejected")
    heldout_templates: int = Field(ge=1, description="templates per sql stratum used only by the benchmark (seeded choice)")


class ChurnPromptParams(_Section):
    horizon_days: int = Field(gt=0, description="a customer who buys again within this many days after the cutoff did not churn")


class PromptsParams(_Section):
    seed: int = Field(description="seed of every prompt generator and of the split")
    counts: dict[str, int | None] = Field(description="training+val prompts per registered task (capped by the data); "
                                                  "null for the general-mix task, counted by mix.general_ratio; "
                                                  "checked against the task registry by the prompts and split stages")
    val_fraction: float = Field(ge=0, lt=1, description="share of each stratum kept for validation")
    pool_factor: float = Field(gt=0, description="candidates kept per task = benchmark share + pool_factor x training count")
    leakage_ngram: int = Field(gt=0, description="benchmark vs train/val overlap is measured on word n-grams of this size")
    stock_phrase_df: float = Field(gt=0, le=1, description="n-grams in at least this share of a task's pool are stock phrases")
    near_dup: NearDupParams
    sql: SqlPromptParams
    churn: ChurnPromptParams
    labeler: LabelerParams


class MixParams(_Section):
    general_ratio: float = Field(ge=0, lt=1, description="share of the training set drawn from the reasoning mix")
    hf_datasets: list[dict[str, Any]] = Field(description="local HF datasets to mix in: [{path, split, question, answer}]")


# --- model
class TinyModelParams(_Section):
    seed: int = Field(description="seed of the tiny model's random init and tokenizer")
    vocab_size: int = Field(gt=0, description="BPE vocabulary of the tiny model")
    hidden_size: int = Field(gt=0, description="hidden size of the tiny model")
    num_layers: int = Field(gt=0, description="decoder layers of the tiny model")
    num_heads: int = Field(gt=0, description="attention heads of the tiny model")


class ModelParams(_Section):
    base: str = Field(description="tiny | a named base | a local folder | a hub id (needs network)")
    tiny: TinyModelParams


class LoraParams(_Section):
    enabled: bool = Field(description="train LoRA adapters instead of all weights")
    r: int = Field(gt=0, description="LoRA rank")
    alpha: int = Field(gt=0, description="LoRA alpha")
    dropout: float = Field(ge=0, lt=1, description="LoRA dropout")


class _TrainerParams(_Section):
    """What SFT and GRPO both take (one TRL trainer each)."""

    backend: Literal["auto", "trl", "unsloth"] = Field(description="trainer backend (unsloth needs CUDA)")
    max_steps: int = Field(gt=0, description="optimizer steps")
    learning_rate: float = Field(gt=0, description="peak learning rate")
    lr_scheduler_type: str = Field(description="transformers scheduler name (constant_with_warmup never decays to 0)")
    warmup_steps: int = Field(ge=0, description="linear warmup steps")
    per_device_train_batch_size: int = Field(gt=0, description="sequences (SFT) or completions (GRPO) per device per step")
    gradient_accumulation_steps: int = Field(gt=0, description="gradient accumulation")
    gradient_checkpointing: bool = Field(description="activation checkpointing (off on CPU)")
    logging_steps: int = Field(gt=0, description="log every N steps")
    save_steps: int = Field(gt=0, description="checkpoint every N steps (resumed after an interruption)")
    lora: LoraParams
    seed: int = Field(description="training seed")


class TrainParams(_TrainerParams):
    """GRPO (`train.*` is what users override: `dvc exp run -S train.max_steps=600`)."""

    temperature: float = Field(gt=0, description="sampling temperature of the GRPO generations")
    top_p: float = Field(gt=0, le=1, description="nucleus sampling of the GRPO generations")
    top_k: int = Field(ge=0, description="top-k of the GRPO generations (0 = off)")
    beta: float = Field(ge=0, description="KL coefficient")
    loss_type: str = Field(description="TRL GRPO loss type")
    scale_rewards: Literal["group", "batch", "none"] = Field(description="TRL reward scaling")
    num_generations: int = Field(gt=1, description="completions per prompt (the GRPO group)")
    steps_per_generation: int = Field(gt=0, description="optimizer steps fed by one generate call")
    max_prompt_length: int = Field(gt=0, description="longer prompts are dropped (counted)")
    max_completion_length: int = Field(gt=0, description="completion token cap")
    mask_truncated_completions: bool = Field(description="no loss on completions cut by the cap")
    truncated_reward: float | None = Field(description="reward of a completion cut by the cap without stopping (null: scored as written)")
    eval_steps: int = Field(gt=0, description="per-task val reward every N steps (at least 5 times per run, and at the end)")
    eval_prompts_per_task: int = Field(gt=0, description="val prompts per task used by that eval")
    monitor: dict[str, float | int] = Field(description="collapse monitors: zero_std, ceiling, entropy_ratio, entropy_floor, window, looping")
    use_vllm: bool = Field(description="GPU only: generate with vLLM (Unsloth: fast_inference)")
    vllm_mode: Literal["colocate", "server"] = Field(description="vLLM beside training or as `trl vllm-serve`")
    vllm_gpu_memory_utilization: float = Field(gt=0, lt=1, description="colocate: share of GPU memory vLLM may take")
    vllm_server_base_url: str | None = Field(description="server mode: the vllm-serve URL")


class SftParams(_TrainerParams):
    """Supervised fine-tuning on the gold answers."""

    max_length: int = Field(gt=0, description="longer prompt+answer pairs are dropped (counted), never truncated")
    train_per_task: int | None = Field(gt=0, description="at most this many training records per task, spread evenly over its strata; null = all")
    val_per_stratum: int | None = Field(gt=0, description="at most this many val records per (task, stratum) for the val loss and samples; null = all")
    group_by_length: bool = Field(description="batches of similar length")
    samples_per_task: int = Field(ge=0, description="greedy val generations per task in reports/sft_samples.md")
    sample_max_new_tokens: int = Field(gt=0, description="token cap of those samples")


class RewardsParams(_Section):
    weights: dict[str, float] = Field(description="staged credit: format, partial, task")
    sql_timeout_s: float = Field(gt=0, description="time limit of one model-generated query")
    sql_max_rows: int = Field(gt=0, description="rows fetched from one model-generated query")
    selftest_train_sample: int = Field(ge=0, description="training records the reward self-test scores besides the benchmark")


class JudgeParams(_Section):
    base_url: str | None = Field(description="OpenAI-compatible judge endpoint (null = no judge)")
    model: str | None = Field(description="judge model")
    samples: int = Field(gt=0, description="judge samples averaged per answer")
    timeout_s: float = Field(gt=0, description="timeout per judge request")
    max_retries: int = Field(ge=0, description="retries per judge request")


class EvalParams(_Section):
    temperature: float = Field(ge=0, description="benchmark sampling temperature")
    top_p: float = Field(gt=0, le=1, description="benchmark nucleus sampling")
    max_new_tokens: int = Field(gt=0, description="benchmark completion cap")
    seed: int = Field(description="reseeded before every prompt: sampled scores are reproducible")
    batch_size: int = Field(gt=0, description="benchmark prompts per generate call for local models: 1 reseeds "
                            "before every prompt (order-independent scores); more left-pads them into one call, "
                            "reseeded once per batch: faster where answers run long together")
    models: list[str] = Field(description="folders under data/models/ to score")
    endpoints: list[dict[str, Any]] = Field(description="OpenAI-compatible endpoints to score")
    local_cost_per_hour: float = Field(ge=0, description="USD/hour of the machine running local models")
    cpu_threads: int | None = Field(description="torch CPU threads for local models (null = torch default)")
    worst_cases: int = Field(ge=0, description="worst cases per task and model in reports/worst_cases.md")
    judge: JudgeParams


class TrackingParams(_Section):
    wandb: bool = Field(description="log training to Weights & Biases (offline unless WANDB_MODE says otherwise)")
    project: str = Field(description="W&B project")


class Params(_Section):
    """All of params.yaml."""

    data: DataParams
    prompts: PromptsParams
    mix: MixParams
    model: ModelParams
    sft: SftParams
    train: TrainParams
    rewards: RewardsParams
    eval: EvalParams
    tracking: TrackingParams


class ParamsError(ValueError):
    """params.yaml does not fit the model: names each offending key and the nearest valid one."""


def _valid_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        keys.append(prefix + name)
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            keys.extend(_valid_keys(ann, f"{prefix}{name}."))
    return keys


def validate_params(raw: dict[str, Any], source: str = "params.yaml") -> Params:
    """The typed params, or ParamsError naming every bad key (`train.max_stepz: unknown key ...`)."""
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        valid = _valid_keys(Params)
        lines = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                near = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
                hint = f" (did you mean {near[0]}?)" if near else ""
                lines.append(f"{key}: unknown key{hint}")
            elif err["type"] == "missing":
                lines.append(f"{key}: missing")
            else:
                lines.append(f"{key}: {err['msg']} (got {err.get('input')!r})")
        raise ParamsError(f"{source}: " + "; ".join(lines)) from None
