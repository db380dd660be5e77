"""Maintenance of Delta tables from Python, shaped like delta-rs's DeltaTable:
``restore``, ``optimize.compact`` / ``optimize.z_order``, ``vacuum``, ``repair``, ``create_checkpoint``
and ``alter.add_columns`` / ``add_constraint`` / ``drop_constraint`` /
``set_table_properties`` / ``unset_table_properties``.

Each call runs the matching SQL statement (``RESTORE``, ``OPTIMIZE``, ``VACUUM``,
``FSCK REPAIR TABLE``, ``ALTER TABLE``) on the table's path in the DeltaTable's
session, then reloads the table at its new version.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

import pyarrow as pa

__all__ = ["TableOptimizer", "TableAlterer"]


def _quote_string(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return _quote_string(value)


def _filters_sql(filters: Any) -> Optional[str]:
    """Return delta-rs partition filters [("p", "=", "a"), ...] (a conjunction,
    or a list of conjunctions) as a SQL predicate."""
    if not filters:
        return None
    groups = filters if isinstance(filters[0], (list, tuple)) and filters[0] and \
        isinstance(filters[0][0], (list, tuple)) else [filters]
    ors = []
    for group in groups:
        ands = []
        for column, op, value in group:
            col = _quote_ident(column)
            op = op.strip().lower()
            if op in ("in", "not in"):
                items = ", ".join(_literal(v) for v in value)
                ands.append(f"{col} {op.upper()} ({items})")
            elif op in ("=", "==", "!=", "<", "<=", ">", ">="):
                ands.append(f"{col} {'=' if op == '==' else op} {_literal(value)}")
            else:
                raise ValueError(f"unsupported partition filter operator {op!r}")
        ors.append("(" + " AND ".join(ands) + ")")
    return " OR ".join(ors)


def _type_sql(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_int8(t):
        return "TINYINT"
    if pa.types.is_int16(t):
        return "SMALLINT"
    if pa.types.is_int32(t):
        return "INT"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_float32(t):
        return "REAL"
    if pa.types.is_float64(t):
        return "DOUBLE"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "VARCHAR"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "BLOB"
    if pa.types.is_date32(t):
        return "DATE"
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ" if t.tz else "TIMESTAMP"
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision}, {t.scale})"
    raise TypeError(f"add_columns: type {t} is not supported")


def _field_of(field: Any) -> pa.Field:
    if isinstance(field, pa.Field):
        return field
    if hasattr(field, "to_arrow"):  # deltalake.Field
        return field.to_arrow()
    if hasattr(field, "to_pyarrow"):
        return field.to_pyarrow()
    raise TypeError(f"add_columns needs pyarrow or deltalake fields, not {type(field).__name__}")


def _metrics(table: pa.Table) -> Dict[str, Any]:
    row = table.to_pylist()[0]
    out: Dict[str, Any] = json.loads(row["metrics"] or "{}")
    out["version"] = row["version"]
    return out


def _run(dt: Any, sql: str) -> pa.Table:
    table = dt._ctx.sql(sql).to_arrow_table()
    dt._requested = None
    dt._info = dt._query("delta_snapshot").to_pylist()[0]
    return table


def restore(self: Any, target: Union[int, str, _dt.datetime], *,
            ignore_missing_files: bool = False, protocol_downgrade_allowed: bool = False,
            commit_properties: Any = None) -> Dict[str, Any]:
    """Restore the table to version ``target`` (an int) or to the version at a
    timestamp (datetime or text); return the operation metrics."""
    if ignore_missing_files:
        raise NotImplementedError("restore(ignore_missing_files=True) is not supported")
    from .delta import _timestamp_text

    table = _quote_string(self.table_uri)
    if isinstance(target, bool):
        raise TypeError("restore target must be a version or a timestamp")
    if isinstance(target, int):
        sql = f"RESTORE TABLE {table} TO VERSION AS OF {int(target)}"
    else:
        sql = f"RESTORE TABLE {table} TO TIMESTAMP AS OF {_quote_string(_timestamp_text(target))}"
    metrics = _metrics(_run(self, sql))
    # delta-rs names (RestoreMetrics) next to Delta's.
    metrics["numRemovedFile"] = metrics.get("numRemovedFiles", 0)
    metrics["numRestoredFile"] = metrics.get("numRestoredFiles", 0)
    return metrics


def vacuum(self: Any, retention_hours: Optional[float] = None, dry_run: bool = True,
           enforce_retention_duration: bool = True, **_: Any) -> List[str]:
    """Delete (or with ``dry_run`` only list) files no longer needed by versions
    within the retention; return their paths relative to the table root."""
    sql = f"VACUUM {_quote_string(self.table_uri)}"
    if retention_hours is not None:
        if retention_hours < 0:
            raise ValueError("retention_hours must not be negative")
        sql += f" RETAIN {retention_hours} HOURS"
    if dry_run:
        sql += " DRY RUN"
    setting = "shoal.delta.vacuum_retention_check"
    previous = None
    if not enforce_retention_duration:
        previous = self._ctx.sql(f"SHOW {setting}").to_pylist()[0]
        self._ctx.sql(f"SET {setting} = false")
    try:
        table = _run(self, sql)
    finally:
        if previous is not None:
            value = list(previous.values())[-1]
            self._ctx.sql(f"SET {setting} = {value}")
    return table.column("path").to_pylist()


def repair(self: Any, dry_run: bool = False, **_: Any) -> Dict[str, Any]:
    """Remove the files of the current version that no longer exist (FSCK);
    return {"dry_run": ..., "files_removed": [...]}."""
    sql = f"FSCK REPAIR TABLE {_quote_string(self.table_uri)}" + (" DRY RUN" if dry_run else "")
    table = _run(self, sql)
    return {"dry_run": dry_run, "files_removed": table.column("path").to_pylist()}


class TableOptimizer:
    """``DeltaTable.optimize``: compaction and Z-ordering."""

    def __init__(self, table: Any):
        self._table = table

    def _optimize(self, partition_filters: Any, target_size: Optional[int],
                  zorder: Optional[Sequence[str]]) -> Dict[str, Any]:
        dt = self._table
        sql = f"OPTIMIZE {_quote_string(dt.table_uri)}"
        where = _filters_sql(partition_filters)
        if where:
            sql += f" WHERE {where}"
        if zorder:
            sql += " ZORDER BY (" + ", ".join(_quote_ident(c) for c in zorder) + ")"
        if target_size is None:
            return _metrics(_run(dt, sql))
        if int(target_size) <= 0:
            raise ValueError("target_size must be positive")
        setting = "shoal.delta.optimize_target_size"
        previous = list(dt._ctx.sql(f"SHOW {setting}").to_pylist()[0].values())[-1]
        dt._ctx.sql(f"SET {setting} = {int(target_size)}")
        try:
            return _metrics(_run(dt, sql))
        finally:
            dt._ctx.sql(f"SET {setting} = {previous}")

    def compact(self, partition_filters: Any = None, target_size: Optional[int] = None,
                **_: Any) -> Dict[str, Any]:
        """Bin-pack small files of each partition into files of about the target
        size (delta.targetFileSize, else 100 MiB); return the metrics."""
        return self._optimize(partition_filters, target_size, None)

    def z_order(self, columns: Union[str, Iterable[str]], partition_filters: Any = None,
                target_size: Optional[int] = None, **_: Any) -> Dict[str, Any]:
        """Rewrite each partition's files ordered by a Z-order curve of ``columns``."""
        cols = [columns] if isinstance(columns, str) else list(columns)
        if not cols:
            raise ValueError("z_order needs at least one column")
        return self._optimize(partition_filters, target_size, cols)


class TableAlterer:
    """``DeltaTable.alter``: schema, properties and constraints."""

    def __init__(self, table: Any):
        self._table = table

    def _alter(self, clause: str) -> Dict[str, Any]:
        dt = self._table
        return _metrics(_run(dt, f"ALTER TABLE {_quote_string(dt.table_uri)} {clause}"))

    def add_columns(self, fields: Any, **_: Any) -> None:
        """Add nullable columns (pyarrow or deltalake fields) at the end."""
        if not isinstance(fields, (list, tuple)):
            fields = [fields]
        cols = []
        for f in fields:
            f = _field_of(f)
            cols.append(f"{_quote_ident(f.name)} {_type_sql(f.type)}")
        self._alter("ADD COLUMNS (" + ", ".join(cols) + ")")

    def add_constraint(self, constraints: Dict[str, str], **_: Any) -> None:
        """Add CHECK constraints {name: sql expression}; existing rows must satisfy them."""
        if not constraints:
            raise ValueError("add_constraint needs at least one constraint")
        for name, expr in constraints.items():
            self._alter(f"ADD CONSTRAINT {_quote_ident(name)} CHECK ({expr})")

    def drop_constraint(self, name: str, raise_if_not_exists: bool = True, **_: Any) -> None:
        """Drop a CHECK constraint."""
        exists = "" if raise_if_not_exists else "IF EXISTS "
        self._alter(f"DROP CONSTRAINT {exists}{_quote_ident(name)}")

    def set_table_properties(self, properties: Dict[str, Any], raise_if_not_exists: bool = True,
                             **_: Any) -> None:
        """Set table properties."""
        def text(v: Any) -> str:
            return ("true" if v else "false") if isinstance(v, bool) else str(v)
        items = ", ".join(f"{_quote_string(k)} = {_quote_string(text(v))}"
                          for k, v in properties.items())
        self._alter(f"SET TBLPROPERTIES ({items})")

    def unset_table_properties(self, keys: Union[str, Sequence[str]],
                               raise_if_not_exists: bool = True) -> None:
        """Remove table properties."""
        keys = [keys] if isinstance(keys, str) else list(keys)
        exists = "" if raise_if_not_exists else "IF EXISTS "
        self._alter(f"UNSET TBLPROPERTIES {exists}(" +
                    ", ".join(_quote_string(k) for k in keys) + ")")


def create_checkpoint(self: Any) -> Dict[str, Any]:
    """Write a checkpoint of the loaded version (``<v>.checkpoint.parquet``) and
    update ``_delta_log/_last_checkpoint``, as delta-rs's ``create_checkpoint``.

    Returns ``version``, ``num_actions``, ``num_add_files`` and ``size_in_bytes``.
    """
    from . import _shoal

    return dict(_shoal.create_delta_checkpoint(self.table_uri, self.version()))


def attach(cls: Any) -> None:
    """Add the maintenance methods to DeltaTable."""
    cls.restore = restore
    cls.vacuum = vacuum
    cls.repair = repair
    cls.create_checkpoint = create_checkpoint
    cls.optimize = property(lambda self: TableOptimizer(self))
    cls.alter = property(lambda self: TableAlterer(self))
