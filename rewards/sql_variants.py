"""Perturbed copies of a database, built once per database content, that a candidate query must
also get right (Spider test-suite style): a query that matches the gold only because of what the
data happens to contain (a hard-coded answer, a filter that removes nothing here) stops matching
on a copy where the data differs.

Variant k of V (deterministic: md5 of row keys, seeded by k). Rows are split into max(V, 3) fixed
partitions and variant k perturbs partition k, so with the default V = 3 every row is touched by
exactly one variant: a gold result that depends on any row changes in at least one of them.
- rows dropped: the orders of partition k (1/V of them), with their items, payments, reviews and
  customer rows; a tenth of another share of orders keeps the order but loses its items (as
  Olist has orders without items);
- values shifted: every order's item prices, freight and payments scaled by one factor 1 +- 5-20%,
  every product's weight likewise; partition k of the reviews moves its score one step, of the
  payments their installments by one;
- dates moved: partition k of the orders moves, with every date it carries, by a year (365-395
  days) either way, half of the others by 1-45 days; partition k of the deliveries arrives 1-5 days
  earlier or later (late or not changes);
- attributes moved: partition k of the customers and of the sellers moves to another state that
  occurs in the data, of the products to another category.
On a commerce.db (the raw tables of `schemas.commerce_db` are present) the raw tables are perturbed
and the derived tables are rebuilt with the SQL that factory.db builds them with (also in
schemas.commerce_db), so every relation between tables and columns the pipeline guarantees still
holds on each variant (a query right by the schema stays right). On any other database each table
is perturbed alone: partition k of its rows dropped, floating-point values scaled.

Cache: `<db folder>/.sql-variants/<db name>-<path hash>-<content hash>-r<recipe>n<count>/` (the recipe
tag includes a hash of this module and of the derivation SQL in schemas/commerce_db.py; or under
$REWARDS_SQL_VARIANTS_DIR), written in a temporary folder and renamed into place, so a reader never
sees a partial set; older sets of the same database file are removed when a new one is built.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from schemas.commerce_db import CUSTOMER_FEATURES_SQL, DERIVED_TABLES, ORDERS_ENRICHED_SQL, RAW_TABLES

RECIPE_VERSION = 4
DEFAULT_COUNT = 3
CACHE_ENV = "REWARDS_SQL_VARIANTS_DIR"
COUNT_ENV = "REWARDS_SQL_VARIANTS"

_HASHES: dict[tuple, str] = {}
_SETS: dict[tuple, "VariantSet"] = {}
_LOCK = threading.Lock()


def _identity(path: Path) -> tuple:
    st = path.stat()
    return (str(path), st.st_ino, st.st_mtime_ns, st.st_size)


def content_hash(db_path: str | Path) -> str:
    """sha256 of the database file's bytes (remembered per file version in this process)."""
    path = Path(db_path).resolve()
    try:
        key = _identity(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"DuckDB database {path} does not exist") from None
    with _LOCK:
        known = _HASHES.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    with _LOCK:
        _HASHES[key] = value
    return value


@dataclass(frozen=True)
class VariantSet:
    """A database and its perturbed copies; database 0 is the original."""

    source: Path
    source_hash: str
    paths: tuple[Path, ...]

    def hash_of(self, database: int) -> str:
        """The content key of database `database` (a variant's content follows from the source's)."""
        return self.source_hash if database == 0 else f"{self.source_hash}/r{RECIPE_VERSION}{recipe_fingerprint()}v{database}"

    @property
    def count(self) -> int:
        return len(self.paths)


def configured_count() -> int:
    return int(os.environ.get(COUNT_ENV, DEFAULT_COUNT))


def variants_for(db_path: str | Path, count: int | None = None, cache_dir: str | Path | None = None) -> VariantSet:
    """The variant set of `db_path`, built on first use for its content and then read from disk."""
    path = Path(db_path).resolve()
    count = configured_count() if count is None else count
    key = (*_identity(path), count, str(cache_dir))
    with _LOCK:
        known = _SETS.get(key)
    if known is not None and all(p.is_file() for p in known.paths):
        return known
    source_hash = content_hash(path)
    if count == 0:
        found = VariantSet(path, source_hash, ())
    else:
        found = _load_or_build(path, source_hash, count, cache_dir)
    with _LOCK:
        _SETS[key] = found
    return found


def _roots(db_path: Path, cache_dir: str | Path | None) -> list[Path]:
    if cache_dir is not None:
        return [Path(cache_dir)]
    if os.environ.get(CACHE_ENV):
        return [Path(os.environ[CACHE_ENV])]
    home_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "commerce-factory" / "sql-variants"
    return [db_path.parent / ".sql-variants", home_cache]


@lru_cache(maxsize=1)
def recipe_fingerprint() -> str:
    """What the variants are built with: this module and the commerce database's derivation SQL,
    so changed code never serves variants built by the old one."""
    material = Path(__file__).read_bytes() + ORDERS_ENRICHED_SQL.encode() + CUSTOMER_FEATURES_SQL.encode()
    return hashlib.sha256(material).hexdigest()[:8]


def _set_name(db_path: Path, source_hash: str, count: int) -> tuple[str, str]:
    path_tag = hashlib.sha256(str(db_path).encode()).hexdigest()[:8]
    prefix = f"{db_path.stem}-{path_tag}-"
    return prefix, f"{prefix}{source_hash[:16]}-r{RECIPE_VERSION}{recipe_fingerprint()}n{count}"


def _load_or_build(db_path: Path, source_hash: str, count: int, cache_dir: str | Path | None) -> VariantSet:
    prefix, name = _set_name(db_path, source_hash, count)
    errors = []
    for root in _roots(db_path, cache_dir):
        final = root / name
        paths = tuple(final / f"v{k}.db" for k in range(1, count + 1))
        manifest = final / "manifest.json"
        if manifest.is_file() and json.loads(manifest.read_text())["source_sha256"] == source_hash:
            return VariantSet(db_path, source_hash, paths)
        try:
            root.mkdir(parents=True, exist_ok=True)
            _remove_debris(root, prefix)
            tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-{os.getpid()}-", dir=root))
        except OSError as exc:
            errors.append(f"{root}: {exc}")
            continue
        try:
            counts = [build_variant(db_path, tmp / f"v{k}.db", k, count) for k in range(1, count + 1)]
            (tmp / "manifest.json").write_text(json.dumps(
                {"source": str(db_path), "source_sha256": source_hash, "recipe": RECIPE_VERSION,
                 "recipe_fingerprint": recipe_fingerprint(), "rows": counts}, indent=1, sort_keys=True))
            tmp.chmod(0o755)
            try:
                os.rename(tmp, final)
            except OSError:
                if not (final / "manifest.json").is_file():  # not another process that won the race
                    raise
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        for old in root.glob(f"{prefix}*"):
            if old.name != name and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        return VariantSet(db_path, source_hash, paths)
    raise OSError(f"cannot write SQL variants of {db_path}: {'; '.join(errors)}")


def _remove_debris(root: Path, prefix: str) -> None:
    """Temporary folders of builds whose process is gone (killed mid-build)."""
    for tmp in root.glob(f".tmp-{prefix}*"):
        try:
            pid = int(tmp.name.rsplit("-", 2)[-2])
        except (ValueError, IndexError):
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- building one variant ------------------------------------------------------------------------

def _h(expr: str, tag: str, k: int) -> str:
    """A deterministic non-negative integer from `expr` (md5, so stable across DuckDB versions)."""
    return f"md5_number(CAST({expr} AS VARCHAR) || '|{tag}|{k}')"


def build_variant(source: Path, target: Path, k: int, count: int = DEFAULT_COUNT) -> dict[str, int]:
    """Write variant `k` (of `count`) of `source` at `target`; returns its row counts per table."""
    import duckdb

    con = duckdb.connect(str(target), config={"threads": 1})
    try:
        quoted = str(source).replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS src (READ_ONLY)")
        tables = {t: dict(cols) for t, cols in _schema(con).items()}
        if _is_commerce_layout(tables):
            _perturb_commerce(con, tables, k, count)
        else:
            for table, columns in tables.items():
                _perturb_table(con, table, columns, k, count)
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def _schema(con) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = 'src' AND table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        out.setdefault(table, []).append((column, dtype))
    return out


def _is_commerce_layout(tables: dict[str, dict[str, str]]) -> bool:
    needed = {"orders", "order_items", "order_payments", "order_reviews", "customers", "products"}
    return needed <= tables.keys() and set(DERIVED_TABLES) <= tables.keys() and needed <= set(RAW_TABLES)


def _perturb_table(con, table: str, columns: dict[str, str], k: int, count: int) -> None:
    """Any table alone: partition k of its rows dropped (by the hash of the first column), every
    floating-point value scaled by a factor 1 +- 5-20% per row."""
    key = f'"{next(iter(columns))}"'
    shifted = [c for c, t in columns.items() if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL")]
    factor = _factor(key, "factor", k)
    replaced = ", ".join(f'CAST("{c}" * {factor} AS {columns[c]}) AS "{c}"' for c in shifted)
    star = f"* REPLACE ({replaced})" if replaced else "*"
    con.execute(f'CREATE TABLE "{table}" AS SELECT {star} FROM src."{table}" '
                f"WHERE {key} IS NULL OR {_h(key, 'drop', 0)} % {max(count, 3)} <> {k - 1}")


def _perturb_commerce(con, tables: dict[str, dict[str, str]], k: int, count: int) -> None:
    """The raw tables perturbed (see the module docstring), then the derived ones rebuilt."""
    j = k - 1  # this variant's share of every partition
    parts = max(count, 3)  # with fewer than 3 variants some rows stay untouched, rather than half dropped

    def typed(table: str, column: str, expr: str) -> str:
        return f"CAST({expr} AS {tables[table][column]}) AS {column}"

    def mine(expr: str, tag: str) -> str:  # the rows of this variant's share (each row: one variant)
        return f"({_h(expr, tag, 0)} % {parts} = {j})"

    con.execute(f"""
        CREATE TEMP TABLE plan AS
        SELECT order_id,
               {mine('order_id', 'drop')} AS dropped,
               {_factor('order_id', 'price', k)} AS factor,
               CASE WHEN {mine('order_id', 'year')}
                    THEN {_sign('order_id', 'ysign', k)} * (365 + ({_h('order_id', 'ydays', k)} % 31)::INTEGER)
                    WHEN {_h('order_id', 'nudge', k)} % 2 = 0
                    THEN {_sign('order_id', 'nsign', k)} * (1 + ({_h('order_id', 'ndays', k)} % 45)::INTEGER)
                    ELSE 0 END AS move_days,
               CASE WHEN {mine('order_id', 'late')}
                    THEN {_sign('order_id', 'lsign', k)} * (1 + ({_h('order_id', 'ldays', k)} % 5)::INTEGER)
                    ELSE 0 END AS jitter_days,
               {mine('order_id', 'itemless')} AND {_h('order_id', 'itemless_share', 0)} % 10 = 0 AS itemless
        FROM src.orders""")
    move = "to_days(coalesce(p.move_days, 0))"
    kept = "NOT coalesce(p.dropped, false)"
    factor = "coalesce(p.factor, 1.0)"
    con.execute(f"""
        CREATE TABLE orders AS SELECT o.* REPLACE (
            {typed('orders', 'order_purchase_timestamp', f'o.order_purchase_timestamp + {move}')},
            {typed('orders', 'order_approved_at', f'o.order_approved_at + {move}')},
            {typed('orders', 'order_delivered_carrier_date', f'o.order_delivered_carrier_date + {move}')},
            {typed('orders', 'order_delivered_customer_date',
                   f'CASE WHEN o.order_delivered_customer_date IS NULL THEN NULL ELSE greatest('
                   f'o.order_delivered_customer_date + to_days(coalesce(p.jitter_days, 0)), '
                   f'o.order_purchase_timestamp) + {move} END')},
            {typed('orders', 'order_estimated_delivery_date', f'o.order_estimated_delivery_date + {move}')})
        FROM src.orders o LEFT JOIN plan p USING (order_id) WHERE {kept} ORDER BY o.order_id""")
    con.execute(f"""
        CREATE TABLE order_items AS SELECT i.* REPLACE (
            {typed('order_items', 'shipping_limit_date', f'i.shipping_limit_date + {move}')},
            {typed('order_items', 'price', f'round(i.price * {factor}, 2)')},
            {typed('order_items', 'freight_value', f'round(i.freight_value * {factor}, 2)')})
        FROM src.order_items i LEFT JOIN plan p USING (order_id)
        WHERE {kept} AND NOT coalesce(p.itemless, false) ORDER BY i.order_id, i.order_item_id""")
    installments = (f"CASE WHEN {mine('y.order_id || y.payment_sequential', 'inst')} THEN "
                    f"greatest(1, y.payment_installments + CASE WHEN y.payment_installments <= 1 THEN 1 "
                    f"ELSE {_sign('y.order_id', 'isign', k)} END) ELSE y.payment_installments END")
    con.execute(f"""
        CREATE TABLE order_payments AS SELECT y.* REPLACE (
            {typed('order_payments', 'payment_value', f'round(y.payment_value * {factor}, 2)')},
            {typed('order_payments', 'payment_installments', installments)})
        FROM src.order_payments y LEFT JOIN plan p USING (order_id) WHERE {kept}
        ORDER BY y.order_id, y.payment_sequential""")
    score = (f"CASE WHEN r.review_score IS NULL OR NOT {mine('r.review_id', 'score')} THEN r.review_score "
             f"WHEN r.review_score >= 5 THEN r.review_score - 1 WHEN r.review_score <= 1 THEN r.review_score + 1 "
             f"ELSE r.review_score + {_sign('r.review_id', 'rsign', k)} END")
    con.execute(f"""
        CREATE TABLE order_reviews AS SELECT r.* REPLACE (
            {typed('order_reviews', 'review_score', score)},
            {typed('order_reviews', 'review_creation_date', f'r.review_creation_date + {move}')},
            {typed('order_reviews', 'review_answer_timestamp', f'r.review_answer_timestamp + {move}')})
        FROM src.order_reviews r LEFT JOIN plan p USING (order_id) WHERE {kept} ORDER BY r.review_id, r.order_id""")
    con.execute(f"""
        CREATE TABLE customers AS SELECT c.* REPLACE (
            {typed('customers', 'customer_state', _other("c.customer_state", "customer_state", "customers", mine('c.customer_unique_id', 'moved'), k))})
        FROM src.customers c
        WHERE c.customer_id NOT IN (
            SELECT o.customer_id FROM src.orders o JOIN plan p USING (order_id) WHERE p.dropped AND o.customer_id IS NOT NULL
            EXCEPT SELECT o.customer_id FROM src.orders o JOIN plan p USING (order_id) WHERE NOT p.dropped AND o.customer_id IS NOT NULL)
        ORDER BY c.customer_id""")
    con.execute(f"""
        CREATE TABLE sellers AS SELECT s.* REPLACE (
            {typed('sellers', 'seller_state', _other("s.seller_state", "seller_state", "sellers", mine('s.seller_id', 'moved'), k))})
        FROM src.sellers s ORDER BY s.seller_id""")
    weight = (f"round(p.product_weight_g * {_factor('p.product_id', 'weight', k)})"
              if "product_weight_g" in tables["products"] else None)
    category = _other("p.product_category_name", "product_category_name", "products",
                      mine('p.product_id', 'recategorized'), k)
    replaced = [typed('products', 'product_category_name', category)]
    if weight:
        replaced.append(typed('products', 'product_weight_g', weight))
    con.execute(f"CREATE TABLE products AS SELECT p.* REPLACE ({', '.join(replaced)}) FROM src.products p ORDER BY p.product_id")
    done = {"orders", "order_items", "order_payments", "order_reviews", "customers", "sellers", "products", *DERIVED_TABLES}
    for table, columns in tables.items():
        if table in done:
            continue
        if table == "b2w_reviews":  # reviews without orders: perturbed alone
            _perturb_table(con, table, columns, k, count)
        else:                       # reference tables (categories, geolocation)
            con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM src."{table}"')
    con.execute("DROP TABLE plan")
    con.execute(ORDERS_ENRICHED_SQL)
    con.execute(CUSTOMER_FEATURES_SQL)


def _sign(expr: str, tag: str, k: int) -> str:
    return f"(CASE WHEN {_h(expr, tag, k)} % 2 = 0 THEN 1 ELSE -1 END)"


def _factor(expr: str, tag: str, k: int) -> str:
    """A scale factor 1 +- [0.05, 0.20], never 1."""
    return f"(1 + {_sign(expr, tag + 's', k)} * (5 + ({_h(expr, tag, k)} % 16)::INTEGER) / 100.0)"


def _other(expr: str, column: str, table: str, picked: str, k: int) -> str:
    """Another value of `table.column` (one that occurs there) for the picked rows."""
    values = f"(SELECT list(DISTINCT {column} ORDER BY {column}) FROM src.{table} WHERE {column} IS NOT NULL)"
    step = f"(1 + ({_h(expr, 'other', k)} % greatest(len({values}) - 1, 1))::INTEGER)"
    moved = f"{values}[1 + ((list_position({values}, {expr}) - 1 + {step}) % len({values}))::INTEGER]"
    return f"CASE WHEN {expr} IS NULL OR NOT {picked} OR len({values}) < 2 THEN {expr} ELSE {moved} END"
