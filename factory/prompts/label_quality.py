"""Label quality: the active extraction labeler scored against the reviewed gold set of real reviews.

`data/labels/gold.jsonl` holds real Olist and B2W reviews labelled by hand under `docs/labeling.md`,
each with the order facts the prompt generators give the labeler, so the labeler sees here exactly
what it sees when it writes the prompt sets' ground truth. The score is per-field agreement
(numbers within a tolerance), agreement on all six discrete fields at once, overall and on the
reviews that carry a complaint, and confusion tables, on each half of the set: `tune` (rules are
adjusted against it) and `report` (held back, the number to quote).
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from pydantic import ValidationError

from factory.prompts.labeler import OpenAILabeler, ReviewFacts, RuleLabeler
from factory.prompts.reviews import Review, _delivery_pt
from factory.prompts.text import ORDER_STATUS_PT, fold
from schemas.tasks import COMPLAINT_CATEGORIES, ExtractionTruth

GOLD_PATH = Path("data/labels/gold.jsonl")
# A blind second annotation of some gold reviews: how far two careful annotators agree, the ceiling
# any labeler can be held to (same row format; its `split` is ignored).
SECOND_ANNOTATION_PATH = Path("data/labels/gold_second_annotation.jsonl")
SOURCES = ("olist", "b2w")
SPLITS = ("tune", "report")
FIELDS = tuple(ExtractionTruth.model_fields)
DISCRETE_FIELDS = ("sentiment", "complaint_category", "delivery_issue", "product_issue", "seller_issue",
                   "would_recommend")
# A number agrees when it is within this distance of the gold: one band of the guide's scales
# (sentiment_score steps by 0.3, churn_risk/repeat_intent by about 0.15), so a neighbouring band counts.
NUMERIC_TOLERANCE = {"sentiment_score": 0.3, "churn_risk": 0.25, "repeat_intent": 0.25}
# main_complaint agrees when both are empty, or both name the complaint with a shared content word.
MAIN_COMPLAINT_STOPWORDS = frozenset(
    "para pois porem porque como mais muito ainda esse essa isso este esta minha meus minhas pelo pela "
    "produto produtos pedido compra veio foram tenho estou".split()
)
POLARITIES = ("positivo", "neutro", "negativo")
ROW_KEYS = {"review_id", "source", "product", "title", "comment", "text", "stars", "facts", "label", "split"}
FACT_KEYS = {"olist": {"order_id", "order_status", "is_late", "delay_days"}, "b2w": {"recommend"}}


class GoldError(ValueError):
    """The gold file is malformed; the message names the file, the line and the key."""


@dataclass(frozen=True)
class GoldReview:
    review_id: str
    source: str                    # olist | b2w
    split: str                     # tune | report
    review: Review                 # as the prompt generators build it (facts, title, comment, product)
    label: ExtractionTruth         # the human label
    note: str = ""


def _review(row: dict[str, Any]) -> Review:
    """The `Review` that factory.prompts.reviews builds for this row's source."""
    facts = row["facts"]
    if row["source"] == "olist":
        status = facts["order_status"]
        review_facts = ReviewFacts(row["text"], row["stars"], status, facts["is_late"], facts["delay_days"])
        return Review("olist", row["title"], row["comment"], review_facts, row["product"],
                      ORDER_STATUS_PT.get(status, status), _delivery_pt(status, facts["is_late"], facts["delay_days"]),
                      "orders_enriched", (f"review:{row['review_id']}", f"order:{facts['order_id']}"))
    review_facts = ReviewFacts(row["text"], row["stars"], recommend=facts["recommend"])
    return Review("b2w", row["title"], row["comment"], review_facts, row["product"], None, None, "b2w_reviews",
                  (f"b2w_review:{row['review_id']}",))


def _check_row(row: Any) -> str:
    """'' when `row` is a well-formed gold line, else what is wrong with it (naming the key)."""
    if not isinstance(row, dict):
        return "line is not a JSON object"
    missing, extra = ROW_KEYS - set(row), set(row) - ROW_KEYS - {"note"}
    if missing or extra:
        return f"missing keys {sorted(missing)}" if missing else f"unknown keys {sorted(extra)}"
    if row["source"] not in SOURCES:
        return f"source: {row['source']!r} is not one of {SOURCES}"
    if row["split"] not in SPLITS:
        return f"split: {row['split']!r} is not one of {SPLITS}"
    if not isinstance(row["stars"], int) or not 1 <= row["stars"] <= 5:
        return f"stars: {row['stars']!r} is not an integer 1..5"
    if row["text"] != "\n".join(t for t in (row["title"], row["comment"]) if t):
        return "text: must be title and comment joined by a line break (as factory.prompts.reviews builds it)"
    if not isinstance(row["facts"], dict) or set(row["facts"]) != FACT_KEYS[row["source"]]:
        return f"facts: {row['source']} reviews need exactly {sorted(FACT_KEYS[row['source']])}"
    label = row["label"]
    if isinstance(label, dict) and (label.get("complaint_category") == "nenhuma") != (label.get("main_complaint") == ""):
        return "label.main_complaint: must be empty exactly when complaint_category is nenhuma"
    return ""


def load_gold(path: str | Path = GOLD_PATH) -> list[GoldReview]:
    """Every gold review, validated; a bad line raises GoldError naming file, line and key."""
    path = Path(path)
    if not path.exists():
        raise GoldError(f"{path}: gold set missing")
    out, seen = [], set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldError(f"{where}: not JSON ({exc.msg})") from exc
        problem = _check_row(row)
        if problem:
            raise GoldError(f"{where}: {problem}")
        try:
            label = ExtractionTruth.model_validate(row["label"])
        except ValidationError as exc:
            first = exc.errors()[0]
            raise GoldError(f"{where}: label.{'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
        key = (row["source"], row["review_id"])
        if key in seen:
            raise GoldError(f"{where}: review_id: {row['review_id']!r} ({row['source']}) appears twice")
        seen.add(key)
        out.append(GoldReview(row["review_id"], row["source"], row["split"], _review(row), label, row.get("note", "")))
    if not out:
        raise GoldError(f"{path}: gold set is empty")
    return out


def gold_review_ids(path: str | Path = GOLD_PATH) -> set[str]:
    """The review ids of the gold set (Olist review_id; B2W row key as factory.prompts.reviews derives it)."""
    return {g.review_id for g in load_gold(path)}


def gold_source_keys(path: str | Path = GOLD_PATH) -> set[str]:
    """The gold reviews' source keys as `Review.keys` spell them ("review:<id>", "b2w_review:<id>"), for
    keeping the gold set out of the prompt sets' benchmark and training selection."""
    return {g.review.keys[0] for g in load_gold(path)}


def predict(labeler: RuleLabeler | OpenAILabeler, gold: Sequence[GoldReview]) -> list[ExtractionTruth]:
    """The labeler's answer for each gold review, from the same inputs the extraction generator uses
    (rules: the review facts; openai: the rendered extraction prompt, the rules as fallback)."""
    from factory.prompts.extraction import render_review  # here: extraction imports this module (gold set kept out)

    rules = [RuleLabeler().label(g.review.facts).truth for g in gold]
    if isinstance(labeler, OpenAILabeler):
        return [truth for truth, _ in labeler.label_many([render_review(g.review) for g in gold], rules)]
    if isinstance(labeler, RuleLabeler):
        return rules
    return [labeler.label(g.review.facts).truth for g in gold]


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", fold(text)) if w not in MAIN_COMPLAINT_STOPWORDS}


def field_agrees(name: str, gold: ExtractionTruth, predicted: ExtractionTruth) -> bool:
    """Whether `predicted` matches `gold` on one field, by the rules in NUMERIC_TOLERANCE and above."""
    g, p = getattr(gold, name), getattr(predicted, name)
    if name in NUMERIC_TOLERANCE:
        return abs(g - p) <= NUMERIC_TOLERANCE[name] + 1e-9
    if name == "main_complaint":
        return (g == "") == (p == "") and (g == "" or bool(_content_words(g) & _content_words(p)))
    return g == p


def _summary(pairs: list[tuple[ExtractionTruth, ExtractionTruth]]) -> dict[str, Any]:
    def share(hits: int, n: int) -> float | None:
        return round(hits / n, 4) if n else None

    six = [all(field_agrees(f, g, p) for f in DISCRETE_FIELDS) for g, p in pairs]
    complaint = [g.complaint_category != "nenhuma" for g, _ in pairs]
    return {
        "n": len(pairs),
        "n_complaints": sum(complaint),
        "six_field": share(sum(six), len(pairs)),
        "six_field_complaints": share(sum(s for s, c in zip(six, complaint) if c), sum(complaint)),
        "fields": {f: share(sum(field_agrees(f, g, p) for g, p in pairs), len(pairs)) for f in FIELDS},
    }


def confusion(pairs: list[tuple[ExtractionTruth, ExtractionTruth]], name: str) -> tuple[list[str], Counter]:
    """(classes, counts of (gold, predicted)) for one discrete field."""
    classes = {"complaint_category": list(COMPLAINT_CATEGORIES), "sentiment": list(POLARITIES)}.get(name, [False, True])
    return [str(c) for c in classes], Counter((str(getattr(g, name)), str(getattr(p, name))) for g, p in pairs)


def score(gold: Sequence[GoldReview], predicted: Sequence[ExtractionTruth]) -> dict[str, Any]:
    """Agreement summaries per split and over the whole set."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(predicted)} predictions for {len(gold)} gold reviews")
    pairs = list(zip(gold, predicted))
    by_split = {s: [(g.label, p) for g, p in pairs if g.split == s] for s in SPLITS}
    return {**{s: _summary(v) for s, v in by_split.items()}, "all": _summary([(g.label, p) for g, p in pairs])}


def annotator_agreement(gold: Sequence[GoldReview], second: Sequence[GoldReview],
                        second_path: str | Path = SECOND_ANNOTATION_PATH) -> dict[str, Any]:
    """Agreement of a second annotator with the gold labels, by the same measures as a labeler's (the
    gold annotator read as the reference); every review of `second` (read from `second_path`, which
    the error names) must be in the gold set."""
    by_key = {(g.source, g.review_id): g for g in gold}
    pairs = []
    for s in second:
        first = by_key.get((s.source, s.review_id))
        if first is None:
            raise GoldError(f"{second_path}: review {s.review_id!r} ({s.source}) is not in the gold set")
        pairs.append((first.label, s.label))
    return _summary(pairs)


def headline(summary: dict[str, Any], labeler_name: str) -> dict[str, Any]:
    """The few numbers for reports/metrics/label_quality.json (dvc metrics): the held-back `report`
    half in full, of the `tune` half only its six-field agreement (the rest is in reports/labels/)."""
    keep = ("n", "n_complaints", "six_field", "six_field_complaints")
    report = summary["report"]
    return {
        "labeler": labeler_name,
        "report": {**{k: report[k] for k in keep}, "complaint_category": report["fields"]["complaint_category"],
                   "sentiment": report["fields"]["sentiment"]},
        "tune": {"six_field": summary["tune"]["six_field"]},
        **({"annotators": {k: summary["annotators"][k] for k in ("n", "six_field", "six_field_complaints")}}
           if "annotators" in summary else {}),
    }


def confusion_csv(pairs: list[tuple[ExtractionTruth, ExtractionTruth]], name: str) -> str:
    classes, counts = confusion(pairs, name)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([f"gold \\ predicted {name}", *classes])
    for g in classes:
        writer.writerow([g, *(counts[(g, p)] for p in classes)])
    return buf.getvalue()


def _confusion_md(pairs: list[tuple[ExtractionTruth, ExtractionTruth]], name: str) -> str:
    classes, counts = confusion(pairs, name)
    lines = [f"| gold \\ predicted | {' | '.join(classes)} |", "|---" * (len(classes) + 1) + "|"]
    lines += [f"| {g} | " + " | ".join(str(counts[(g, p)] or "·") for p in classes) + " |" for g in classes]
    return "\n".join(lines)


def disagreements(gold: Sequence[GoldReview], predicted: Sequence[ExtractionTruth]) -> list[dict[str, Any]]:
    """One row per gold review where a discrete field differs: what the human and the labeler said."""
    rows = []
    for g, p in zip(gold, predicted):
        wrong = [f for f in DISCRETE_FIELDS if not field_agrees(f, g.label, p)]
        if wrong:
            rows.append({"review_id": g.review_id, "source": g.source, "split": g.split, "stars": g.review.facts.stars,
                         "text": g.review.facts.text, "fields": wrong,
                         "gold": {f: getattr(g.label, f) for f in wrong},
                         "predicted": {f: getattr(p, f) for f in wrong}, "note": g.note})
    return rows


def report_markdown(gold: Sequence[GoldReview], predicted: Sequence[ExtractionTruth], summary: dict[str, Any],
                    labeler_name: str) -> str:
    """reports/labels/label_quality.md: headline, per-field agreement, confusion tables per split."""
    cats = Counter(g.label.complaint_category for g in gold)
    out = [
        f"# Label quality: labeler `{labeler_name}` against the gold set",
        "",
        f"{len(gold)} real reviews labelled by hand (docs/labeling.md); `tune` is the half the rules were "
        "adjusted against, `report` the held-back half. Numbers agree within "
        + ", ".join(f"{k} ±{v}" for k, v in NUMERIC_TOLERANCE.items())
        + "; main_complaint agrees when both are empty or share a content word.",
        "",
        "| | " + " | ".join(SPLITS) + " | all |",
        "|---|" + "---:|" * (len(SPLITS) + 1),
    ]
    cols = (*SPLITS, "all")
    for key in ("n", "n_complaints", "six_field", "six_field_complaints"):
        out.append(f"| {key} | " + " | ".join(str(summary[c][key]) for c in cols) + " |")
    for f in FIELDS:
        out.append(f"| {f} | " + " | ".join(str(summary[c]["fields"][f]) for c in cols) + " |")
    if "annotators" in summary:
        a = summary["annotators"]
        out += ["", f"Two annotators (a blind second annotation of {a['n']} gold reviews, "
                f"`{SECOND_ANNOTATION_PATH}`): six-field agreement {a['six_field']}, on the {a['n_complaints']} "
                f"complaint reviews {a['six_field_complaints']}; the ceiling a labeler can be held to."]
    out += ["", "Gold complaint categories: " + ", ".join(f"{c} {cats[c]}" for c in COMPLAINT_CATEGORIES), ""]
    pairs = list(zip(gold, predicted))
    for split in SPLITS:
        sub = [(g.label, p) for g, p in pairs if g.split == split]
        for name in ("complaint_category", "sentiment"):
            out += [f"## {name}, {split} half (rows: gold, columns: labeler)", "", _confusion_md(sub, name), ""]
    return "\n".join(out)
