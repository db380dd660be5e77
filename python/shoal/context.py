"""SessionContext: the entry point of the Python API (mirrors datafusion-python)."""

from __future__ import annotations

import itertools
import threading
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import pyarrow as pa

from . import _shoal
from .dataframe import DataFrame
from .expr import quote_identifier

__all__ = ["SessionContext"]

_HIDDEN_PREFIX = "__shoal_"
_counter = itertools.count()
_counter_lock = threading.Lock()


def _fresh_name(kind: str) -> str:
    with _counter_lock:
        return f"{_HIDDEN_PREFIX}{kind}_{next(_counter)}"


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _type_capsule(t: Any):
    if isinstance(t, str):
        t = pa.type_for_alias(t)
    if not hasattr(t, "__arrow_c_schema__"):
        raise TypeError(f"partition column type must be a pyarrow DataType or a type name, got {t!r}")
    return t.__arrow_c_schema__()


def _partition_cols(cols: Optional[Sequence[Tuple[str, Any]]]) -> List[Tuple[str, Any]]:
    out = []
    for item in cols or []:
        if isinstance(item, str):
            raise TypeError(
                f"table_partition_cols takes (name, type) pairs, e.g. [('{item}', pa.string())]")
        name, typ = item
        out.append((str(name), _type_capsule(typ)))
    return out


def _schema_capsule(schema: Any):
    if schema is None:
        return None
    if not hasattr(schema, "__arrow_c_schema__"):
        raise TypeError(f"schema must be a pyarrow Schema, got {type(schema).__name__}")
    return schema.__arrow_c_schema__()


def _batch_capsules(batch: Any):
    if hasattr(batch, "__arrow_c_array__"):
        return batch.__arrow_c_array__()
    raise TypeError(f"expected a pyarrow RecordBatch (or an object with __arrow_c_array__), "
                    f"got {type(batch).__name__}")


class SessionContext:
    """A Shoal session: a catalog of tables and settings, and the SQL entry point.

    ``config`` maps setting keys to values, e.g.
    ``SessionContext({"shoal.execution.threads": 4})``; unknown keys raise.
    """

    def __init__(self, config: Optional[Dict[str, Any]] = None):
        cfg = {str(k): _setting_text(v) for k, v in (config or {}).items()}
        self._session = _shoal.Session(cfg)

    # ------------------------------------------------------------------ SQL
    def sql(self, query: str) -> DataFrame:
        """Return a DataFrame for ``query``. A single SELECT is planned now (errors
        raise here) and runs when the DataFrame is collected; DDL, DML and other
        statements (or scripts of several statements) run immediately."""
        kinds = self._session.statement_kinds(query)
        if len(kinds) == 1 and kinds[0] == "SELECT":
            df = DataFrame(self, query.strip().rstrip(";").strip())
            df.schema()  # bind now so errors surface at sql() like in DataFusion
            return df
        result = self._session.sql(query)
        try:
            schema = pa.Schema._import_from_c_capsule(result.schema())
            batches = []
            while True:
                capsules = result.read_next()
                if capsules is None:
                    break
                batches.append(pa.RecordBatch._import_from_c_capsule(*capsules))
        finally:
            result.close()
        return DataFrame._materialized(self, schema, batches)

    # ------------------------------------------------------- registration
    def register_parquet(self, name: str, path: str,
                         table_partition_cols: Optional[Sequence[Tuple[str, Any]]] = None,
                         file_extension: str = ".parquet", schema: Any = None,
                         pruning: bool = True) -> None:
        """Register Parquet files (a file, a directory or a glob) as table ``name``.
        ``table_partition_cols``: Hive partition columns as (name, pyarrow type)."""
        self._session.register_parquet(name, str(path), _partition_cols(table_partition_cols),
                                       file_extension, _schema_capsule(schema), pruning)

    def register_csv(self, name: str, path: str, schema: Any = None, has_header: bool = True,
                     delimiter: str = ",", file_extension: str = ".csv",
                     table_partition_cols: Optional[Sequence[Tuple[str, Any]]] = None) -> None:
        """Register CSV files as table ``name`` (schema inferred unless given)."""
        self._session.register_csv(name, str(path), _schema_capsule(schema), has_header, delimiter,
                                   file_extension, _partition_cols(table_partition_cols))

    def register_json(self, name: str, path: str, schema: Any = None,
                      file_extension: str = ".json",
                      table_partition_cols: Optional[Sequence[Tuple[str, Any]]] = None) -> None:
        """Register newline-delimited JSON files as table ``name``."""
        self._session.register_json(name, str(path), _schema_capsule(schema), file_extension,
                                    _partition_cols(table_partition_cols))

    def register_ipc(self, name: str, path: str, file_extension: str = ".arrow",
                     table_partition_cols: Optional[Sequence[Tuple[str, Any]]] = None) -> None:
        """Register Arrow IPC (Feather v2) files as table ``name``."""
        self._session.register_ipc(name, str(path), file_extension,
                                   _partition_cols(table_partition_cols))

    register_arrow = register_ipc

    def register_record_batches(self, name: str, partitions: Sequence[Sequence[Any]]) -> None:
        """Register in-memory batches; each inner list is one partition."""
        parts = [[_batch_capsules(b) for b in part] for part in partitions]
        schema = None
        for part in partitions:
            for b in part:
                schema = getattr(b, "schema", None)
                break
            if schema is not None:
                break
        self._session.register_record_batches(name, _schema_capsule(schema), parts)

    def register_table(self, name: str, table: Any) -> None:
        """Register ``table`` under ``name``: a Shoal DataFrame (as a view), a pyarrow
        Table or RecordBatch, a pyarrow dataset, a RecordBatchReader (one-shot), or
        any object with ``__arrow_c_stream__`` / ``__arrow_c_array__`` (polars,
        pandas, DuckDB results, ...), whose data is read once into memory."""
        if isinstance(table, DataFrame):
            self.register_view(name, table)
            return
        if isinstance(table, pa.Table):
            batches = table.to_batches()
            if not batches:
                batches = [pa.RecordBatch.from_pylist([], schema=table.schema)]
            self._session.register_record_batches(
                name, table.schema.__arrow_c_schema__(), [[b.__arrow_c_array__() for b in batches]])
            return
        if isinstance(table, pa.RecordBatch):
            self._session.register_record_batches(name, table.schema.__arrow_c_schema__(),
                                                  [[table.__arrow_c_array__()]])
            return
        if isinstance(table, pa.RecordBatchReader):
            self._session.register_stream(name, table.__arrow_c_stream__(), False)
            return
        try:
            import pyarrow.dataset as ds
            if isinstance(table, ds.Dataset):
                reader = table.scanner().to_reader()
                self._session.register_stream(name, reader.__arrow_c_stream__(), True)
                return
        except ImportError:  # pragma: no cover
            pass
        if hasattr(table, "__arrow_c_stream__"):
            self._session.register_stream(name, table.__arrow_c_stream__(), True)
            return
        if hasattr(table, "__arrow_c_array__"):
            schema_capsule, array_capsule = table.__arrow_c_array__()
            self._session.register_record_batches(name, None, [[(schema_capsule, array_capsule)]])
            return
        raise TypeError(f"cannot register {type(table).__name__} as a table: expected a Shoal "
                        "DataFrame or an Arrow object (__arrow_c_stream__ or __arrow_c_array__)")

    def register_view(self, name: str, df: DataFrame) -> None:
        """Register ``df`` as a view named ``name`` (its query runs where it is used)."""
        if self.table_exist(name):
            self.deregister_table(name)
        self._session.sql(f"CREATE VIEW {quote_identifier(name)} AS {df._query()}\n").close()

    def deregister_table(self, name: str) -> None:
        """Remove a table or view (an error if it does not exist)."""
        self._session.deregister_table(name)

    # ------------------------------------------------------- data frames
    def table(self, name: str) -> DataFrame:
        """Return a DataFrame over the table or view ``name``."""
        if not self.table_exist(name):
            raise _shoal.NotFoundError(f"table '{name}' does not exist")
        return DataFrame(self, f"SELECT * FROM {quote_identifier(name)}")

    def table_exist(self, name: str) -> bool:
        """Return True when a table or view ``name`` is registered."""
        try:
            self._session.table_schema(name)
            return True
        except _shoal.NotFoundError:
            return False

    def tables(self) -> List[str]:
        """Return the names of the registered tables and views, sorted."""
        return [n for n in self._session.table_names() if not n.startswith(_HIDDEN_PREFIX)]

    def from_arrow(self, data: Any, name: Optional[str] = None) -> DataFrame:
        """Return a DataFrame over any Arrow data: an object with
        ``__arrow_c_stream__`` (pyarrow Table / RecordBatchReader, polars and
        pandas DataFrames, ...) or ``__arrow_c_array__`` (a RecordBatch). The data
        is registered as table ``name`` (a generated name when None)."""
        table_name = name or _fresh_name("arrow")
        if isinstance(data, pa.RecordBatchReader):
            # A reader can be read once; keep its batches so the DataFrame can be reused.
            data = data.read_all()
        if not isinstance(data, (pa.Table, pa.RecordBatch)) and not (
                hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__")):
            raise TypeError(f"from_arrow expects an Arrow object (__arrow_c_stream__ or "
                            f"__arrow_c_array__), got {type(data).__name__}")
        self.register_table(table_name, data)
        return DataFrame(self, f"SELECT * FROM {quote_identifier(table_name)}")

    from_arrow_table = from_arrow

    def from_pydict(self, data: Dict[str, Any], name: Optional[str] = None) -> DataFrame:
        """Return a DataFrame over a dict of column name -> list of values."""
        return self.from_arrow(pa.table(data), name)

    def from_pylist(self, data: List[Dict[str, Any]], name: Optional[str] = None) -> DataFrame:
        """Return a DataFrame over a list of row dicts."""
        return self.from_arrow(pa.Table.from_pylist(data), name)

    def from_pandas(self, data: Any, name: Optional[str] = None) -> DataFrame:
        """Return a DataFrame over a pandas DataFrame."""
        return self.from_arrow(pa.Table.from_pandas(data, preserve_index=False), name)

    def from_polars(self, data: Any, name: Optional[str] = None) -> DataFrame:
        """Return a DataFrame over a polars DataFrame (via the Arrow stream interface)."""
        return self.from_arrow(data, name)

    def create_dataframe(self, partitions: Sequence[Sequence[Any]],
                         name: Optional[str] = None) -> DataFrame:
        """Return a DataFrame over record batches; each inner list is a partition."""
        table_name = name or _fresh_name("batches")
        self.register_record_batches(table_name, partitions)
        return DataFrame(self, f"SELECT * FROM {quote_identifier(table_name)}")

    def empty_table(self) -> DataFrame:
        return DataFrame._materialized(self, pa.schema([]), [])

    # ------------------------------------------------------- settings
    def set(self, key: str, value: Any) -> None:
        """Set a session setting (``shoal.execution.threads``, ...)."""
        self._session.set_setting(key, _setting_text(value))

    def get(self, key: str) -> str:
        """Return a session setting as text."""
        return self._session.get_setting(key)

    def settings(self) -> Dict[str, str]:
        """Return every setting and its value."""
        return dict(self._session.settings())

    def interrupt(self) -> None:
        """Stop every query running in this session (thread-safe)."""
        self._session.interrupt()

    def __repr__(self) -> str:
        return f"SessionContext(tables={self.tables()!r})"
