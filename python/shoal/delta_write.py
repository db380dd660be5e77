"""Writing Delta Lake tables with Shoal's native writer.

>>> import pyarrow as pa, shoal
>>> shoal.write_delta(pa.table({"a": [1, 2]}), "data/t")  # doctest: +SKIP
>>> shoal.write_delta(ctx.sql("SELECT ..."), "data/t", mode="append")  # doctest: +SKIP

Data streams batch by batch into Parquet files; the commit goes to
``_delta_log`` with an atomic put-if-absent, retrying past concurrent blind
appends and failing with "concurrent modification: version N ..." on a real
conflict.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _shoal

__all__ = ["write_delta"]

_MODES = ("error", "errorifexists", "append", "overwrite", "ignore")


def _stream_capsule(data: Any) -> Any:
    """Return an 'arrow_array_stream' capsule for ``data``."""
    if hasattr(data, "__arrow_c_stream__"):
        return data.__arrow_c_stream__()
    if hasattr(data, "__arrow_c_array__"):
        import pyarrow as pa

        batch = pa.record_batch(data)
        return pa.RecordBatchReader.from_batches(batch.schema, [batch]).__arrow_c_stream__()
    raise TypeError(
        "write_delta needs a shoal DataFrame or an Arrow stream (an object with "
        f"__arrow_c_stream__, e.g. a pyarrow Table or RecordBatchReader), not {type(data).__name__}")


def _path_text(path: Any) -> str:
    path = os.fspath(path)
    if "://" in path:
        return path
    return os.path.abspath(path)


def _property_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_delta(data: Any, path: Any, mode: str = "error",
                partition_by: Optional[Union[str, Sequence[str]]] = None,
                schema_mode: Optional[str] = None, predicate: Optional[str] = None,
                configuration: Optional[Dict[str, Any]] = None,
                target_file_size: Optional[int] = None, name: Optional[str] = None,
                description: Optional[str] = None) -> Dict[str, Any]:
    """Write ``data`` to the Delta table at ``path``.

    ``data`` is a shoal DataFrame or any object with ``__arrow_c_stream__``
    (pyarrow Table / RecordBatchReader, polars, DuckDB relations, ...); it is
    read as a stream. ``mode``: "error" (create; fail when the table exists),
    "append", "overwrite" (replace every row) or "ignore" (create; do nothing when
    the table exists). ``partition_by`` names the partition columns of a new
    table; ``configuration`` sets its table properties (delta.*);
    ``target_file_size`` (bytes) rolls over to a new data file. An existing
    table's schema must match the data's (columns by name, same types); the
    error lists the differences. ``schema_mode="merge"`` adds the data's new
    columns to the table (missing ones are written as nulls);
    ``schema_mode="overwrite"`` with ``mode="overwrite"`` replaces the schema (and
    the partitioning when ``partition_by`` is given). ``predicate`` (SQL, with
    ``mode="overwrite"``) is replaceWhere: only rows matching it are replaced
    (files are removed or rewritten keeping their other rows) and every row
    written must match it. CHECK constraints, invariants and generated columns
    of the table are enforced; a violation names the constraint and a row, and
    nothing is committed.

    Return a dict: version, skipped, num_rows, num_files, num_bytes,
    removed_files, commit_attempts, checkpoint_written, checkpoint_error.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of 'error', 'append', 'overwrite', 'ignore', not {mode!r}")
    if schema_mode is not None and schema_mode not in ("merge", "overwrite"):
        raise ValueError(f"schema_mode must be 'merge', 'overwrite' or None, not {schema_mode!r}")
    if isinstance(partition_by, str):
        partition_by = [partition_by]
    parts: List[str] = list(partition_by or [])
    config = {str(k): _property_text(v) for k, v in (configuration or {}).items()
              if v is not None}
    return _shoal.write_delta(_stream_capsule(data), _path_text(path), mode, parts, config,
                              target_file_size, schema_mode or "", predicate or "", name,
                              description)
