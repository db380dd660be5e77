"""SessionContext: the entry point of the Python API (mirrors datafusion-python)."""

from __future__ import annotations

import itertools
import os
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


def _hive_root(path: str, part_fields: List[Any]) -> Optional[str]:
    """Return the directory above the ``name=value`` segments of ``path`` (one per
    partition field, in order), or None when the path does not have them."""
    segments = path.split(os.sep)
    n = len(part_fields)
    dirs = segments[-1 - n:-1]
    if len(dirs) != n or any(not d.startswith(f.name + "=") for d, f in zip(dirs, part_fields)):
        return None
    return os.sep.join(segments[:-1 - n]) or os.sep


def _listed_files(root: str, ext: str) -> List[str]:
    """List the files Shoal's reader would read under ``root``: recursively, names
    ending in ``ext``, skipping hidden (".x") and "_x" files and directories."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
        out += [os.path.join(dirpath, f) for f in filenames
                if not f.startswith((".", "_")) and f.endswith(ext)]
    return out


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

    def register_record_batches(self, name: str, partitions: Sequence[Sequence[Any]],
                                schema: Any = None) -> None:
        """Register in-memory batches; each inner list is one partition. ``schema`` is
        needed only when there are no batches (else it must match them)."""
        partitions = [list(part) for part in partitions]
        parts = [[_batch_capsules(b) for b in part] for part in partitions]
        if schema is None:
            for part in partitions:
                for b in part:
                    schema = getattr(b, "schema", None)
                    break
                if schema is not None:
                    break
        if schema is None and not any(parts):
            raise ValueError("no record batches given: pass a schema for an empty table")
        self._session.register_record_batches(name, _schema_capsule(schema), parts)

    def register_batch(self, name: str, batch: Any) -> None:
        """Register one record batch as table ``name``."""
        self.register_record_batches(name, [[batch]])

    def register_listing_table(self, name: str, path: str,
                               table_partition_cols: Optional[Sequence[Tuple[str, Any]]] = None,
                               file_extension: str = ".parquet", schema: Any = None) -> None:
        """Register the files under ``path`` whose names end with ``file_extension``;
        the format follows the extension (.parquet, .csv, .json, .arrow)."""
        ext = file_extension.lower()
        if ext.endswith((".csv", ".csv.gz", ".tsv")):
            self.register_csv(name, path, schema=schema, file_extension=file_extension,
                              delimiter="\t" if ext.endswith(".tsv") else ",",
                              table_partition_cols=table_partition_cols)
        elif ext.endswith((".json", ".ndjson", ".jsonl", ".json.gz")):
            self.register_json(name, path, schema=schema, file_extension=file_extension,
                               table_partition_cols=table_partition_cols)
        elif ext.endswith((".arrow", ".feather", ".ipc")):
            if schema is not None:
                raise ValueError("an explicit schema is not supported for Arrow IPC files")
            self.register_ipc(name, path, file_extension=file_extension,
                              table_partition_cols=table_partition_cols)
        else:
            self.register_parquet(name, path, table_partition_cols=table_partition_cols,
                                  file_extension=file_extension, schema=schema)

    def register_dataset(self, name: str, dataset: Any) -> None:
        """Register a ``pyarrow.dataset.Dataset`` as table ``name``.

        A dataset of local Parquet files (one file, or every Parquet file of a
        directory, hive-partitioned or not) is read by Shoal's own Parquet reader:
        scans are parallel, prune row groups and see later changes to the files.
        Any other dataset is scanned once now (``dataset.scanner()``) into memory."""
        import pyarrow.dataset as ds
        if not isinstance(dataset, ds.Dataset):
            raise TypeError(f"register_dataset expects a pyarrow.dataset.Dataset, "
                            f"got {type(dataset).__name__}")
        if self._register_parquet_dataset(name, dataset):
            return
        reader = dataset.scanner().to_reader()
        self._session.register_stream(name, reader.__arrow_c_stream__(), True)

    def _register_parquet_dataset(self, name: str, dataset: Any) -> bool:
        """Register ``dataset`` through Shoal's Parquet reader when its files are
        exactly one file or the Parquet files of one directory; return False (and
        register nothing) otherwise."""
        import pyarrow.dataset as ds
        if not isinstance(dataset, ds.FileSystemDataset) or \
                not isinstance(dataset.format, ds.ParquetFileFormat) or \
                getattr(dataset.filesystem, "type_name", "") != "local":
            return False
        files = [os.path.abspath(f) for f in dataset.files]
        if not files:
            return False
        partitioning = getattr(dataset, "partitioning", None)
        part_fields = list(partitioning.schema) if partitioning is not None else []
        if part_fields and type(partitioning).__name__ != "HivePartitioning":
            return False
        part_names = {f.name for f in part_fields}
        file_schema = pa.schema([f for f in dataset.schema if f.name not in part_names])
        if not all(f.endswith(".parquet") for f in files):
            return False
        if len(files) == 1 and not part_fields:
            location = files[0]
        else:
            if part_fields:
                roots = {_hive_root(f, part_fields) for f in files}
                if len(roots) != 1 or None in roots:
                    return False
                location = roots.pop()
            else:
                location = os.path.commonpath(files)
            if not os.path.isdir(location) or \
                    sorted(_listed_files(location, ".parquet")) != sorted(files):
                return False
        hidden = _fresh_name("dataset")
        try:
            self.register_parquet(hidden, location,
                                  table_partition_cols=[(f.name, f.type) for f in part_fields],
                                  schema=file_schema)
        except _shoal.ShoalError:  # e.g. a partition type Shoal does not take
            return False
        got = pa.Schema._import_from_c_capsule(self._session.table_schema(hidden))
        # Shoal discovers hive directories the dataset may not use as partitions:
        # a view keeps exactly the dataset's columns.
        if not all(n in got.names and got.field(n).type == dataset.schema.field(n).type
                   for n in dataset.schema.names):
            self.deregister_table(hidden)
            return False
        cols = ", ".join(quote_identifier(n) for n in dataset.schema.names)
        if self.table_exist(name):
            self.deregister_table(name)
        self._session.sql(f"CREATE VIEW {quote_identifier(name)} AS SELECT {cols} "
                          f"FROM {quote_identifier(hidden)}").close()
        return True

    def register_table(self, name: str, table: Any) -> None:
        """Register ``table`` under ``name``: a Shoal DataFrame (as a view), a pyarrow
        Table or RecordBatch, a pyarrow dataset, a RecordBatchReader (one-shot), or
        any object with ``__arrow_c_stream__`` / ``__arrow_c_array__`` (polars,
        pandas, DuckDB results, ...), whose data is read once into memory."""
        if isinstance(table, DataFrame):
            self.register_view(name, table)
            return
        if hasattr(table, "table_uri") and callable(getattr(table, "version", None)):
            # A Delta table object (deltalake.DeltaTable, shoal.DeltaTable): read natively.
            self.register_delta(name, table.table_uri, version=table.version())
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
                self.register_dataset(name, table)
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

    def register_delta(self, name: str, path: Any, version: Optional[int] = None,
                       timestamp: Any = None, storage_options: Optional[Dict[str, str]] = None,
                       file_column_name: Optional[str] = None) -> None:
        """Register the Delta table at ``path`` (latest version, or ``version`` /
        ``timestamp``) as ``name``; see :func:`shoal.delta.register_delta`."""
        from .delta import register_delta
        register_delta(self, name, path, version=version, timestamp=timestamp,
                       storage_options=storage_options, file_column_name=file_column_name)

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
        """Return a DataFrame over the table or view ``name`` (NotFoundError, naming
        close matches, when there is none)."""
        self._session.table_schema(name)  # raises with the engine's message
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

    def create_dataframe(self, partitions: Sequence[Sequence[Any]], name: Optional[str] = None,
                         schema: Any = None) -> DataFrame:
        """Return a DataFrame over record batches; each inner list is a partition.
        ``schema`` is required when there are no batches."""
        table_name = name or _fresh_name("batches")
        self.register_record_batches(table_name, partitions, schema=schema)
        return DataFrame(self, f"SELECT * FROM {quote_identifier(table_name)}")

    def read_batch(self, batch: Any) -> DataFrame:
        """Return a DataFrame over one record batch."""
        return self.create_dataframe([[batch]])

    def read_batches(self, batches: Iterable[Any]) -> DataFrame:
        """Return a DataFrame over record batches (one partition)."""
        return self.create_dataframe([list(batches)])

    def read_table(self, table: Any) -> DataFrame:
        """Return a DataFrame over anything ``register_table`` accepts (a DataFrame,
        a pyarrow Table or dataset, an Arrow stream, ...)."""
        if isinstance(table, DataFrame):
            return table
        table_name = _fresh_name("table")
        self.register_table(table_name, table)
        return DataFrame(self, f"SELECT * FROM {quote_identifier(table_name)}")

    def read_dataset(self, dataset: Any) -> DataFrame:
        """Return a DataFrame over a ``pyarrow.dataset.Dataset`` (see register_dataset)."""
        table_name = _fresh_name("dataset")
        self.register_dataset(table_name, dataset)
        return DataFrame(self, f"SELECT * FROM {quote_identifier(table_name)}")

    def _read(self, register: Any, path: Any, kind: str, **kwargs: Any) -> DataFrame:
        paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
        if not paths:
            raise ValueError(f"read_{kind}() needs at least one path")
        frames = []
        for p in paths:
            table_name = _fresh_name(kind)
            register(table_name, str(p), **kwargs)
            frames.append(DataFrame(self, f"SELECT * FROM {quote_identifier(table_name)}"))
        df = frames[0]
        for other in frames[1:]:
            df = df.union(other)
        return df

    def read_parquet(self, path: Any,
                     table_partition_cols: Optional[Sequence[Tuple[str, Any]]] = None,
                     parquet_pruning: bool = True, file_extension: str = ".parquet",
                     skip_metadata: bool = True, schema: Any = None) -> DataFrame:
        """Return a DataFrame over Parquet files (a file, directory or glob; or a list).
        ``skip_metadata`` is accepted for compatibility (Shoal never exposes it)."""
        return self._read(self.register_parquet, path, "parquet",
                          table_partition_cols=table_partition_cols, pruning=parquet_pruning,
                          file_extension=file_extension, schema=schema)

    def read_csv(self, path: Any, schema: Any = None, has_header: bool = True,
                 delimiter: str = ",", schema_infer_max_records: int = 1000,
                 file_extension: str = ".csv",
                 table_partition_cols: Optional[Sequence[Tuple[str, Any]]] = None) -> DataFrame:
        """Return a DataFrame over CSV files (a path or a list of paths).
        ``schema_infer_max_records`` is accepted for compatibility (Shoal infers the
        schema from the start of the first file)."""
        return self._read(self.register_csv, path, "csv", schema=schema, has_header=has_header,
                          delimiter=delimiter, file_extension=file_extension,
                          table_partition_cols=table_partition_cols)

    def read_json(self, path: Any, schema: Any = None, schema_infer_max_records: int = 1000,
                  file_extension: str = ".json",
                  table_partition_cols: Optional[Sequence[Tuple[str, Any]]] = None) -> DataFrame:
        """Return a DataFrame over newline-delimited JSON files.
        ``schema_infer_max_records`` is accepted for compatibility."""
        return self._read(self.register_json, path, "json", schema=schema,
                          file_extension=file_extension, table_partition_cols=table_partition_cols)

    def read_arrow(self, path: Any, file_extension: str = ".arrow",
                   file_partition_cols: Optional[Sequence[Tuple[str, Any]]] = None) -> DataFrame:
        """Return a DataFrame over Arrow IPC (Feather v2) files."""
        return self._read(self.register_ipc, path, "arrow", file_extension=file_extension,
                          table_partition_cols=file_partition_cols)

    read_ipc = read_arrow

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
