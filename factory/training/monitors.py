"""Training curves and the seed failure-mode monitors.

The seeds lost days to runs that "trained" while nothing was learned: groups whose rewards were
all equal (zero std: no advantage, no gradient), completions that all hit the length ceiling
(masked away: no gradient), and entropy collapse (the policy stops exploring). `FailureMonitor`
prints a warning line when one of these is sustained; `log_rows` turns the trainer's
`log_history` (restored on resume, so curves survive an interruption) into CSV rows for DVC plots.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from transformers import TrainerCallback

from common.io import atomic_path, write_text

# Keys of the trainer logs that are run bookkeeping, not curves (and would break byte-stability).
_SKIP = ("runtime", "per_second", "total_flos", "train_loss", "num_tokens", "epoch", "step_time")

MONITORED = {
    "frac_reward_zero_std": "frac_reward_zero_std",
    "clipped_ratio": "completions/clipped_ratio",
    "entropy": "entropy",
    "kl": "kl",
    "grad_norm": "grad_norm",
}


@dataclass
class Thresholds:
    zero_std: float = 0.5         # share of groups whose rewards are all equal
    ceiling: float = 0.95         # share of completions that hit max_completion_length
    entropy_ratio: float = 0.1    # collapse: entropy below this share of its first value...
    entropy_floor: float = 0.05   # ...or below this many nats
    window: int = 5               # consecutive logged steps that make a condition "sustained"
    looping: float = 0.2          # share of val/benchmark completions that loop (repetition > 0.5)


@dataclass
class FailureMonitor:
    """Watch GRPO logs; warn once at the onset of each sustained failure mode, count the warnings."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    history: dict[str, list[float]] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)
    warnings: dict[str, int] = field(default_factory=lambda: {"zero_std": 0, "ceiling": 0, "entropy_collapse": 0,
                                                              "eval_ceiling": 0})
    first_entropy: float | None = None

    def update(self, logs: dict[str, Any], step: int) -> list[str]:
        t = self.thresholds
        # A step whose completions were all truncated and masked scored no token: TRL logs entropy 0 and
        # grad_norm 0 there. That is the ceiling monitor's finding, not a collapsed policy.
        no_tokens = logs.get("entropy") == 0 and logs.get("grad_norm") == 0
        for name, key in MONITORED.items():
            if _finite(logs.get(key)) and not (name == "entropy" and no_tokens):
                self.history.setdefault(name, []).append(float(logs[key]))
        if self.first_entropy is None and self.history.get("entropy"):
            self.first_entropy = self.history["entropy"][0]
        conditions = {
            "zero_std": self._sustained("frac_reward_zero_std", lambda v: v > t.zero_std),
            "ceiling": self._sustained("clipped_ratio", lambda v: v > t.ceiling),
            "entropy_collapse": self.first_entropy is not None and self._sustained(
                "entropy", lambda v: v < max(t.entropy_floor, t.entropy_ratio * self.first_entropy)),
        }
        messages = []
        # Eval runs are rare: one eval whose completions nearly all hit the cap is already a finding.
        eval_clipped = logs.get("eval_completions/clipped_ratio")
        if _finite(eval_clipped) and eval_clipped > t.ceiling:
            self.warnings["eval_ceiling"] += 1
            messages.append(f"WARNING [monitor] step {step}: {eval_clipped:.0%} of val completions hit "
                            f"max_completion_length (> {t.ceiling:.0%}): the policy does not stop")
        for name, on in conditions.items():
            if on and name not in self.active:
                self.warnings[name] += 1
                messages.append(self._message(name, step))
            (self.active.add if on else self.active.discard)(name)
        return messages

    def _sustained(self, name: str, bad: Any) -> bool:
        values = self.history.get(name, [])[-self.thresholds.window:]
        return len(values) == self.thresholds.window and all(bad(v) for v in values)

    def _message(self, name: str, step: int) -> str:
        t, w = self.thresholds, self.thresholds.window
        if name == "zero_std":
            what = (f"frac_reward_zero_std > {t.zero_std} for {w} steps: most groups get the same reward, "
                    "no advantage and no gradient (task too hard/easy, or temperature too low)")
        elif name == "ceiling":
            what = (f"over {t.ceiling:.0%} of completions hit max_completion_length for {w} steps: "
                    "truncated completions are masked, so almost nothing is learned")
        else:
            what = (f"entropy below {t.entropy_ratio:.0%} of its start ({self.first_entropy:.3f}) "
                    f"for {w} steps: the policy stopped exploring")
        return f"WARNING [monitor] step {step}: {what}"


def completion_warnings(where: str, degenerate: dict[str, float], thresholds: Thresholds | None = None) -> list[str]:
    """WARNING [monitor] lines for a set of val or benchmark completions (`sampling.degeneracy` figures).

    Looping (`1000…` to the length limit, one phrase repeated) above `thresholds.looping`, or a
    share of completions that never stopped above `thresholds.ceiling`: the training curves can
    look healthy while every answer is junk, so the completions themselves are checked.
    """
    t = thresholds or Thresholds()
    lines = []
    if degenerate["looping_rate"] > t.looping:
        lines.append(f"WARNING [monitor] {where}: {degenerate['looping_rate']:.0%} of completions loop "
                     f"(> {t.looping:.0%}): repeated tokens or phrases up to the length limit")
    if 1.0 - degenerate["stopped_rate"] > t.ceiling:
        lines.append(f"WARNING [monitor] {where}: {1.0 - degenerate['stopped_rate']:.0%} of completions hit the "
                     f"length limit without stopping (> {t.ceiling:.0%})")
    return lines


class MonitorCallback(TrainerCallback):
    """Feeds each log into a FailureMonitor and prints its warning lines."""

    def __init__(self, monitor: FailureMonitor | None = None) -> None:
        self.monitor = monitor or FailureMonitor()

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any) -> None:
        if logs and state.is_world_process_zero:
            for line in self.monitor.update(logs, state.global_step):
                print(line, flush=True)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def log_rows(log_history: Iterable[dict[str, Any]], *, eval_rows: bool = False) -> list[dict[str, Any]]:
    """Train (or eval) log entries as flat rows keyed by step, bookkeeping keys dropped."""
    rows = []
    for entry in log_history:
        is_eval = any(k.startswith("eval_") for k in entry)
        if is_eval != eval_rows or "step" not in entry:
            continue
        row = {"step": entry["step"]}
        row.update({k: v for k, v in entry.items()
                    if k != "step" and not any(s in k for s in _SKIP) and isinstance(v, (int, float))})
        if len(row) > 1:
            rows.append(row)
    return rows


def select(rows: Iterable[dict[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    """`step` + the columns named in `keys` (a key ending in "/" is a prefix), from rows that have one.

    GRPO logs rewards only on generation steps (every `steps_per_generation`) but loss, entropy and
    grad_norm on every step: splitting them keeps each plot file dense (no empty cells).
    """
    def wanted(column: str) -> bool:
        return any(column == k or (k.endswith("/") and column.startswith(k)) for k in keys)

    out = []
    for row in rows:
        kept = {k: v for k, v in row.items() if k != "step" and wanted(k)}
        if any(_finite(v) for v in kept.values()):
            out.append({"step": row["step"], **kept})
    return out


def write_csv(path: str | Path, rows: list[dict[str, Any]], columns: Sequence[str] = ()) -> None:
    """Rows -> CSV with `columns` then the rest of the rows' columns (first-seen order, `step` first);
    missing cells empty. Naming the columns a DVC plot reads keeps the plot valid when a run logged
    none of them (e.g. no val prompt of some task)."""
    header = ["step", *[c for c in columns if c != "step"]] if columns else []
    for row in rows:
        header += [k for k in row if k not in header]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header or ["step"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _fmt(v) for k, v in row.items()})
    write_text(path, buf.getvalue())


def _fmt(value: Any) -> Any:
    return f"{value:.6g}" if isinstance(value, float) else value


# Axis titles with units for the panels the sft and grpo stages draw (a panel not listed keeps its name).
PANEL_UNITS = {
    "loss": "loss (nats per token)",
    "token accuracy": "token accuracy (share, 0-1)",
    "grad_norm": "gradient norm (L2)",
    "learning rate": "learning rate",
    "reward": "mean reward (0-1)",
    "zero-std groups": "zero-std groups (share, 0-1)",
    "at length ceiling": "at length ceiling (share, 0-1)",
    "entropy": "entropy (nats per token)",
    "kl": "KL to reference (nats)",
    "val reward": "mean reward on val (0-1)",
}


def _label(column: str) -> str:
    """A legend entry: `rewards/sql/mean` -> `sql`, `reward` -> `all tasks`, other columns as they are."""
    if column in ("reward", "eval_reward"):
        return "all tasks"
    parts = column.split("/")
    return parts[-2] if len(parts) == 3 and parts[-1] == "mean" else column


def plot_curves(path: str | Path, rows: list[dict[str, Any]], panels: dict[str, list[str]], title: str) -> None:
    """One PNG with a panel per group of columns (columns absent from the rows are skipped): `curves_figure`."""
    import matplotlib.pyplot as plt

    fig = curves_figure(rows, panels, title)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)


def curves_figure(rows: list[dict[str, Any]], panels: dict[str, list[str]], title: str) -> Any:
    """A matplotlib figure with a panel per group of columns (columns absent from the rows are skipped).

    Each panel has its own y axis title with units (`PANEL_UNITS`), so quantities of different
    scale never share an axis; x is the optimizer step on every panel. A panel with several lines
    has its legend outside the axes, on the right, where it cannot hide a line.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    panels = {name: [c for c in cols if any(c in r for r in rows)] for name, cols in panels.items()}
    panels = {name: cols for name, cols in panels.items() if cols}
    fig, axes = plt.subplots(len(panels) or 1, 1, figsize=(9, 2.3 * max(1, len(panels))), sharex=True, squeeze=False)
    for ax, (name, cols) in zip(axes[:, 0], panels.items()):
        for col in cols:
            points = [(r["step"], r[col]) for r in rows if _finite(r.get(col))]
            if points:
                overall = col in ("reward", "eval_reward") and len(cols) > 1  # the mean over tasks stands out
                ax.plot(*zip(*points), label=_label(col), marker="." if len(points) < 30 else None,
                        linewidth=2.4 if overall else 1.2, color="black" if overall else None, zorder=3 if overall else 2)
        ax.set_ylabel(PANEL_UNITS.get(name, name), fontsize=8)
        if len(cols) > 1:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
        ax.tick_params(axis="x", labelbottom=True)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers
    axes[-1, 0].set_xlabel("optimizer step")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
