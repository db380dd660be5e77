"""Engine adapters for the Delta benchmark.

Each adapter opens a Delta table (the part that loads the snapshot: listing the
log, reading the checkpoint and the JSON commits) and runs one SQL query on it
that returns a single number. `open` is timed apart from `query`.

  shoal       CREATE EXTERNAL TABLE t STORED AS DELTATABLE LOCATION '...'; SQL
  shoal-py    shoal.SessionContext.register_delta('t', path); SQL
  deltalake   deltalake.DeltaTable(path); SQL through deltalake.QueryBuilder
              (delta-rs' DataFusion integration, with its file skipping)
  deltalake-pyarrow
              deltalake.DeltaTable(path).to_pyarrow_dataset(); count_rows() or a
              pyarrow filter (for the skipping cases)

DuckDB's delta extension needs a download, so it is not included.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional


def _scalar(table):
    """Return the only value of a one-row, one-column Arrow table."""
    if table.num_rows != 1 or table.num_columns != 1:
        raise RuntimeError(f"expected one value, got {table.num_rows} rows x {table.num_columns} columns")
    return table.column(0)[0].as_py()


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


class ShoalSql:
    name = "shoal"

    def __init__(self, threads: int):
        import shoal

        self._shoal = shoal
        self.threads = threads

    def open(self, path: str, options: Optional[Dict[str, str]] = None):
        ctx = self._shoal.SessionContext({"shoal.execution.threads": str(self.threads)})
        sql = f"CREATE EXTERNAL TABLE t STORED AS DELTATABLE LOCATION {_quote(path)}"
        if options:
            sql += " OPTIONS (" + ", ".join(f"{_quote(k)} {_quote(v)}" for k, v in options.items()) + ")"
        ctx.sql(sql).collect()
        return ctx

    def query(self, ctx, sql: str):
        return _scalar(ctx.sql(sql).to_arrow_table())


class ShoalPython(ShoalSql):
    name = "shoal-py"

    def open(self, path: str, options: Optional[Dict[str, str]] = None):
        if options:
            return super().open(path, options)  # register_delta has no file_skipping argument
        ctx = self._shoal.SessionContext({"shoal.execution.threads": str(self.threads)})
        ctx.register_delta("t", path)
        return ctx


class DeltaLakeSql:
    name = "deltalake"

    def __init__(self, threads: int):
        import deltalake

        self._dl = deltalake
        self.threads = threads

    def open(self, path: str, options: Optional[Dict[str, str]] = None):
        if options:
            raise NotImplementedError("deltalake has no file-skipping switch")
        return self._dl.DeltaTable(path)

    def query(self, dt, sql: str):
        qb = self._dl.QueryBuilder({"datafusion.execution.target_partitions": str(self.threads)})
        return _scalar(qb.register("t", dt).execute(sql).read_all())


class DeltaLakePyArrow(DeltaLakeSql):
    name = "deltalake-pyarrow"

    def query(self, dt, sql: str):
        import pyarrow.compute as pc
        import pyarrow.dataset as ds  # noqa: F401

        dataset = dt.to_pyarrow_dataset()
        q = " ".join(sql.split()).lower()
        if q == "select count(*) from t":
            return dataset.count_rows()
        # SELECT sum(x) FROM t WHERE <col> BETWEEN a AND b
        where = q.split(" where ", 1)[1].split()
        col, lo, hi = where[0], int(where[2]), int(where[4])
        flt = (pc.field(col) >= lo) & (pc.field(col) <= hi)
        table = dataset.to_table(columns=["x"], filter=flt)
        return pc.sum(table.column("x")).as_py()


ENGINES: Dict[str, Callable] = {
    "shoal": ShoalSql,
    "shoal-py": ShoalPython,
    "deltalake": DeltaLakeSql,
    "deltalake-pyarrow": DeltaLakePyArrow,
}
