"""Stage label_quality: the active labeler (params prompts.labeler) scored against data/labels/gold.jsonl.

Writes reports/labels/ (a markdown summary, confusion tables as CSV, the disagreements) and the
headline numbers to reports/metrics/label_quality.json.
"""
import json
import sys
from pathlib import Path

from factory.config import load_params
from common.io import atomic_path, dumps_json, write_json
from factory.prompts import label_quality as lq
from factory.prompts.labeler import make_labeler

REPORT_DIR = "reports/labels"
METRICS = "reports/metrics/label_quality.json"


def run(params: dict, gold_path=None, report_dir=REPORT_DIR, metrics_path=METRICS,
        second_path=lq.SECOND_ANNOTATION_PATH) -> dict:
    """Score the labeler on the gold set (`prompts.labeler.gold` unless `gold_path` is given), and a second
    annotator against the gold where `second_path` exists; every output is written whole or not at
    all. Returns the summary."""
    gold = lq.load_gold(gold_path or params["prompts"]["labeler"]["gold"])
    labeler = make_labeler(params["prompts"]["labeler"])
    predicted = lq.predict(labeler, gold)
    summary = lq.score(gold, predicted)
    if second_path is not None and Path(second_path).is_file():
        summary["annotators"] = lq.annotator_agreement(gold, lq.load_gold(second_path), second_path)
    pairs = [(g.label, p) for g, p in zip(gold, predicted)]
    with atomic_path(report_dir) as tmp:
        tmp.mkdir()
        (tmp / "label_quality.md").write_text(lq.report_markdown(gold, predicted, summary, labeler.name), encoding="utf-8")
        (tmp / "summary.json").write_text(dumps_json(summary), encoding="utf-8")
        for name in ("complaint_category", "sentiment"):
            for split in lq.SPLITS:
                sub = [pair for g, pair in zip(gold, pairs) if g.split == split]
                (tmp / f"confusion_{name}_{split}.csv").write_text(lq.confusion_csv(sub, name), encoding="utf-8")
        with open(tmp / "disagreements.jsonl", "w", encoding="utf-8", newline="\n") as fh:
            for row in lq.disagreements(gold, predicted):
                fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    write_json(metrics_path, lq.headline(summary, labeler.name))
    return summary


def main() -> int:
    try:
        summary = run(load_params())
    except lq.GoldError as exc:
        print(f"label_quality: {exc}", file=sys.stderr)
        return 1
    for split in lq.SPLITS:
        s = summary[split]
        print(f"label_quality[{split}]: {s['n']} reviews, six-field agreement {s['six_field']}, "
              f"on {s['n_complaints']} complaint reviews {s['six_field_complaints']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
