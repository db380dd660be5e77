"""DataFrame: a lazy query. Verbs compose SQL text; nothing runs until the frame
is collected, iterated or exported through the Arrow stream interface."""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import pyarrow as pa

from .expr import Expr, SortExpr, quote_identifier, to_expr

if TYPE_CHECKING:  # pragma: no cover
    from .context import SessionContext

__all__ = ["DataFrame", "RecordBatchStream"]

_alias_counter = itertools.count()
_alias_lock = threading.Lock()


def _alias() -> str:
    with _alias_lock:
        return f'"__t{next(_alias_counter)}"'


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


class RecordBatchStream:
    """An iterator over the result batches (pyarrow RecordBatch) of a running query.
    Closing it (or leaving a ``with`` block) stops the query."""

    def __init__(self, result: Any, ctx: "SessionContext"):
        self._result = result
        self._ctx = ctx
        self._schema = pa.Schema._import_from_c_capsule(result.schema())

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    def next(self) -> Optional[pa.RecordBatch]:
        """Return the next batch, or None at the end."""
        if self._result is None:
            return None
        capsules = self._result.read_next()
        if capsules is None:
            self.close()
            return None
        return pa.RecordBatch._import_from_c_capsule(*capsules)

    def __iter__(self) -> "RecordBatchStream":
        return self

    def __next__(self) -> pa.RecordBatch:
        batch = self.next()
        if batch is None:
            raise StopIteration
        return batch

    def close(self) -> None:
        if self._result is not None:
            result, self._result = self._result, None
            result.close()

    def __enter__(self) -> "RecordBatchStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """Export the rest of the stream (Arrow PyCapsule interface)."""
        if self._result is None:
            raise ValueError("the stream was already consumed or closed")
        result, self._result = self._result, None
        return result.export_stream()


class DataFrame:
    """A query over a SessionContext. Immutable: every verb returns a new frame."""

    def __init__(self, ctx: "SessionContext", sql: Optional[str],
                 order_by: Optional[List[Tuple[str, str]]] = None):
        self._ctx = ctx
        self._sql = sql
        # The frame's ordering as (key expression, ORDER BY item) pairs over its own
        # output columns; verbs that keep those columns re-apply it on the outside.
        self._order = order_by or []
        self._schema: Optional[pa.Schema] = None
        self._batches: Optional[List[pa.RecordBatch]] = None  # materialized results

    @classmethod
    def _materialized(cls, ctx: "SessionContext", schema: pa.Schema,
                      batches: List[pa.RecordBatch]) -> "DataFrame":
        df = cls(ctx, None)
        df._schema = schema
        df._batches = batches
        return df

    # ------------------------------------------------------------ SQL text
    def _query(self) -> str:
        """Return this frame's SQL (registering materialized results on first use)."""
        if self._sql is None:
            from .context import _fresh_name
            name = _fresh_name("result")
            batches = self._batches or []
            self._ctx._session.register_record_batches(
                name, self._schema.__arrow_c_schema__(), [[b.__arrow_c_array__() for b in batches]])
            self._sql = f"SELECT * FROM {quote_identifier(name)}"
        return self._sql

    def _from(self) -> str:
        # The newline ends a trailing "-- comment" of the inner query.
        return f"({self._query()}\n) AS {_alias()}"

    def _order_clause(self) -> str:
        return f" ORDER BY {', '.join(item for _, item in self._order)}" if self._order else ""

    def _derive(self, sql: str, keep_order: bool = False) -> "DataFrame":
        return DataFrame(self._ctx, sql, self._order if keep_order else None)

    def sql(self) -> str:
        """Return the SQL text this frame runs."""
        return self._query()

    # ------------------------------------------------------------- verbs
    def select(self, *exprs: Union[Expr, str]) -> "DataFrame":
        """Select expressions: Expr objects, column names or SQL expression text."""
        if not exprs:
            raise ValueError("select() needs at least one expression")
        rendered = [to_expr(e) for e in exprs]
        items = ", ".join(e.select_sql() for e in rendered)
        # Keep the ordering when every sort key is a column passed through unchanged.
        passed = {e.sql() for e in rendered if e._alias is None}
        keep = bool(self._order) and all(k in passed for k, _ in self._order)
        order = self._order_clause() if keep else ""
        return self._derive(f"SELECT {items} FROM {self._from()}{order}", keep_order=keep)

    def select_columns(self, *names: str) -> "DataFrame":
        """Select columns by name (names are taken literally, case included)."""
        if not names:
            raise ValueError("select_columns() needs at least one column name")
        return self.select(*[Expr(quote_identifier(n)) for n in names])

    def filter(self, *predicates: Union[Expr, str]) -> "DataFrame":
        """Keep the rows where every predicate is true (Expr or SQL text)."""
        if not predicates:
            raise ValueError("filter() needs a predicate")
        cond = " AND ".join(f"({to_expr(p, strings_are_columns=False).sql()})"
                            if isinstance(p, Expr) else f"({p})" for p in predicates)
        return self._derive(f"SELECT * FROM {self._from()} WHERE {cond}{self._order_clause()}",
                            keep_order=True)

    where = filter

    def with_column(self, name: str, expr: Union[Expr, str]) -> "DataFrame":
        """Add a column, or replace the column of that name in place."""
        return self.with_columns(to_expr(expr, strings_are_columns=False)
                                 if not isinstance(expr, str) else Expr(expr), _names=[name])

    def with_columns(self, *exprs: Union[Expr, str], _names: Optional[List[str]] = None,
                     **named: Union[Expr, str]) -> "DataFrame":
        """Add or replace several columns: aliased Exprs or name=expression."""
        new: Dict[str, str] = {}
        for i, e in enumerate(exprs):
            if _names is not None:
                new[_names[i]] = (e.sql() if isinstance(e, Expr) else str(e))
            elif isinstance(e, Expr) and e._alias is not None:
                new[e._alias] = e.sql()
            else:
                raise ValueError("with_columns() needs aliased expressions (expr.alias('name'))")
        for k, e in named.items():
            new[k] = e.sql() if isinstance(e, Expr) else str(e)
        names = self.schema().names
        items = []
        for n in names:
            if n in new:
                items.append(f"{new.pop(n)} AS {quote_identifier(n)}")
            else:
                items.append(quote_identifier(n))
        items += [f"{e} AS {quote_identifier(n)}" for n, e in new.items()]
        return self._derive(f"SELECT {', '.join(items)} FROM {self._from()}{self._order_clause()}",
                            keep_order=True)

    def with_column_renamed(self, old_name: str, new_name: str) -> "DataFrame":
        """Rename a column; a no-op when there is no column ``old_name``."""
        names = self.schema().names
        if old_name not in names:
            return self
        items = [f"{quote_identifier(n)} AS {quote_identifier(new_name)}" if n == old_name
                 else quote_identifier(n) for n in names]
        keep = all(k != quote_identifier(old_name) for k, _ in self._order)
        order = self._order_clause() if keep else ""
        return self._derive(f"SELECT {', '.join(items)} FROM {self._from()}{order}", keep_order=keep)

    def drop(self, *names: str) -> "DataFrame":
        """Remove columns by name."""
        keep = [n for n in self.schema().names if n not in names]
        missing = [n for n in names if n not in self.schema().names]
        if missing:
            raise ValueError(f"drop(): no column named {missing[0]!r}")
        return self.select_columns(*keep)

    def aggregate(self, group_by: Union[Sequence[Union[Expr, str]], Expr, str, None],
                  aggs: Union[Sequence[Union[Expr, str]], Expr, str]) -> "DataFrame":
        """Group by ``group_by`` (may be empty) and compute ``aggs``."""
        groups = [to_expr(g) for g in _as_list(group_by)]
        agg_list = [to_expr(a, strings_are_columns=False) if isinstance(a, Expr) else Expr(a)
                    for a in _as_list(aggs)]
        items = [g.select_sql() for g in groups] + [a.select_sql() for a in agg_list]
        if not items:
            raise ValueError("aggregate() needs group keys or aggregates")
        sql = f"SELECT {', '.join(items)} FROM {self._from()}"
        if groups:
            sql += " GROUP BY " + ", ".join(g.sql() for g in groups)
        return self._derive(sql)

    def sort(self, *exprs: Union[SortExpr, Expr, str]) -> "DataFrame":
        """Sort by keys: ``col("a").sort(ascending=False)``, Exprs or column names."""
        if not exprs:
            return self
        keys = []
        for e in exprs:
            if isinstance(e, SortExpr):
                keys.append((e.expr.sql(), e.sql()))
            else:
                k = to_expr(e).sql()
                keys.append((k, f"{k} ASC"))
        items = ", ".join(item for _, item in keys)
        return DataFrame(self._ctx, f"SELECT * FROM {self._from()} ORDER BY {items}", keys)

    order_by = sort

    def limit(self, count: int, offset: int = 0) -> "DataFrame":
        """Keep at most ``count`` rows after skipping ``offset`` rows."""
        if count < 0 or offset < 0:
            raise ValueError("limit() takes non-negative numbers")
        sql = f"SELECT * FROM {self._from()}{self._order_clause()} LIMIT {int(count)}"
        if offset:
            sql += f" OFFSET {int(offset)}"
        return self._derive(sql, keep_order=True)

    def head(self, n: int = 5) -> "DataFrame":
        return self.limit(n)

    def join(self, right: "DataFrame", on: Union[str, Sequence[str], None] = None,
             how: str = "inner", left_on: Union[str, Sequence[str], None] = None,
             right_on: Union[str, Sequence[str], None] = None) -> "DataFrame":
        """Join with ``right``. ``on``: column names present on both sides (kept once,
        like SQL USING); or ``left_on``/``right_on`` lists. ``how``: inner, left,
        right, full, semi, anti or cross."""
        kinds = {"inner": "JOIN", "left": "LEFT JOIN", "right": "RIGHT JOIN",
                 "full": "FULL JOIN", "outer": "FULL JOIN", "semi": "LEFT SEMI JOIN",
                 "anti": "LEFT ANTI JOIN", "cross": "CROSS JOIN"}
        if how not in kinds:
            raise ValueError(f"unknown join type {how!r}; use one of {', '.join(kinds)}")
        la, ra = _alias(), _alias()
        base = (f"SELECT * FROM ({self._query()}\n) AS {la} {kinds[how]} "
                f"({right._query()}\n) AS {ra}")
        if how == "cross":
            if on or left_on or right_on:
                raise ValueError("a cross join takes no join keys")
            return self._derive(base)
        if on is not None:
            if left_on is not None or right_on is not None:
                raise ValueError("give either on or left_on/right_on, not both")
            cols = _as_list(on)
            return self._derive(f"{base} USING ({', '.join(quote_identifier(c) for c in cols)})")
        lk, rk = _as_list(left_on), _as_list(right_on)
        if not lk or len(lk) != len(rk):
            raise ValueError("join() needs on=, or left_on and right_on of the same length")
        cond = " AND ".join(f"{la}.{quote_identifier(l)} = {ra}.{quote_identifier(r)}"
                            for l, r in zip(lk, rk))
        return self._derive(f"{base} ON {cond}")

    def join_on(self, right: "DataFrame", *on_exprs: Union[Expr, str], how: str = "inner") -> "DataFrame":
        """Join on arbitrary SQL predicates over the columns of both sides."""
        kinds = {"inner": "JOIN", "left": "LEFT JOIN", "right": "RIGHT JOIN", "full": "FULL JOIN"}
        if how not in kinds:
            raise ValueError(f"unknown join type {how!r}")
        cond = " AND ".join(f"({e.sql() if isinstance(e, Expr) else e})" for e in on_exprs)
        return self._derive(f"SELECT * FROM ({self._query()}\n) AS {_alias()} {kinds[how]} "
                            f"({right._query()}\n) AS {_alias()} ON {cond}")

    def distinct(self) -> "DataFrame":
        return self._derive(f"SELECT DISTINCT * FROM {self._from()}")

    def union(self, other: "DataFrame", distinct: bool = False) -> "DataFrame":
        op = "UNION" if distinct else "UNION ALL"
        return self._derive(f"SELECT * FROM {self._from()} {op} SELECT * FROM {other._from()}")

    def union_distinct(self, other: "DataFrame") -> "DataFrame":
        return self.union(other, distinct=True)

    def intersect(self, other: "DataFrame") -> "DataFrame":
        return self._derive(f"SELECT * FROM {self._from()} INTERSECT SELECT * FROM {other._from()}")

    def except_all(self, other: "DataFrame") -> "DataFrame":
        return self._derive(f"SELECT * FROM {self._from()} EXCEPT SELECT * FROM {other._from()}")

    # ------------------------------------------------------------ running
    def _run(self):
        return self._ctx._session.sql(self._query())

    def schema(self) -> pa.Schema:
        """Return the result schema (the query is planned, not run)."""
        if self._schema is None:
            capsule = self._ctx._session.query_schema(self._query())
            self._schema = pa.Schema._import_from_c_capsule(capsule)
        return self._schema

    def execute_stream(self) -> RecordBatchStream:
        """Start the query and return an iterator over its batches."""
        if self._batches is not None:
            return _ListStream(self._schema, self._batches)  # type: ignore[return-value]
        return RecordBatchStream(self._run(), self._ctx)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return iter(self.execute_stream())

    def collect(self) -> List[pa.RecordBatch]:
        """Run the query and return its batches."""
        if self._batches is not None:
            return list(self._batches)
        with self.execute_stream() as stream:
            batches = list(stream)
            if self._schema is None:
                self._schema = stream.schema
        return batches

    def to_arrow_table(self) -> pa.Table:
        """Run the query and return a pyarrow Table."""
        if self._batches is not None:
            return pa.Table.from_batches(self._batches, schema=self._schema)
        with self.execute_stream() as stream:
            return pa.Table.from_batches(list(stream), schema=stream.schema)

    def to_pandas(self) -> Any:
        return self.to_arrow_table().to_pandas()

    def to_polars(self) -> Any:
        import polars as pl
        return pl.from_arrow(self.to_arrow_table())

    def to_pylist(self) -> List[Dict[str, Any]]:
        return self.to_arrow_table().to_pylist()

    def to_pydict(self) -> Dict[str, List[Any]]:
        return self.to_arrow_table().to_pydict()

    def count(self) -> int:
        """Return the number of rows."""
        if self._batches is not None:
            return sum(b.num_rows for b in self._batches)
        result = self._ctx._session.sql(f"SELECT count(*) AS n FROM {self._from()}")
        stream = RecordBatchStream(result, self._ctx)
        with stream:
            for batch in stream:
                if batch.num_rows:
                    return int(batch.column(0)[0].as_py())
        return 0

    def cache(self) -> "DataFrame":
        """Run the query once and return a frame over the in-memory result."""
        return DataFrame._materialized(self._ctx, self.schema(), self.collect())

    def explain(self, verbose: bool = False, analyze: bool = False) -> None:
        """Print the query plan (EXPLAIN [ANALYZE] [VERBOSE])."""
        words = "EXPLAIN" + (" ANALYZE" if analyze else "") + (" VERBOSE" if verbose else "")
        result = self._ctx._session.sql(f"{words} {self._query()}")
        with RecordBatchStream(result, self._ctx) as stream:
            table = pa.Table.from_batches(list(stream), schema=stream.schema)
        columns = table.column_names
        for row in table.to_pylist():
            if "plan_type" in columns and "plan" in columns:
                print(f"{row['plan_type']}:")
                print(row["plan"])
            else:
                print(" | ".join(str(v) for v in row.values()))

    def show(self, num: int = 20) -> None:
        """Print the first ``num`` rows."""
        table = self.limit(num + 1).to_arrow_table()
        more = table.num_rows > num
        print(_format_table(table.slice(0, num), more))

    def __repr__(self) -> str:
        try:
            table = self.limit(11).to_arrow_table() if self._batches is None else \
                self.to_arrow_table().slice(0, 11)
        except Exception as e:  # a preview must not raise
            return f"DataFrame(error: {e})"
        return "DataFrame()\n" + _format_table(table.slice(0, 10), table.num_rows > 10)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """Export the streaming result (Arrow PyCapsule interface): batches flow from
        the executor to the consumer without copies. ``requested_schema`` is ignored
        (the result is returned with its own schema, as the protocol allows)."""
        if self._batches is not None:
            return self.to_arrow_table().__arrow_c_stream__(requested_schema)
        return self._run().export_stream()

    # ------------------------------------------------------------ writing
    def write_parquet(self, path: str, **kwargs: Any) -> None:
        import pyarrow.parquet as pq
        with self.execute_stream() as stream:
            with pq.ParquetWriter(path, stream.schema, **kwargs) as writer:
                for batch in stream:
                    writer.write_batch(batch)

    def write_csv(self, path: str, with_header: bool = True) -> None:
        import pyarrow.csv as pcsv
        with self.execute_stream() as stream:
            options = pcsv.WriteOptions(include_header=with_header)
            with pcsv.CSVWriter(path, stream.schema, write_options=options) as writer:
                for batch in stream:
                    writer.write_batch(batch)

    def into_view(self) -> "DataFrame":
        return self


class _ListStream(RecordBatchStream):
    """A stream over batches that are already in memory."""

    def __init__(self, schema: pa.Schema, batches: List[pa.RecordBatch]):  # noqa: D401
        self._schema = schema
        self._iter = iter(list(batches))
        self._result = None

    def next(self) -> Optional[pa.RecordBatch]:
        return next(self._iter, None)

    def close(self) -> None:
        self._iter = iter(())

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return pa.RecordBatchReader.from_batches(self._schema, list(self._iter)).__arrow_c_stream__()


def _format_table(table: pa.Table, more: bool) -> str:
    """Render a small table as text with a box of ASCII characters."""
    names = table.column_names
    rows = [["NULL" if v is None else str(v) for v in row.values()] for row in table.to_pylist()]
    numeric = [pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
               for t in table.schema.types]
    widths = [max([len(n)] + [min(len(r[i]), 40) for r in rows]) for i, n in enumerate(names)]

    def cell(text: str, i: int) -> str:
        if len(text) > 40:
            text = text[:39] + "…"
        return text.rjust(widths[i]) if numeric[i] else text.ljust(widths[i])

    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(n.ljust(widths[i]) for i, n in enumerate(names)) + " |", line]
    for r in rows:
        out.append("| " + " | ".join(cell(v, i) for i, v in enumerate(r)) + " |")
    out.append(line)
    if more:
        out.append(f"(showing the first {len(rows)} rows)")
    return "\n".join(out)
