"""When a query result answers the question the gold query answers: execution match rules.

- Rows are a multiset; columns are matched by content (their order and aliases do not matter).
- Cells compare in canonical form (`cell_key`): numbers of any type alike, floats equal to 4
  significant digits and never finer than 2 decimals (a model that rounds to cents is right),
  "T" or " " in timestamps, a DATE equal to the TIMESTAMP at its midnight, NaN equal to NaN.
- Row order counts only when the gold has ORDER BY, and only between rows that differ on the
  gold's ORDER BY keys: rows tied on every key may come in any order. A key the result does not
  show (`ORDER BY count(*)` with no count column) cannot be checked, so then every row is its own
  group (strict order).
- `LIMIT n` after ORDER BY is judged on the tie set: when rows tie with the last row on every
  ORDER BY key, any n rows that hold every row ranked above the tie plus members of the tie group
  are right (see `GoldPlan.with_ties_sql`).

The plan of a gold query (its ORDER BY keys and LIMIT) is read from DuckDB's own parse tree.
"""
from __future__ import annotations

import bisect
import copy
import json
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Hashable, Sequence

_NUMERIC_STRING = re.compile(r"-?\d+(?:\.\d+)?")
_ISO_T = re.compile(r"\d{4}-\d{2}-\d{2}T\d")
_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2}) 00:00:00(?:\.0+)?")
_NON_FINITE = {"nan": "NaN", "-nan": "NaN", "inf": "Infinity", "+inf": "Infinity", "infinity": "Infinity",
               "-inf": "-Infinity", "-infinity": "-Infinity"}
_PERMUTATION_TRIES = 720


# --- canonical cells and results -----------------------------------------------------------------

# NaN and the infinities as one comparable value each, however they arrive (a float, or the text
# the worker sends for it): NaN equals NaN here, unlike IEEE.
_NAN, _INF, _NEG_INF = "NaN", "Infinity", "-Infinity"


def _round_float(x: float) -> Hashable:
    if math.isnan(x):
        return _NAN
    if math.isinf(x):
        return _INF if x > 0 else _NEG_INF
    if x.is_integer():
        return x + 0.0
    digits = max(2, 3 - math.floor(math.log10(abs(x))))
    return round(x, digits) + 0.0


def cell_key(value: Any) -> Hashable:
    """A result value in comparable form (see the module docstring)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int):
        return float(value) if abs(value) < 2**53 else value
    if isinstance(value, float):
        return _round_float(value)
    if isinstance(value, str):
        if _NUMERIC_STRING.fullmatch(value):
            return _round_float(float(value))
        special = _NON_FINITE.get(value.lower())
        if special is not None:
            return special
        if _ISO_T.match(value):
            value = value.replace("T", " ", 1)
        midnight = _MIDNIGHT.fullmatch(value)
        return midnight.group(1) if midnight else value
    if isinstance(value, (list, tuple)):
        return tuple(cell_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), cell_key(v)) for k, v in value.items()))
    return str(value)


@dataclass(frozen=True)
class Boundary:
    """The tie group at a LIMIT: `above` must all be there, then `take` rows from `pool`."""

    above: Counter
    pool: Counter
    take: int


@dataclass(frozen=True)
class Canonical:
    names: tuple[str, ...]
    rows: tuple[tuple, ...]          # canonical cells, in result order
    columns: tuple[Counter, ...]     # multiset of values per column
    groups: tuple[int, ...] | None = None  # gold only: tie group of each row in ORDER BY order
    boundary: Boundary | None = None       # gold only: the LIMIT tie set, when there is one

    @classmethod
    def of(cls, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> "Canonical":
        keyed = tuple(tuple(cell_key(v) for v in row) for row in rows)
        width = len(columns)
        per_column = tuple(Counter(row[i] for row in keyed if len(row) == width) for i in range(width))
        return cls(tuple(str(c).lower() for c in columns), keyed, per_column)

    def ordered_by(self, keys: Sequence[int] | None) -> "Canonical":
        """This (gold) result with its tie groups: rows equal on every key column share one."""
        if keys is None or any(k >= len(self.names) for k in keys):
            return replace(self, groups=tuple(range(len(self.rows))))
        groups, previous, gid = [], object(), -1
        for row in self.rows:
            key = tuple(row[k] for k in keys)
            if key != previous:
                gid, previous = gid + 1, key
            groups.append(gid)
        return replace(self, groups=tuple(groups))

    def with_boundary(self, tie_rows: Sequence[tuple]) -> "Canonical":
        """Attach the LIMIT tie set from the rows of `GoldPlan.with_ties_sql` (canonical cells,
        the rank last); unchanged when no row outside the result ties at the boundary."""
        if not tie_rows or len(tie_rows) <= len(self.rows):
            return self
        last = max(row[-1] for row in tie_rows)
        above = Counter(row[:-1] for row in tie_rows if row[-1] != last)
        pool = Counter(row[:-1] for row in tie_rows if row[-1] == last)
        mine = Counter(self.rows)
        if (above - mine) or (mine - (above + pool)):
            return self  # not the same result (the stored gold is from another database)
        return replace(self, boundary=Boundary(above, pool, len(self.rows) - sum(above.values())))


# --- matching ------------------------------------------------------------------------------------

def _allowed_columns(gold: Canonical) -> list[Counter]:
    if gold.boundary is None:
        return list(gold.columns)
    extra = gold.boundary.pool
    return [gold.columns[i] + Counter(row[i] for row in extra.elements()) for i in range(len(gold.names))]


def _multiset_ok(gold: Canonical, projected: list[tuple]) -> bool:
    counts = Counter(projected)
    if gold.boundary is None:
        return counts == Counter(gold.rows)
    b = gold.boundary
    if len(projected) != len(gold.rows) or (b.above - counts):
        return False
    return not ((counts - b.above) - b.pool)


def _order_ok(gold: Canonical, projected: list[tuple]) -> bool:
    """Rows in non-decreasing tie group, each row taking the smallest fitting group it can."""
    groups = gold.groups if gold.groups is not None else tuple(range(len(gold.rows)))
    available: dict[tuple, list[int]] = {}
    for row, gid in zip(gold.rows, groups):
        available.setdefault(row, []).append(gid)
    last_group = groups[-1] if groups else 0
    current = -1
    for row in projected:
        ids = available.get(row)
        pos = bisect.bisect_left(ids, current) if ids else 0
        if ids and pos < len(ids):
            current = ids.pop(pos)
        elif gold.boundary is not None and row in gold.boundary.pool and last_group >= current:
            current = last_group
        else:
            return False
    return True


def _exact_alignment(gold: Canonical, cand: Canonical, ordered: bool) -> tuple[bool, bool]:
    """(the rows match under some column permutation, and in an allowed order as well)."""
    n = len(gold.names)
    if n != len(cand.names) or len(gold.rows) != len(cand.rows):
        return False, False
    allowed = _allowed_columns(gold)
    if gold.boundary is None:
        options = [[j for j in range(n) if cand.columns[j] == allowed[i]] for i in range(n)]
    else:
        options = [[j for j in range(n) if cand.columns[j] <= allowed[i]] for i in range(n)]
    if any(not o for o in options):
        return False, False
    found_multiset = False
    tries = 0

    def assignments(i: int, used: set[int], chosen: list[int]):
        if i == n:
            yield list(chosen)
            return
        for j in options[i]:
            if j not in used:
                used.add(j)
                chosen.append(j)
                yield from assignments(i + 1, used, chosen)
                chosen.pop()
                used.discard(j)

    for perm in assignments(0, set(), []):
        tries += 1
        if tries > _PERMUTATION_TRIES:
            break
        projected = [tuple(row[j] for j in perm) for row in cand.rows]
        if _multiset_ok(gold, projected):
            found_multiset = True
            if not ordered or _order_ok(gold, projected):
                return True, True
    return found_multiset, False


def _overlap(a: Counter, b: Counter) -> float:
    size = max(sum(a.values()), sum(b.values()))
    if size == 0:
        return 0.0
    return sum((a & b).values()) / size


def _project(rows: tuple[tuple, ...], cols: list[int]) -> Counter:
    return Counter(tuple(row[i] for i in cols) for row in rows)


def _greedy_columns(gold: Canonical, cand: Canonical) -> list[tuple[int, int, float]]:
    """One-to-one column matching by value overlap; equal names break ties and, when both results
    are empty, are the only evidence."""
    empty = not gold.rows and not cand.rows
    pairs = []
    for i, gname in enumerate(gold.names):
        for j, cname in enumerate(cand.names):
            same_name = gname == cname
            sim = (1.0 if same_name else 0.0) if empty else _overlap(gold.columns[i], cand.columns[j])
            if sim > 0 or same_name:
                pairs.append((sim, same_name, -i, -j))
    pairs.sort(reverse=True)
    used_g, used_c, matched = set(), set(), []
    for sim, _, neg_i, neg_j in pairs:
        i, j = -neg_i, -neg_j
        if i not in used_g and j not in used_c:
            used_g.add(i)
            used_c.add(j)
            matched.append((i, j, sim))
    return sorted(matched)


def compare_results(gold: Canonical, cand: Canonical, ordered: bool) -> dict[str, Any]:
    """exact / order_ok / columns_f1 / rows_f1 of a candidate result against the gold one."""
    multiset, in_order = _exact_alignment(gold, cand, ordered)
    if multiset:
        return {"exact": True, "order_ok": in_order, "columns_f1": 1.0, "rows_f1": 1.0}
    matched = _greedy_columns(gold, cand)
    good = [(i, j) for i, j, sim in matched if sim >= 0.5]
    n, m = len(gold.names), len(cand.names)
    columns_f1 = 2 * len(good) / (n + m) if n + m else 1.0
    if not matched:
        rows_f1 = 0.0
    elif not gold.rows and not cand.rows:
        rows_f1 = 1.0
    else:
        common = sum((_project(gold.rows, [i for i, _, _ in matched])
                      & _project(cand.rows, [j for _, j, _ in matched])).values())
        if common == 0:
            rows_f1 = 0.0
        else:
            precision, recall = common / len(cand.rows), common / len(gold.rows)
            rows_f1 = 2 * precision * recall / (precision + recall)
    return {"exact": False, "order_ok": False, "columns_f1": columns_f1, "rows_f1": rows_f1}


# --- the plan of a gold query --------------------------------------------------------------------

@dataclass(frozen=True)
class GoldPlan:
    """What the gold's outermost ORDER BY / LIMIT say: key columns (None: not all visible) and
    the row limit (only when every key is visible, so the tie set can be computed)."""

    order_keys: tuple[int, ...] | None
    limit: int | None
    unlimited_sql: str | None       # the gold without its LIMIT
    orders_sql: tuple[str, ...]     # "c2 DESC", "c1" ...: the ORDER BY over the renamed columns

    def with_ties_sql(self, n_columns: int) -> str | None:
        """Every row ranked within the LIMIT, ties at the boundary included, rank last."""
        if self.limit is None or self.unlimited_sql is None or self.order_keys is None:
            return None
        names = ", ".join(f"__c{i + 1}" for i in range(n_columns))
        window = f"rank() OVER (ORDER BY {', '.join(self.orders_sql)})"
        return (f"SELECT *, {window} AS __rank FROM ({self.unlimited_sql}) AS __gold({names}) "
                f"QUALIFY {window} <= {self.limit}")


_NO_PLAN = GoldPlan(None, None, None, ())
_PARSER_LOCK = threading.Lock()
_PARSER: list[Any] = []


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in ("query_location", "query_location_length", "alias")}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _parse(sql: str) -> dict | None:
    import duckdb

    with _PARSER_LOCK:
        if not _PARSER:
            _PARSER.append(duckdb.connect(":memory:"))
        con = _PARSER[0]
        try:
            tree = json.loads(con.execute("SELECT json_serialize_sql(?::VARCHAR)", [sql]).fetchone()[0])
        except duckdb.Error:
            return None
    if tree.get("error") or len(tree.get("statements", [])) != 1:
        return None
    return tree


def _deserialize(tree: dict) -> str | None:
    import duckdb

    with _PARSER_LOCK:
        try:
            return _PARSER[0].execute("SELECT json_deserialize_sql(?::JSON)", [json.dumps(tree)]).fetchone()[0]
        except duckdb.Error:
            return None


def _key_position(expr: dict, select_list: list[dict], names: tuple[str, ...]) -> int | None:
    if expr.get("class") == "CONSTANT" and expr.get("literal", {}).get("kind") in ("INTEGER", "BIGINT"):
        pos = int(expr["literal"]["text"]) - 1
        return pos if 0 <= pos < len(names) else None
    stripped = _strip(expr)
    for i, item in enumerate(select_list):
        if _strip(item) == stripped:
            return i
    if expr.get("class") == "COLUMN_REF":
        name = expr["column_names"][-1].lower()
        for i, item in enumerate(select_list):
            if item.get("alias", "").lower() == name:
                return i
        for i, item in enumerate(select_list):
            if item.get("class") == "COLUMN_REF" and not item.get("alias") and item["column_names"][-1].lower() == name:
                return i
        if len(select_list) == 0 and name in names:  # a set operation: output names
            return names.index(name)
    return None


_DIRECTION = {"ASCENDING": " ASC", "DESCENDING": " DESC"}
_NULLS = {"NULLS_FIRST": " NULLS FIRST", "NULLS_LAST": " NULLS LAST"}


@lru_cache(maxsize=8192)
def gold_plan(sql: str, names: tuple[str, ...]) -> GoldPlan:
    """The plan of a gold query whose result has columns `names` (lower case)."""
    tree = _parse(sql)
    if tree is None:
        return _NO_PLAN
    node = tree["statements"][0]["node"]
    select_list = node.get("select_list", []) if node.get("type") == "SELECT_NODE" else []
    modifiers = node.get("modifiers", [])
    keys: list[int] | None = []
    orders_sql: list[str] = []
    limit: int | None = None
    for modifier in modifiers:
        if modifier["type"] == "ORDER_MODIFIER":
            for order in modifier["orders"]:
                pos = _key_position(order["expression"], select_list, names)
                if pos is None:
                    keys = None
                    break
                assert keys is not None
                keys.append(pos)
                orders_sql.append(f"__c{pos + 1}{_DIRECTION.get(order['type'], '')}{_NULLS.get(order['null_order'], '')}")
        elif modifier["type"] == "LIMIT_MODIFIER":
            lim = modifier.get("limit") or {}
            if (modifier.get("offset") is None and lim.get("class") == "CONSTANT"
                    and lim.get("literal", {}).get("kind") in ("INTEGER", "BIGINT")):
                limit = int(lim["literal"]["text"])  # with an OFFSET or a computed limit: no tie set
    if keys == []:
        keys = None
    unlimited = None
    if limit is not None and keys is not None:
        stripped_tree = copy.deepcopy(tree)
        stripped_node = stripped_tree["statements"][0]["node"]
        stripped_node["modifiers"] = [m for m in stripped_node["modifiers"] if m["type"] != "LIMIT_MODIFIER"]
        unlimited = _deserialize(stripped_tree)
    return GoldPlan(tuple(keys) if keys is not None else None, limit if unlimited else None, unlimited, tuple(orders_sql))
