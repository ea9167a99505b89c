"""Resume after an interruption: DVC 3 has no checkpoints, so the stage keeps its own.

Trainer checkpoints go to a work folder outside the DVC outputs (DVC deletes outputs before a
stage runs). A fingerprint of everything that shapes the run (params, input model, data) sits
beside them: a rerun with the same fingerprint resumes from the newest complete checkpoint, any
other run starts clean, so a changed param never continues a stale trajectory.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from common.io import dumps_json, sha256_bytes, write_text

FINGERPRINT = "fingerprint.json"


def fingerprint(**parts: Any) -> str:
    """A stable hash of JSON-serialisable parts (params dicts, file/tree hashes)."""
    return sha256_bytes(dumps_json(parts).encode("utf-8"))


def last_checkpoint(work_dir: str | Path) -> Path | None:
    """The newest `checkpoint-N` folder whose trainer state was fully written."""
    work_dir = Path(work_dir)
    done = [p for p in work_dir.glob("checkpoint-*") if (p / "trainer_state.json").is_file()
            and p.name.split("-")[-1].isdigit()]
    return max(done, key=lambda p: int(p.name.split("-")[-1]), default=None)


def resumable(work_dir: str | Path, run_fingerprint: str) -> Path | None:
    """The checkpoint an identical run left behind, if any (read-only: safe on every process)."""
    work_dir = Path(work_dir)
    marker = work_dir / FINGERPRINT
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")).get("fingerprint") == run_fingerprint:
        return last_checkpoint(work_dir)
    return None


def prepare(work_dir: str | Path, run_fingerprint: str) -> Path | None:
    """Return the checkpoint to resume from, or wipe `work_dir` for a fresh run of this fingerprint."""
    work_dir = Path(work_dir)
    checkpoint = resumable(work_dir, run_fingerprint)
    if checkpoint is not None:
        return checkpoint
    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    write_text(work_dir / FINGERPRINT, dumps_json({"fingerprint": run_fingerprint}))
    return None


def prepare_distributed(work_dir: str | Path, run_fingerprint: str) -> Path | None:
    """`prepare` on the main process only, then every process reads the same answer (accelerate launch).

    Call it after the trainer config exists: TrainingArguments sets up the shared process state
    (a bare PartialState() before it would not see a CPU world and make every rank "main")."""
    from accelerate import PartialState

    state = PartialState()
    if state.is_main_process:
        prepare(work_dir, run_fingerprint)
    state.wait_for_everyone()
    return resumable(work_dir, run_fingerprint)


def global_step(checkpoint: Path) -> int:
    return int(json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8"))["global_step"])


def finish(work_dir: str | Path) -> None:
    """Drop the checkpoints once the final model is saved: nothing is left to resume."""
    shutil.rmtree(work_dir, ignore_errors=True)
