"""Label audit: every review with a comment in a commerce.db, with the active labeler's label and what
the labeler saw, one JSON line each, for a person to read and correct.

    python -m stages.label_audit --db data/commerce.db --out reports/label_audit.jsonl

Each line: {"review_id", "source", "text", "label" (the 10 fields), "labeler", "signals" (stars and
order facts, the lexicon's hits, the hard-review signals; for an LLM labeler the fallback reason),
"keys" (the review's source keys, as in the prompt records), "override" (the reviewed correction
from data/labels/overrides.jsonl, or null)}. Reviews come in a fixed order (source, review id,
keys), so two audits of the same database diff line by line. Works on any commerce.db the pipeline
builds (synthetic or real): it reads the reviews exactly as the extraction prompts do.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from factory.config import load_params
from common.io import write_jsonl
from factory.prompts import labeler as labeler_module
from factory.prompts import lexicon, overrides
from factory.prompts.base import GenerationContext
from factory.prompts.extraction import render_review
from factory.prompts.labeler import OpenAILabeler, RuleLabeler, make_labeler
from factory.prompts.reviews import Review, all_reviews, review_label
from factory.prompts.text import fold

SOURCE_ORDER = {"olist": 0, "b2w": 1}


def lexicon_hits(text: str) -> dict[str, Any]:
    """What the rule lexicon finds in a review text (the same scan the rule labeler runs)."""
    hits = lexicon.scan(fold(text), labeler_module._clauses(text))
    return dataclasses.asdict(hits)


def signals(review: Review, label) -> dict[str, Any]:
    facts = review.facts
    return {"stars": facts.stars, "order_status": facts.order_status, "is_late": facts.is_late,
            "delay_days": None if facts.delay_days is None else round(float(facts.delay_days), 2),
            "recommend": facts.recommend, "difficulty": label.difficulty, "hard_signals": list(label.signals),
            "lexicon": lexicon_hits(facts.text)}


def reviews_of(db_path: Path, params: dict[str, Any]) -> list[Review]:
    """Every review with a comment, Olist then B2W, in review-id order (not the prompts' shuffle)."""
    ctx = GenerationContext(params, Path(db_path))
    try:
        pool = all_reviews(ctx)
    finally:
        ctx.close()
    return sorted(pool, key=lambda r: (SOURCE_ORDER.get(r.source, 9), overrides.review_id(r.keys), r.keys))


def audit_rows(db_path: Path, params: dict[str, Any], corrections: overrides.Overrides) -> list[dict[str, Any]]:
    """The audit lines for `db_path` under params `prompts.labeler`."""
    rules = RuleLabeler()
    active = make_labeler(params["prompts"]["labeler"])
    pool = reviews_of(db_path, params)
    rule_labels = [review_label(r, rules) for r in pool]
    truths = [label.truth for label in rule_labels]
    fallbacks = [""] * len(pool)
    if isinstance(active, OpenAILabeler):
        results = active.label_many([render_review(r) for r in pool], truths, progress=True)
        truths = [truth for truth, _ in results]
        fallbacks = [reason for _, reason in results]
    rows = []
    for review, rule_label, truth, fallback in zip(pool, rule_labels, truths, fallbacks):
        rid = overrides.review_id(review.keys)
        seen = signals(review, rule_label)
        if isinstance(active, OpenAILabeler):
            seen["fallback"] = fallback
            seen["rule_label"] = rule_label.truth.model_dump(mode="json")
        correction = corrections.get(rid)
        rows.append({
            "review_id": rid, "source": review.source, "text": review.facts.text,
            "label": truth.model_dump(mode="json"), "labeler": active.name, "signals": seen,
            "keys": list(review.keys),
            "override": None if correction is None else {
                "label": correction.label, "reason": correction.reason, "reviewer": correction.reviewer},
        })
    return rows


def summary(rows: list[dict[str, Any]], corrections: overrides.Overrides) -> dict[str, Any]:
    ids = {row["review_id"] for row in rows}
    return {
        "reviews": len(rows),
        "by_source": dict(sorted(Counter(r["source"] for r in rows).items())),
        "complaint_category": dict(sorted(Counter(r["label"]["complaint_category"] for r in rows).items())),
        "hard": sum(bool(r["signals"]["hard_signals"]) for r in rows),
        "overrides": {"entries": len(corrections), "matching_reviews": len(ids & set(corrections.by_id)),
                      "not_in_db": sorted(set(corrections.by_id) - ids)[:20]},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, type=Path, help="a commerce.db built by the pipeline")
    parser.add_argument("--out", required=True, type=Path, help="the audit JSONL to write")
    parser.add_argument("--params", type=Path, default=None, help="params.yaml (default: ./params.yaml)")
    parser.add_argument("--overrides", type=Path, default=None,
                        help="reviewed corrections (default: prompts.labeler.overrides or data/labels/overrides.jsonl)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not args.db.is_file():
        print(f"label_audit: {args.db}: commerce.db not found", file=sys.stderr)
        return 1
    params = load_params(args.params)
    try:
        corrections = overrides.load(args.overrides) if args.overrides else overrides.from_params(params)
    except overrides.OverrideError as exc:
        print(f"label_audit: {exc}", file=sys.stderr)
        return 1
    rows = audit_rows(args.db, params, corrections)
    write_jsonl(args.out, rows)
    info = summary(rows, corrections)
    print(f"label_audit: {info['reviews']} reviews {info['by_source']} -> {args.out}; "
          f"labeler {rows[0]['labeler'] if rows else params['prompts']['labeler'].get('backend', 'rules')}; "
          f"hard {info['hard']}; overrides {info['overrides']['matching_reviews']}/{info['overrides']['entries']} "
          f"match a review here")
    return 0


if __name__ == "__main__":
    sys.exit(main())
