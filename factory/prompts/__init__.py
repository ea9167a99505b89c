"""Prompt sets: one generator per registered task (`GENERATORS`), the split into train/val/benchmark, validation.

Generators read commerce.db and params.yaml and write `data/prompts/by_task/<task>.jsonl`; the split
holds the benchmark out at the source and writes train, val and benchmark files. Importing this
package registers the task plugins of `factory/tasks/` too, so every stage that builds, splits,
scores or reports prompts sees the same tasks.
"""
from __future__ import annotations

from factory.prompts.base import BENCHMARK_STRATA, Candidate, GenerationContext, TaskGenerator, training_counts
# The built-in generators (named by the specs in schemas.tasks), imported so the stages depend on them.
from factory.prompts import churn, extraction, insights, push, reasoning, sentiment, sql  # noqa: F401
from schemas.tasks import LiveMapping, resolve, specs


def _generators() -> dict[str, type[TaskGenerator]]:
    """Each registered task's generator class, checked to be a TaskGenerator for that task."""
    out = {}
    for spec in specs():
        generator = resolve(spec.generator)
        if not (isinstance(generator, type) and issubclass(generator, TaskGenerator)) or generator.task != spec.name:
            raise TypeError(f"task {spec.name!r}: generator {generator!r} must be a TaskGenerator with task = {spec.name!r}")
        out[spec.name] = generator
    return out


# Task -> its TaskGenerator subclass (`TaskSpec.generator`), for every registered task.
GENERATORS: LiveMapping = LiveMapping(_generators)

from factory import tasks as _plugins  # noqa: E402,F401  (registers the task plugins; last: they import factory.prompts.base)

__all__ = ["BENCHMARK_STRATA", "GENERATORS", "Candidate", "GenerationContext", "TaskGenerator", "training_counts"]
