"""Training curve PNGs and plot CSVs: an axis title with units per panel, legends off the data, stable columns."""
from __future__ import annotations

import csv

from factory.training.monitors import PANEL_UNITS, curves_figure, plot_curves, write_csv

ROWS = [{"step": s, "loss": 2.0 / s, "entropy": 3.9 - 0.01 * s, "reward": 0.1 * s, "rewards/sql/mean": 0.05 * s,
         "rewards/churn/mean": 0.2} for s in range(1, 6)]
PANELS = {"loss": ["loss"], "entropy": ["entropy"], "reward": ["reward", "rewards/sql/mean", "rewards/churn/mean"],
          "not logged": ["kl"]}


def test_each_panel_has_its_own_titled_axis_and_legends_sit_outside():
    import matplotlib.pyplot as plt

    fig = curves_figure(ROWS, PANELS, "GRPO")
    try:
        axes = fig.axes
        assert [ax.get_ylabel() for ax in axes] == [PANEL_UNITS["loss"], PANEL_UNITS["entropy"], PANEL_UNITS["reward"]]
        assert "nats" in axes[0].get_ylabel() and "0-1" in axes[2].get_ylabel()
        assert all(ax.get_xlabel() == "" for ax in axes[:-1]) and axes[-1].get_xlabel() == "optimizer step"
        assert axes[0].get_legend() is None  # one line: the axis title names it
        legend = axes[2].get_legend()
        assert [t.get_text() for t in legend.get_texts()] == ["all tasks", "sql", "churn"]
        fig.canvas.draw()
        # the legend's box starts right of the axes' box: it covers no line
        assert legend.get_window_extent().x0 > axes[2].get_window_extent().x1
    finally:
        plt.close(fig)


def test_png_is_written(tmp_path):
    plot_curves(tmp_path / "curves.png", ROWS, PANELS, "GRPO")
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_named_csv_columns_exist_even_when_no_row_has_them(tmp_path):
    write_csv(tmp_path / "eval.csv", [{"step": 5, "eval_reward": 0.25}], columns=["eval_reward", "eval_rewards/sql/mean"])
    with open(tmp_path / "eval.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows == [{"step": "5", "eval_reward": "0.25", "eval_rewards/sql/mean": ""}]
