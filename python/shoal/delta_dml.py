"""DELETE, UPDATE and MERGE on Delta tables from Python (mirrors delta-rs).

>>> dt = shoal.DeltaTable("data/t")                                   # doctest: +SKIP
>>> dt.delete("id > 10")                                              # doctest: +SKIP
{'num_added_files': 1, 'num_removed_files': 1, 'num_deleted_rows': 3, ...}
>>> dt.update({"v": "v + 1"}, predicate="id = 2")                     # doctest: +SKIP
>>> (dt.merge(source, "target.id = source.id")
...    .when_matched_update_all().when_not_matched_insert_all().execute())  # doctest: +SKIP

Each call runs the SQL statement (``DELETE FROM`` / ``UPDATE`` / ``MERGE INTO``)
on the table registered under a hidden name and returns the statement's
metrics row as a dict; the DeltaTable is then reloaded at the new version.
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, List, Optional, Sequence

__all__ = ["TableMerger", "delete", "update", "merge"]

_counter = itertools.count()


def _quote_ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _quote_string(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _literal(value: Any) -> str:
    """Return a Python value as a SQL literal (for ``new_values``)."""
    import datetime as dt

    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP {_quote_string(value.isoformat(sep=' '))}"
    if isinstance(value, dt.date):
        return f"DATE {_quote_string(value.isoformat())}"
    return _quote_string(str(value))


class _Registered:
    """Registers the table (and a source) under hidden names for one statement."""

    def __init__(self, table: Any):
        from .delta import register_delta

        self.table = table
        self.ctx = table._ctx
        self.names: List[str] = []
        self.target = self._name("target")
        register_delta(self.ctx, self.target, table.table_uri,
                       storage_options=table._storage_options or None)

    def _name(self, kind: str) -> str:
        name = f"__shoal_delta_{kind}_{next(_counter)}"
        self.names.append(name)
        return name

    def source(self, data: Any) -> str:
        name = self._name("source")
        if hasattr(data, "to_arrow_table") and not hasattr(data, "__arrow_c_stream__"):
            data = data.to_arrow_table()
        import pyarrow as pa

        if isinstance(data, pa.RecordBatchReader):
            data = data.read_all()
        elif isinstance(data, pa.RecordBatch):
            data = pa.Table.from_batches([data])
        elif not isinstance(data, pa.Table):
            if hasattr(data, "__arrow_c_stream__"):
                data = pa.table(data)
            elif hasattr(data, "to_arrow") :
                data = data.to_arrow()
            else:
                try:
                    import pandas as pd

                    if isinstance(data, pd.DataFrame):
                        data = pa.Table.from_pandas(data, preserve_index=False)
                except ImportError:  # pragma: no cover
                    pass
        if not isinstance(data, pa.Table):
            raise TypeError("merge source must be a pyarrow Table / RecordBatch / "
                            "RecordBatchReader, a pandas DataFrame or a shoal DataFrame, not "
                            f"{type(data).__name__}")
        self.ctx.register_record_batches(name, [data.to_batches()], schema=data.schema)
        return name

    def run(self, sql: str) -> Dict[str, Any]:
        try:
            rows = self.ctx.sql(sql).to_arrow_table().to_pylist()
        finally:
            for n in self.names:
                try:
                    self.ctx.deregister_table(n)
                except Exception:  # pragma: no cover - best effort cleanup
                    pass
        self.table._requested = None
        self.table._info = self.table._query("delta_snapshot").to_pylist()[0]
        return dict(rows[0]) if rows else {}


def delete(table: Any, predicate: Optional[str] = None) -> Dict[str, Any]:
    """Delete the rows matching the SQL ``predicate`` (all rows when None)."""
    reg = _Registered(table)
    sql = f"DELETE FROM {_quote_ident(reg.target)}"
    if predicate:
        sql += f" WHERE {predicate}"
    return reg.run(sql)


def update(table: Any, updates: Optional[Dict[str, str]] = None,
           new_values: Optional[Dict[str, Any]] = None,
           predicate: Optional[str] = None) -> Dict[str, Any]:
    """Set columns to SQL expressions (``updates``) or Python values
    (``new_values``) in the rows matching ``predicate`` (all rows when None)."""
    if (updates is None) == (new_values is None):
        raise ValueError("give exactly one of updates (SQL expressions) or new_values")
    assignments = dict(updates) if updates is not None else {
        k: _literal(v) for k, v in (new_values or {}).items()}
    if not assignments:
        raise ValueError("no columns to update")
    reg = _Registered(table)
    sets = ", ".join(f"{_quote_ident(k)} = {v}" for k, v in assignments.items())
    sql = f"UPDATE {_quote_ident(reg.target)} SET {sets}"
    if predicate:
        sql += f" WHERE {predicate}"
    return reg.run(sql)


class TableMerger:
    """Collects WHEN clauses of a MERGE; ``execute()`` runs it (delta-rs's TableMerger)."""

    def __init__(self, table: Any, source: Any, predicate: str, source_alias: str = "source",
                 target_alias: str = "target"):
        self._table = table
        self._source = source
        self._predicate = predicate
        self._source_alias = source_alias or "source"
        self._target_alias = target_alias or "target"
        self._clauses: List[str] = []

    def _source_columns(self) -> List[str]:
        s = self._source
        schema = getattr(s, "schema", None)
        if callable(schema):
            schema = schema()
        if schema is None and hasattr(s, "columns"):
            return [str(c) for c in s.columns]
        return list(schema.names)

    def _when(self, head: str, predicate: Optional[str], action: str) -> "TableMerger":
        cond = f" AND ({predicate})" if predicate else ""
        self._clauses.append(f"WHEN {head}{cond} THEN {action}")
        return self

    def _sets(self, updates: Dict[str, str]) -> str:
        if not updates:
            raise ValueError("no columns to update")
        return ", ".join(f"{_quote_ident(k)} = {v}" for k, v in updates.items())

    def _all_columns(self, except_cols: Optional[Sequence[str]]) -> List[str]:
        skip = set(except_cols or [])
        target = [f.name for f in self._table.schema()]
        source = set(self._source_columns())
        return [c for c in target if c in source and c not in skip]

    def when_matched_update(self, updates: Dict[str, str],
                            predicate: Optional[str] = None) -> "TableMerger":
        """Update matched target rows: ``updates`` maps columns to SQL expressions."""
        return self._when("MATCHED", predicate, "UPDATE SET " + self._sets(updates))

    def when_matched_update_all(self, predicate: Optional[str] = None,
                                except_cols: Optional[Sequence[str]] = None) -> "TableMerger":
        """Update matched target rows with the source's columns of the same names."""
        if except_cols:
            sa = _quote_ident(self._source_alias)
            return self.when_matched_update(
                {c: f"{sa}.{_quote_ident(c)}" for c in self._all_columns(except_cols)},
                predicate)
        return self._when("MATCHED", predicate, "UPDATE SET *")

    def when_matched_delete(self, predicate: Optional[str] = None) -> "TableMerger":
        """Delete matched target rows."""
        return self._when("MATCHED", predicate, "DELETE")

    def when_not_matched_insert(self, updates: Dict[str, str],
                                predicate: Optional[str] = None) -> "TableMerger":
        """Insert source rows without a match: ``updates`` maps columns to SQL expressions."""
        if not updates:
            raise ValueError("no columns to insert")
        cols = ", ".join(_quote_ident(k) for k in updates)
        vals = ", ".join(str(v) for v in updates.values())
        return self._when("NOT MATCHED", predicate, f"INSERT ({cols}) VALUES ({vals})")

    def when_not_matched_insert_all(self, predicate: Optional[str] = None,
                                    except_cols: Optional[Sequence[str]] = None
                                    ) -> "TableMerger":
        """Insert source rows without a match, columns taken by name."""
        if except_cols:
            sa = _quote_ident(self._source_alias)
            return self.when_not_matched_insert(
                {c: f"{sa}.{_quote_ident(c)}" for c in self._all_columns(except_cols)},
                predicate)
        return self._when("NOT MATCHED", predicate, "INSERT *")

    def when_not_matched_by_source_update(self, updates: Dict[str, str],
                                          predicate: Optional[str] = None) -> "TableMerger":
        """Update target rows no source row matched."""
        return self._when("NOT MATCHED BY SOURCE", predicate,
                          "UPDATE SET " + self._sets(updates))

    def when_not_matched_by_source_delete(self, predicate: Optional[str] = None
                                          ) -> "TableMerger":
        """Delete target rows no source row matched."""
        return self._when("NOT MATCHED BY SOURCE", predicate, "DELETE")

    def execute(self) -> Dict[str, Any]:
        """Run the MERGE and return its metrics."""
        if not self._clauses:
            raise ValueError("MERGE needs at least one when_... clause")
        reg = _Registered(self._table)
        source = reg.source(self._source)
        sql = (f"MERGE INTO {_quote_ident(reg.target)} AS {_quote_ident(self._target_alias)} "
               f"USING {_quote_ident(source)} AS {_quote_ident(self._source_alias)} "
               f"ON {self._predicate} " + " ".join(self._clauses))
        return reg.run(sql)


def merge(table: Any, source: Any, predicate: str, source_alias: Optional[str] = "source",
          target_alias: Optional[str] = "target") -> TableMerger:
    """Start a MERGE of ``source`` into the table on ``predicate``."""
    return TableMerger(table, source, predicate, source_alias or "source",
                       target_alias or "target")
