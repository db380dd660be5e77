"""Delta Lake tables read by Shoal's native C++ implementation of the protocol.

>>> import shoal
>>> ctx = shoal.SessionContext()
>>> ctx.register_delta("events", "data/events", version=3)  # doctest: +SKIP
>>> shoal.DeltaTable("data/events").files([("year", "=", "2024")])  # doctest: +SKIP

Everything goes through SQL: ``CREATE EXTERNAL TABLE ... STORED AS DELTATABLE``
and the table functions ``delta_snapshot``, ``delta_files``, ``delta_history`` and
``table_changes`` (the change data feed, ``DeltaTable.load_cdf``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import pyarrow as pa

__all__ = ["DeltaTable", "register_delta"]

Filter = Tuple[str, str, Any]
Filters = Union[Sequence[Filter], Sequence[Sequence[Filter]]]


def _quote_string(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _timestamp_text(timestamp: Any) -> str:
    """Return a timestamp as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC."""
    if isinstance(timestamp, _dt.datetime):
        if timestamp.tzinfo is not None:
            timestamp = timestamp.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return timestamp.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(timestamp, _dt.date):
        return timestamp.strftime("%Y-%m-%d 00:00:00")
    return str(timestamp)


def _path_of(path: Any) -> str:
    path = os.fspath(path)
    if path.startswith("file://"):
        return path
    if "://" in path:
        return path
    return os.path.abspath(path)


def register_delta(ctx: Any, name: str, path: Any, version: Optional[int] = None,
                   timestamp: Any = None, storage_options: Optional[Dict[str, str]] = None,
                   file_column_name: Optional[str] = None) -> None:
    """Register the Delta table at ``path`` as ``name`` in ``ctx``.

    ``version`` or ``timestamp`` (a datetime or text such as
    '2026-01-01 00:00:00', UTC) selects an earlier snapshot; ``storage_options``
    are passed to the storage layer; ``file_column_name`` adds a column naming
    each row's data file.
    """
    if version is not None and timestamp is not None:
        raise ValueError("give either version or timestamp, not both")
    options: Dict[str, str] = {}
    for k, v in (storage_options or {}).items():
        options[str(k)] = str(v)
    if version is not None:
        options["version"] = str(int(version))
    if timestamp is not None:
        options["timestamp"] = _timestamp_text(timestamp)
    if file_column_name:
        options["file_column_name"] = file_column_name
    sql = (f"CREATE OR REPLACE EXTERNAL TABLE {_quote_ident(name)} STORED AS DELTATABLE "
           f"LOCATION {_quote_string(_path_of(path))}")
    if options:
        sql += " OPTIONS (" + ", ".join(
            f"{_quote_string(k)} {_quote_string(v)}" for k, v in options.items()) + ")"
    ctx.sql(sql).collect()


def _matches(values: Dict[str, Optional[str]], column: str, op: str, value: Any) -> bool:
    if column not in values:
        raise ValueError(f"'{column}' is not a partition column")
    actual = values[column]

    def text(v: Any) -> Optional[str]:
        return None if v is None else str(v)

    def num(v: Optional[str]) -> Any:
        try:
            return float(v) if v is not None else None
        except ValueError:
            return v

    op = op.lower().strip()
    if op in ("=", "=="):
        return actual == text(value)
    if op == "!=":
        return actual != text(value)
    if op == "in":
        return actual in [text(v) for v in value]
    if op == "not in":
        return actual not in [text(v) for v in value]
    if op in ("<", "<=", ">", ">="):
        if actual is None:
            return False
        a, b = num(actual), num(text(value))
        if type(a) is not type(b):
            a, b = actual, text(value)
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    raise ValueError(f"unsupported partition filter operator '{op}'")


def _dnf(filters: Optional[Filters]) -> List[List[Filter]]:
    if not filters:
        return []
    first = filters[0]
    if isinstance(first, tuple):
        return [list(filters)]  # type: ignore[arg-type]
    return [list(conj) for conj in filters]  # type: ignore[arg-type]


class DeltaTable:
    """A Delta table's metadata and files at one version (latest by default)."""

    def __init__(self, table_uri: Any, version: Optional[int] = None,
                 storage_options: Optional[Dict[str, str]] = None, ctx: Any = None):
        from .context import SessionContext

        self.table_uri = _path_of(table_uri)
        self._ctx = ctx if ctx is not None else SessionContext()
        self._storage_options = dict(storage_options or {})
        self._requested = version
        self._info = self._query("delta_snapshot").to_pylist()[0]

    def _query(self, function: str, arg: Optional[int] = None) -> pa.Table:
        if arg is None and function != "delta_history":
            arg = self._requested
        args = _quote_string(self.table_uri) + ("" if arg is None else f", {int(arg)}")
        return self._ctx.sql(f"SELECT * FROM {function}({args})").to_arrow_table()

    def version(self) -> int:
        """Return the loaded version."""
        return int(self._info["version"])

    def load_as_version(self, version: int) -> None:
        """Load another version of the table."""
        self._requested = int(version)
        self._info = self._query("delta_snapshot").to_pylist()[0]

    def schema(self) -> pa.Schema:
        """Return the table's Arrow schema."""
        q = f"SELECT * FROM delta_scan({_quote_string(self.table_uri)}, {self.version()}) LIMIT 0"
        return self._ctx.sql(q).to_arrow_table().schema

    def metadata(self) -> Dict[str, Any]:
        """Return the metaData action (id, name, description, partition_columns, configuration, ...)."""
        info = self._info
        return {
            "id": info["id"],
            "name": info["name"],
            "description": info["description"],
            "partition_columns": json.loads(info["partition_columns"]),
            "configuration": json.loads(info["configuration"]),
            "created_time": info["created_time"],
            "schema_string": info["schema_string"],
        }

    def protocol(self) -> Dict[str, Any]:
        """Return the protocol action."""
        info = self._info
        return {
            "min_reader_version": info["min_reader_version"],
            "min_writer_version": info["min_writer_version"],
            "reader_features": None if info["reader_features"] is None
            else json.loads(info["reader_features"]),
            "writer_features": None if info["writer_features"] is None
            else json.loads(info["writer_features"]),
        }

    def history(self, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """Return the commitInfo of each commit, newest first, with its version and timestamp."""
        out = []
        for row in self._query("delta_history", limit).to_pylist():
            info = json.loads(row["commit_info"]) if row["commit_info"] else {}
            info["version"] = row["version"]
            info.setdefault("timestamp", row["timestamp_ms"])
            out.append(info)
        return out

    def _file_rows(self, partition_filters: Optional[Filters]) -> List[Dict[str, Any]]:
        rows = self._query("delta_files").to_pylist()
        dnf = _dnf(partition_filters)
        if not dnf:
            return rows
        kept = []
        for row in rows:
            values = json.loads(row["partition_values"])
            if any(all(_matches(values, *f) for f in conj) for conj in dnf):
                kept.append(row)
        return kept

    def files(self, partition_filters: Optional[Filters] = None) -> List[str]:
        """Return the paths (relative to the table) of the live data files.

        ``partition_filters`` uses delta-rs's DNF form: ``[("year", "=", "2023")]``
        or a list of such lists for OR.
        """
        return [r["path"] for r in self._file_rows(partition_filters)]

    def file_uris(self, partition_filters: Optional[Filters] = None) -> List[str]:
        """Return the absolute locations of the live data files."""
        out = []
        for r in self._file_rows(partition_filters):
            p = r["path"]
            out.append(p if p.startswith("/") or "://" in p else
                       self.table_uri.rstrip("/") + "/" + p)
        return out

    def to_pyarrow_table(self) -> pa.Table:
        """Read the table at the loaded version."""
        q = f"SELECT * FROM delta_scan({_quote_string(self.table_uri)}, {self.version()})"
        return self._ctx.sql(q).to_arrow_table()

    def load_cdf(self, starting_version: Optional[int] = 0, ending_version: Optional[int] = None,
                 starting_timestamp: Any = None, ending_timestamp: Any = None,
                 columns: Optional[List[str]] = None, predicate: Optional[str] = None,
                 allow_out_of_range: bool = False) -> pa.RecordBatchReader:
        """Return the change data feed of a range of versions as a RecordBatchReader.

        Like delta-rs's ``load_cdf``: rows of the table's columns plus
        ``_change_type`` (insert, delete, update_preimage, update_postimage),
        ``_commit_version`` and ``_commit_timestamp``, from the commits'
        change data files or else their added and removed files. Bounds are
        inclusive; ``starting_timestamp`` / ``ending_timestamp`` (a datetime or
        ISO 8601 text, UTC when no offset is given) leave out commits outside
        those times. ``columns`` selects columns, ``predicate`` is a SQL
        condition on the rows. With ``allow_out_of_range`` a range after the
        latest version gives no rows instead of an error. Same as SQL
        ``table_changes``.
        """
        def bound(value: Any, is_version: bool) -> str:
            if value is None:
                return "NULL"
            if is_version:
                return str(int(value))
            return _quote_string(_timestamp_text(value))

        if allow_out_of_range:
            latest = int(self._query("delta_history", 1).to_pylist()[0]["version"])
            if (starting_version is not None and int(starting_version) > latest) or (
                    ending_version is not None and starting_version is not None
                    and int(ending_version) < int(starting_version)):
                return self._empty_changes(columns)
        select = "*" if not columns else ", ".join(_quote_ident(c) for c in columns)
        sql = (f"SELECT {select} FROM table_changes({_quote_string(self.table_uri)}, "
               f"{bound(starting_version, True)}, {bound(ending_version, True)}, "
               f"{bound(starting_timestamp, False)}, {bound(ending_timestamp, False)})")
        if predicate:
            sql += f" WHERE {predicate}"
        try:
            table = self._ctx.sql(sql).to_arrow_table()
        except Exception as e:  # the range may start after the latest commit
            if allow_out_of_range and "after its latest" in str(e):
                return self._empty_changes(columns)
            raise
        return table.to_reader()

    def _empty_changes(self, columns: Optional[List[str]]) -> pa.RecordBatchReader:
        fields = list(self.schema()) + [pa.field("_change_type", pa.string()),
                                        pa.field("_commit_version", pa.int64()),
                                        pa.field("_commit_timestamp", pa.timestamp("us", "UTC"))]
        if columns:
            by_name = {f.name: f for f in fields}
            fields = [by_name[c] for c in columns]
        return pa.schema(fields).empty_table().to_reader()

    def __repr__(self) -> str:
        return f"DeltaTable({self.table_uri!r}, version={self.version()})"


def _attach_dml() -> None:
    # DELETE / UPDATE / MERGE live in delta_dml.py.
    from . import delta_dml

    DeltaTable.delete = delta_dml.delete  # type: ignore[attr-defined]
    DeltaTable.update = delta_dml.update  # type: ignore[attr-defined]
    DeltaTable.merge = delta_dml.merge  # type: ignore[attr-defined]


_attach_dml()


def _attach_maint() -> None:
    # RESTORE / OPTIMIZE / VACUUM / FSCK / ALTER live in delta_maint.py.
    from . import delta_maint

    delta_maint.attach(DeltaTable)


_attach_maint()
