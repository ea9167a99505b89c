"""Prompt sets: one generator per task (`GENERATORS`), the split into train/val/benchmark, validation.

Generators read commerce.db and params.yaml and write `data/prompts/by_task/<task>.jsonl`; the split
holds the 80-prompt benchmark out at the source and writes train, val and benchmark files.
"""
from __future__ import annotations

from factory.prompts.base import BENCHMARK_STRATA, Candidate, GenerationContext, TaskGenerator, training_counts
from factory.prompts.churn import ChurnGenerator
from factory.prompts.extraction import ExtractionGenerator
from factory.prompts.insights import InsightsGenerator
from factory.prompts.push import PushGenerator
from factory.prompts.reasoning import ReasoningGenerator
from factory.prompts.sentiment import SentimentGenerator
from factory.prompts.sql import SqlGenerator

GENERATORS: dict[str, type[TaskGenerator]] = {
    g.task: g for g in (ExtractionGenerator, SentimentGenerator, SqlGenerator, ChurnGenerator,
                        InsightsGenerator, PushGenerator, ReasoningGenerator)
}

__all__ = ["BENCHMARK_STRATA", "GENERATORS", "Candidate", "GenerationContext", "TaskGenerator", "training_counts"]
