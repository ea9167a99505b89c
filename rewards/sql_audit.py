"""Which gold queries a coincidental candidate could fool, and whether the perturbed variants catch it.

For each gold query, realistic near-misses are derived from it and scored like model answers:
- `constant`: the gold's own result hard-coded (`SELECT * FROM (VALUES ...)`), what a model that
  memorised this database's figures would answer;
- `drop_filter`: one conjunct of a WHERE clause removed (a filter that may remove nothing here);
- `loosen_bound`: one `>`/`<` made `>=`/`<=` or the reverse (a boundary no row sits on here);
- `open_range`: `year(ts) = Y` or `purchase_month = 'Y-M'` made `>=` (the data may end there).
A near-miss that matches the gold on the database but not on every variant is *caught*; one that
matches everywhere *survived* (it is either equivalent on every database the schema allows, or a
coincidence the variants miss: read the list).

    python -m rewards.sql_audit --db data/commerce.db --prompts data/prompts/benchmark.jsonl
"""
from __future__ import annotations

import argparse
import copy
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterator, Sequence

from rewards.base import Options
from rewards.sql_match import _deserialize, _parse
from schemas.tasks import SqlTruth

_FLIP = {"COMPARE_GREATERTHAN": "COMPARE_GREATERTHANOREQUALTO", "COMPARE_GREATERTHANOREQUALTO": "COMPARE_GREATERTHAN",
         "COMPARE_LESSTHAN": "COMPARE_LESSTHANOREQUALTO", "COMPARE_LESSTHANOREQUALTO": "COMPARE_LESSTHAN"}
_YEAR_EQ = re.compile(r"\byear\(\s*([\w.]+)\s*\)\s*=\s*(\d{4})\b", re.I)
_MONTH_EQ = re.compile(r"\b((?:\w+\.)?purchase_month|strftime\([^()]*\))\s*=\s*'(\d{4}-\d{2})'", re.I)


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value) if value == value and abs(value) != float("inf") else f"'{value}'::DOUBLE"
    return "'" + str(value).replace("'", "''") + "'"


def constant_answer(truth: SqlTruth) -> str:
    """The gold result hard-coded as a query (same columns, same rows, same order)."""
    names = ", ".join('"' + c.replace('"', '""') + '"' for c in truth.columns)
    rows = ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in truth.rows)
    return f"SELECT * FROM (VALUES {rows}) AS t({names})"


def _nodes(tree: Any, kind: str) -> Iterator[dict]:
    """Every dict in `tree` whose `kind` key is set (depth first, document order)."""
    if isinstance(tree, dict):
        if tree.get(kind) is not None:
            yield tree
        for value in tree.values():
            yield from _nodes(value, kind)
    elif isinstance(tree, list):
        for value in tree:
            yield from _nodes(value, kind)


def _comparisons(tree: Any) -> Iterator[dict]:
    if isinstance(tree, dict):
        if tree.get("class") == "COMPARISON" and tree.get("type") in _FLIP:
            yield tree
        for value in tree.values():
            yield from _comparisons(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _comparisons(value)


def near_misses(gold_sql: str) -> dict[str, str]:
    """name -> query for the tree- and text-level near-misses of one gold query."""
    out: dict[str, str] = {}
    tree = _parse(gold_sql)
    if tree is not None:
        for n, node in enumerate(_nodes(tree, "where_clause")):
            where = node["where_clause"]
            conjuncts = where["children"] if where.get("type") == "CONJUNCTION_AND" else [where]
            for j in range(len(conjuncts)):
                mutated = copy.deepcopy(tree)
                target = list(_nodes(mutated, "where_clause"))[n]
                rest = [c for i, c in enumerate(conjuncts) if i != j]
                target["where_clause"] = (None if not rest else copy.deepcopy(rest[0]) if len(rest) == 1
                                          else dict(copy.deepcopy(where), children=copy.deepcopy(rest)))
                sql = _deserialize(mutated)
                if sql:
                    out[f"drop_filter:{n}.{j}"] = sql
        for n, _ in enumerate(_comparisons(tree)):
            mutated = copy.deepcopy(tree)
            target = list(_comparisons(mutated))[n]
            target["type"] = _FLIP[target["type"]]
            sql = _deserialize(mutated)
            if sql:
                out[f"loosen_bound:{n}"] = sql
    opened = _YEAR_EQ.sub(lambda m: f"{m.group(1)} >= '{m.group(2)}-01-01'", gold_sql)
    opened = _MONTH_EQ.sub(lambda m: f"{m.group(1)} >= '{m.group(2)}'", opened)
    if opened != gold_sql:
        out["open_range"] = opened
    return out


def audit(truths: Sequence[SqlTruth], options: Options) -> dict[str, Any]:
    """Score every near-miss of every gold; per kind: how many matched on the database, how many
    of those the variants caught, and the survivors."""
    from rewards import sql

    cases: list[tuple[int, str, str]] = []
    for g, truth in enumerate(truths):
        cases.append((g, "constant", constant_answer(truth)))
        cases += [(g, name, query) for name, query in near_misses(truth.gold_sql.strip().rstrip(";")).items()]
    scored = []
    for start in range(0, len(cases), 256):
        chunk = cases[start:start + 256]
        scored += sql.score_many([f"```sql\n{q}\n```" for _, _, q in chunk], [truths[g] for g, _, _ in chunk], options)
    kinds: dict[str, Counter] = {}
    survivors, caught = [], []
    for (g, name, query), scores in zip(cases, scored):
        kind = name.split(":")[0]
        tally = kinds.setdefault(kind, Counter())
        tally["candidates"] += 1
        if not scores.get("exact"):
            tally["differ_on_db"] += 1
            continue
        tally["match_on_db"] += 1
        entry = {"gold": truths[g].gold_sql, "kind": name, "query": query, "outcome": scores["outcome"],
                 "caught_by": scores.get("caught_by", [])}
        if scores.get("caught_by"):
            tally["caught"] += 1
            caught.append(entry)
        else:
            tally["survived"] += 1
            survivors.append(entry)
    return {"golds": len(truths), "kinds": {k: dict(v) for k, v in kinds.items()},
            "caught": caught, "survivors": survivors}


def main(argv: list[str] | None = None) -> None:
    import rewards
    from schemas.records import read_records

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("data/commerce.db"))
    parser.add_argument("--prompts", type=Path, default=Path("data/prompts/benchmark.jsonl"))
    parser.add_argument("--out", type=Path, help="write the full report (JSON) here")
    args = parser.parse_args(argv)
    records = [r for r in read_records(args.prompts) if r["task"] == "sql"]
    truths = [SqlTruth.model_validate(r["ground_truth"]) for r in records]
    report = audit(truths, rewards.options(db_path=args.db))
    print(f"{report['golds']} gold queries from {args.prompts}, database {args.db}")
    for kind, tally in report["kinds"].items():
        print(f"  {kind:13s} {tally.get('candidates', 0):4d} near-misses, {tally.get('match_on_db', 0):4d} match on the "
              f"database, {tally.get('caught', 0):4d} caught by a variant, {tally.get('survived', 0):4d} survived")
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
