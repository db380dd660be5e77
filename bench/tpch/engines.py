"""Engine adapters for the TPC-H benchmark and correctness checks.

Each adapter registers the eight TPC-H Parquet files as tables and runs SQL text
(one or more statements; the result of the last one is returned as a pyarrow Table).
Shoal, DuckDB and DataFusion all read the same Parquet files with the same thread count.
"""
from __future__ import annotations

import os
from typing import Callable, Dict

import pyarrow as pa

TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]


def table_path(data_dir: str, table: str) -> str:
    single = os.path.join(data_dir, f"{table}.parquet")
    return single if os.path.exists(single) else os.path.join(data_dir, table)


def split_statements(sql: str):
    """Split a script at top-level semicolons (the TPC-H files have no ';' in strings)."""
    return [s.strip() for s in sql.split(";") if s.strip()]


def is_query(stmt: str) -> bool:
    """True for statements that return rows (SELECT/WITH/VALUES), after leading comments."""
    lines = [l for l in stmt.splitlines() if l.strip() and not l.strip().startswith("--")]
    first = lines[0].split()[0].upper() if lines else ""
    return first in ("SELECT", "WITH", "VALUES", "(")


class ShoalEngine:
    name = "shoal"

    def __init__(self, data_dir: str, threads: int):
        import shoal

        self.ctx = shoal.SessionContext({"shoal.execution.threads": str(threads)})
        for t in TABLES:
            self.ctx.register_parquet(t, table_path(data_dir, t))

    def run(self, sql: str) -> pa.Table:
        result = None
        for stmt in split_statements(sql):
            df = self.ctx.sql(stmt)
            if is_query(stmt):
                result = df.to_arrow_table()
        return result


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, data_dir: str, threads: int):
        import duckdb

        self.con = duckdb.connect()
        self.con.execute(f"SET threads = {threads}")
        for t in TABLES:
            p = table_path(data_dir, t)
            if os.path.isdir(p):
                p = os.path.join(p, "*.parquet")
            self.con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{p}')")

    def run(self, sql: str) -> pa.Table:
        result = None
        for stmt in split_statements(sql):
            rel = self.con.sql(stmt)
            if rel is None or not is_query(stmt):  # statements without results (CREATE VIEW)
                continue
            fetch = getattr(rel, "to_arrow_table", None) or getattr(rel, "arrow")
            result = fetch()
        return result


class DataFusionEngine:
    name = "datafusion"

    def __init__(self, data_dir: str, threads: int):
        import datafusion

        config = datafusion.SessionConfig().with_target_partitions(threads)
        self.ctx = datafusion.SessionContext(config)
        for t in TABLES:
            self.ctx.register_parquet(t, table_path(data_dir, t))

    def run(self, sql: str) -> pa.Table:
        result = None
        for stmt in split_statements(sql):
            df = self.ctx.sql(stmt)
            batches = df.collect()
            if is_query(stmt):
                result = pa.Table.from_batches(batches, schema=df.schema())
        return result


ENGINES: Dict[str, Callable] = {
    "shoal": ShoalEngine,
    "duckdb": DuckDBEngine,
    "datafusion": DataFusionEngine,
}


def normalize(table: pa.Table):
    """Return rows as tuples with floats/decimals rounded, for comparing engines."""
    import decimal
    import datetime

    rows = []
    if table is None:
        return rows
    cols = [c.to_pylist() for c in table.columns]
    for i in range(table.num_rows):
        row = []
        for c in cols:
            v = c[i]
            if isinstance(v, decimal.Decimal):
                v = float(v)
            if isinstance(v, float):
                v = round(v, 2)
            if isinstance(v, datetime.datetime):
                v = v.date() if v.time() == datetime.time(0) else v
            row.append(v)
        rows.append(tuple(row))
    return rows


def results_match(actual: pa.Table, expected: pa.Table, ordered: bool) -> str | None:
    """Return None when equal (floats within 0.01 relative), else a description of the difference."""
    if expected is None:
        return "the oracle returned no result to compare with"
    if actual is None:
        return "no result"
    a, e = normalize(actual), normalize(expected)
    if len(a) != len(e):
        return f"row count {len(a)} != expected {len(e)}"
    if not ordered:
        a, e = sorted(a, key=repr), sorted(e, key=repr)
    for i, (ra, re_) in enumerate(zip(a, e)):
        if len(ra) != len(re_):
            return f"row {i}: {len(ra)} columns != expected {len(re_)}"
        for x, y in zip(ra, re_):
            if isinstance(x, float) and isinstance(y, (float, int)):
                if abs(x - y) > max(0.01, 1e-6 * abs(y)):
                    return f"row {i}: {ra} != expected {re_}"
            elif x != y:
                return f"row {i}: {ra} != expected {re_}"
    return None
