"""Experiment tracking: W&B when `tracking.wandb` is on (WANDB_MODE respected, e.g. offline), else none.

DVC plots and PNGs in reports/ are always written by the stages; W&B is the optional live view.
"""
from __future__ import annotations

import os
from typing import Any


def report_to(tracking: dict[str, Any] | None, *, run_name: str) -> list[str]:
    """The `report_to` list for TRL configs; sets WANDB_PROJECT / WANDB_NAME unless already set."""
    if not (tracking or {}).get("wandb"):
        return []
    os.environ.setdefault("WANDB_PROJECT", tracking.get("project") or "commerce-factory")
    os.environ.setdefault("WANDB_NAME", run_name)
    return ["wandb"]


def finish() -> None:
    """Close the W&B run (if any) so the next stage in the same process starts its own."""
    try:
        import wandb
    except ImportError:  # pragma: no cover - wandb is a pinned dependency
        return
    if wandb.run is not None:
        wandb.finish()
