"""DataFrame: a lazy query. Verbs compose SQL text; nothing runs until the frame
is collected, iterated or exported through the Arrow stream interface."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import threading
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Tuple, Union)

import pyarrow as pa

from ._display import format_html, format_table
from .expr import Expr, SortExpr, _sql_type, lit, quote_identifier, quote_string, to_expr

if TYPE_CHECKING:  # pragma: no cover
    from .context import SessionContext

__all__ = ["DataFrame", "RecordBatchStream"]

_alias_counter = itertools.count()
_alias_lock = threading.Lock()


def _alias() -> str:
    with _alias_lock:
        return f'"__t{next(_alias_counter)}"'


_TRAILING_ALIAS = re.compile(r'^(.*\S)\s+AS\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)\s*$',
                             re.IGNORECASE | re.DOTALL)


def _strip_alias(item: str) -> str:
    """Return a select item without its trailing ``AS name``."""
    m = _TRAILING_ALIAS.match(item)
    return m.group(1) if m else item


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

    def __aiter__(self) -> "RecordBatchStream":
        return self

    async def __anext__(self) -> pa.RecordBatch:
        """Return the next batch, waiting for it on a worker thread (the event loop
        keeps running)."""
        batch = await asyncio.get_running_loop().run_in_executor(None, self.next)
        if batch is None:
            raise StopAsyncIteration
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

    def with_columns(self, *exprs: Union[Expr, str, Iterable[Union[Expr, str]]],
                     _names: Optional[List[str]] = None,
                     **named: Union[Expr, str]) -> "DataFrame":
        """Add or replace several columns. ``exprs``: Exprs, SQL expression strings
        (``"x + 1 AS y"``) or iterables of them; ``named``: ``name=expr``. A column
        keeps its position when replaced; new columns go last, in order."""
        flat: List[Union[Expr, str]] = []
        for e in exprs:
            if isinstance(e, (Expr, str)):
                flat.append(e)
            else:
                flat.extend(e)
        pairs: List[Tuple[Optional[str], str]] = []  # (name or None, SQL) in order
        for i, e in enumerate(flat):
            if _names is not None:
                pairs.append((_names[i], e.sql() if isinstance(e, Expr) else str(e)))
            elif isinstance(e, Expr) and e._alias is not None:
                pairs.append((e._alias, e.sql()))
            else:
                pairs.append((None, e.select_sql() if isinstance(e, Expr) else str(e)))
        unnamed = [item for n, item in pairs if n is None]
        if unnamed:
            # Let the engine name them (a trailing "AS name", or the expression's name).
            sql = f"SELECT {', '.join(unnamed)} FROM {self._from()}"
            out_names = iter(pa.Schema._import_from_c_capsule(
                self._ctx._session.query_schema(sql)).names)
            pairs = [(n, item) if n is not None else (next(out_names), f"({_strip_alias(item)})")
                     for n, item in pairs]
        new: Dict[str, str] = {}
        for n, item in pairs:
            new[n] = item  # type: ignore[index]
        for k, e in named.items():
            new[k] = e.sql() if isinstance(e, Expr) else str(e)
        names = self.schema().names
        items = []
        replaced = set()
        for n in names:
            if n in new:
                items.append(f"{new.pop(n)} AS {quote_identifier(n)}")
                replaced.add(quote_identifier(n))
            else:
                items.append(quote_identifier(n))
        items += [f"{e} AS {quote_identifier(n)}" for n, e in new.items()]
        keep = all(k not in replaced for k, _ in self._order)
        order = self._order_clause() if keep else ""
        return self._derive(f"SELECT {', '.join(items)} FROM {self._from()}{order}", keep_order=keep)

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
        """Return the first ``n`` rows."""
        return self.limit(n)

    def tail(self, n: int = 5) -> "DataFrame":
        """Return the last ``n`` rows. Counts the rows first (runs the query once);
        without a sort the order of the rows is the engine's."""
        if n < 0:
            raise ValueError("tail() takes a non-negative number")
        return self.limit(n, offset=max(0, self.count() - n))

    def join(self, right: "DataFrame", on: Union[str, Sequence[str], Tuple[List[str], List[str]], None] = None,
             how: str = "inner", left_on: Union[str, Sequence[str], None] = None,
             right_on: Union[str, Sequence[str], None] = None,
             join_keys: Optional[Tuple[List[str], List[str]]] = None,
             coalesce_duplicate_keys: bool = True) -> "DataFrame":
        """Join with ``right``. ``on``: column names present on both sides (kept once,
        like SQL USING), or a (left keys, right keys) tuple; or ``left_on``/``right_on``
        (also as ``join_keys``). ``how``: inner, left, right, full, semi, anti or
        cross. ``coalesce_duplicate_keys=False`` keeps both copies of ``on`` keys."""
        if join_keys is not None:
            if on is not None or left_on is not None or right_on is not None:
                raise ValueError("give join_keys alone, without on/left_on/right_on")
            left_on, right_on = join_keys
        if isinstance(on, tuple) and len(on) == 2 and all(isinstance(k, list) for k in on):
            if left_on is not None or right_on is not None:
                raise ValueError("give either on or left_on/right_on, not both")
            (left_on, right_on), on = on, None
        if on is not None and not coalesce_duplicate_keys:
            left_on = right_on = on
            on = None
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
        """Join on arbitrary predicates (Exprs or SQL text) over the columns of both
        sides. ``how``: inner, left, right, full, semi or anti."""
        kinds = {"inner": "JOIN", "left": "LEFT JOIN", "right": "RIGHT JOIN", "full": "FULL JOIN",
                 "outer": "FULL JOIN", "semi": "LEFT SEMI JOIN", "anti": "LEFT ANTI JOIN"}
        if how not in kinds:
            raise ValueError(f"unknown join type {how!r}; use one of {', '.join(kinds)}")
        if not on_exprs:
            raise ValueError("join_on() needs at least one predicate")
        cond = " AND ".join(f"({e.sql() if isinstance(e, Expr) else e})" for e in on_exprs)
        return self._derive(f"SELECT * FROM ({self._query()}\n) AS {_alias()} {kinds[how]} "
                            f"({right._query()}\n) AS {_alias()} ON {cond}")

    def distinct(self) -> "DataFrame":
        """Remove duplicate rows."""
        return self._derive(f"SELECT DISTINCT * FROM {self._from()}")

    def _set_op(self, op: str, other: "DataFrame") -> "DataFrame":
        return self._derive(f"SELECT * FROM {self._from()} {op} SELECT * FROM {other._from()}")

    def union(self, other: "DataFrame", distinct: bool = False) -> "DataFrame":
        """Append the rows of ``other`` (same columns, by position)."""
        return self._set_op("UNION" if distinct else "UNION ALL", other)

    def union_distinct(self, other: "DataFrame") -> "DataFrame":
        """Union without duplicate rows."""
        return self.union(other, distinct=True)

    def union_by_name(self, other: "DataFrame", distinct: bool = False) -> "DataFrame":
        """Union matching columns by name; a column missing on one side is NULL there."""
        left, right = self.schema(), other.schema()
        names = left.names + [n for n in right.names if n not in left.names]

        def side(df: "DataFrame", schema: pa.Schema, typed_by: pa.Schema) -> str:
            items = []
            for n in names:
                if n in schema.names:
                    items.append(quote_identifier(n))
                else:
                    try:
                        null = f"CAST(NULL AS {_sql_type(typed_by.field(n).type)})"
                    except TypeError:
                        null = "NULL"
                    items.append(f"{null} AS {quote_identifier(n)}")
            return f"SELECT {', '.join(items)} FROM {df._from()}"

        op = "UNION" if distinct else "UNION ALL"
        return self._derive(f"{side(self, left, right)} {op} {side(other, right, left)}")

    def intersect(self, other: "DataFrame", distinct: bool = False) -> "DataFrame":
        """Keep the rows also in ``other`` (as often as in both; once with ``distinct``)."""
        return self._set_op("INTERSECT" if distinct else "INTERSECT ALL", other)

    def except_all(self, other: "DataFrame", distinct: bool = False) -> "DataFrame":
        """Remove the rows of ``other`` (one occurrence each; all and deduplicated
        with ``distinct``)."""
        return self._set_op("EXCEPT" if distinct else "EXCEPT ALL", other)

    def transform(self, func: Callable[..., "DataFrame"], *args: Any) -> "DataFrame":
        """Return ``func(self, *args)`` (for chaining user functions)."""
        return func(self, *args)

    def select_exprs(self, *exprs: str) -> "DataFrame":
        """Select SQL expression strings (``"a + 1 AS b"``)."""
        return self.select(*[Expr(e) for e in exprs])

    def sort_by(self, *exprs: Union[Expr, str]) -> "DataFrame":
        """Sort ascending by expressions or column names."""
        return self.sort(*exprs)

    def column(self, name: str) -> Expr:
        """Return an expression referring to column ``name`` of this frame."""
        if name not in self.schema().names:
            raise ValueError(f"no column named {name!r}; columns: {', '.join(self.schema().names)}")
        return Expr(quote_identifier(name))

    col = column

    def cast(self, mapping: Dict[str, Any]) -> "DataFrame":
        """Cast columns: ``{"a": pa.float64(), "b": "VARCHAR"}``."""
        names = self.schema().names
        for n in mapping:
            if n not in names:
                raise ValueError(f"cast(): no column named {n!r}")
        return self.with_columns(**{n: f"CAST({quote_identifier(n)} AS {_sql_type(t)})"
                                    for n, t in mapping.items()})

    def fill_null(self, value: Any, subset: Optional[Sequence[str]] = None) -> "DataFrame":
        """Replace NULLs by ``value`` in the columns of ``subset`` (default: every
        column whose type fits the value; others are left unchanged)."""
        schema = self.schema()
        if subset is not None:
            for n in subset:
                if n not in schema.names:
                    raise ValueError(f"fill_null(): no column named {n!r}")
        fits = {n: _value_fits(value, schema.field(n).type) for n in schema.names}
        targets = [n for n in (subset if subset is not None else schema.names) if fits[n]]
        if not targets:
            return self
        return self.with_columns(**{n: f"coalesce({quote_identifier(n)}, {lit(value).sql()})"
                                    for n in targets})

    def describe(self) -> "DataFrame":
        """Return summary statistics (count, null_count, mean, std, min, max, median)
        as rows, one column per input column: numbers as float64 (mean, std and median
        only for numeric columns), other columns' count/min/max as strings. Runs the
        query once, now."""
        schema = self.schema()
        stats = ["count", "null_count", "mean", "std", "min", "max", "median"]
        items = []
        for i, field in enumerate(schema):
            c = quote_identifier(field.name)
            numeric = _is_numeric(field.type)
            orderable = numeric or _is_orderable(field.type)
            exprs = {"count": f"count({c})", "null_count": f"count(*) - count({c})"}
            if numeric:
                exprs.update(mean=f"avg(CAST({c} AS DOUBLE))", std=f"stddev(CAST({c} AS DOUBLE))",
                             median=f"median(CAST({c} AS DOUBLE))",
                             min=f"CAST(min({c}) AS DOUBLE)", max=f"CAST(max({c}) AS DOUBLE)")
            elif orderable:
                exprs.update(min=f"CAST(min({c}) AS VARCHAR)", max=f"CAST(max({c}) AS VARCHAR)")
            for k, e in exprs.items():
                items.append(f"{e} AS {quote_identifier(f'{k}_{i}')}")
        one = self._ctx._session.sql(f"SELECT {', '.join(items)} FROM {self._from()}")
        with RecordBatchStream(one, self._ctx) as stream:
            row = pa.Table.from_batches(list(stream), schema=stream.schema).to_pylist()[0]
        columns: Dict[str, pa.Array] = {"describe": pa.array(stats, pa.string())}
        for i, field in enumerate(schema):
            numeric = _is_numeric(field.type)
            values = [row.get(f"{k}_{i}") for k in stats]
            if numeric:
                columns[field.name] = pa.array([None if v is None else float(v) for v in values],
                                               pa.float64())
            else:
                columns[field.name] = pa.array([None if v is None else str(v) for v in values],
                                               pa.string())
        return self._ctx.from_arrow(pa.table(columns))

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

    def execute_stream_partitioned(self) -> List[RecordBatchStream]:
        """Start the query and return its streams: one stream (Shoal merges the
        work of its threads into one result stream)."""
        return [self.execute_stream()]

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return iter(self.execute_stream())

    def __aiter__(self) -> "RecordBatchStream":
        """``async for batch in df``: batches are read on a worker thread."""
        return self.execute_stream()

    def collect(self) -> List[pa.RecordBatch]:
        """Run the query and return its batches."""
        if self._batches is not None:
            return list(self._batches)
        with self.execute_stream() as stream:
            batches = list(stream)
            if self._schema is None:
                self._schema = stream.schema
        return batches

    def collect_partitioned(self) -> List[List[pa.RecordBatch]]:
        """Run the query and return its batches as one partition."""
        return [self.collect()]

    def collect_column(self, name: str) -> pa.ChunkedArray:
        """Run the query for column ``name`` only and return its values."""
        if name not in self.schema().names:
            raise ValueError(f"no column named {name!r}; columns: {', '.join(self.schema().names)}")
        return self.select_columns(name).to_arrow_table().column(0)

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
        """Run the query once and return a frame over the in-memory result (registered
        as a memory table when used in a later query)."""
        return DataFrame._materialized(self._ctx, self.schema(), self.collect())

    def explain(self, verbose: bool = False, analyze: bool = False) -> None:
        """Print the query plan (EXPLAIN [ANALYZE] [VERBOSE]): each plan under its
        type, whole."""
        words = "EXPLAIN" + (" ANALYZE" if analyze else "") + (" VERBOSE" if verbose else "")
        result = self._ctx._session.sql(f"{words} {self._query()}")
        with RecordBatchStream(result, self._ctx) as stream:
            table = pa.Table.from_batches(list(stream), schema=stream.schema)
        columns = table.column_names
        parts = []
        for row in table.to_pylist():
            if "plan_type" in columns and "plan" in columns:
                parts.append(f"{row['plan_type']}:\n{(row['plan'] or '').rstrip()}")
            else:
                parts.append(" | ".join(str(v) for v in row.values()))
        print("\n\n".join(parts))

    def _preview(self, rows: int) -> Tuple[pa.Table, bool]:
        """Return the first ``rows`` rows and whether there are more."""
        if self._batches is not None:
            table = pa.Table.from_batches(self._batches, schema=self._schema)
        else:
            table = self.limit(rows + 1).to_arrow_table()
        return table.slice(0, rows), table.num_rows > rows

    def show(self, num: int = 20) -> None:
        """Print the first ``num`` rows as a table (values cut at 60 characters;
        values with line breaks span several lines)."""
        table, more = self._preview(num)
        print(format_table(table, more, max_cell_width=60))

    def __repr__(self) -> str:
        """Return a short preview: at most 10 rows and about 100 characters wide.
        Runs the query (with a limit)."""
        try:
            table, more = self._preview(10)
        except Exception as e:  # a preview must not raise
            return f"DataFrame(error: {e})"
        return "DataFrame()\n" + format_table(table, more, max_cell_width=30, max_width=100,
                                               multiline=False)

    def _repr_html_(self) -> str:
        try:
            table, more = self._preview(10)
        except Exception as e:  # a preview must not raise
            import html
            return f"<pre>DataFrame(error: {html.escape(str(e))})</pre>"
        return format_html(table, more)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """Export the streaming result (Arrow PyCapsule interface): batches flow from
        the executor to the consumer without copies. ``requested_schema`` is ignored
        (the result is returned with its own schema, as the protocol allows)."""
        if self._batches is not None:
            return self.to_arrow_table().__arrow_c_stream__(requested_schema)
        return self._run().export_stream()

    # ------------------------------------------------------------ writing
    def _copy(self, path: Any, stored_as: str, options: Dict[str, Any]) -> None:
        """Write the result with the engine's COPY ... TO statement."""
        opts = ", ".join(f"{quote_string(k)} {quote_string(str(v))}" for k, v in options.items()
                         if v is not None)
        sql = (f"COPY ({self._query()}\n) TO {quote_string(os.fspath(path))} STORED AS {stored_as}"
               + (f" OPTIONS ({opts})" if opts else ""))
        result = self._ctx._session.sql(sql)
        try:
            while result.read_next() is not None:
                pass
        finally:
            result.close()

    def write_parquet(self, path: Any, compression: Any = "zstd",
                      compression_level: Optional[int] = None) -> None:
        """Write the result as Parquet to ``path`` (a file, or a directory when the
        path ends with "/"). ``compression``: zstd (default), snappy, gzip, brotli,
        lz4, uncompressed."""
        codec = getattr(compression, "value", compression)
        self._copy(path, "PARQUET", {"compression": codec, "compression_level": compression_level})

    def write_csv(self, path: Any, with_header: bool = False) -> None:
        """Write the result as CSV to ``path`` (a header line only with
        ``with_header``, as in DataFusion)."""
        self._copy(path, "CSV", {"has_header": "true" if with_header else "false"})

    def write_json(self, path: Any) -> None:
        """Write the result as newline-delimited JSON to ``path``."""
        self._copy(path, "JSON", {})

    def write_table(self, table_name: str) -> None:
        """Append the result to the existing table ``table_name`` (INSERT INTO)."""
        result = self._ctx._session.sql(
            f"INSERT INTO {quote_identifier(table_name)} SELECT * FROM {self._from()}")
        try:
            while result.read_next() is not None:
                pass
        finally:
            result.close()

    def into_view(self) -> "DataFrame":
        """Return this frame (``register_table(name, df)`` registers it as a view)."""
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


def _is_numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _is_orderable(t: pa.DataType) -> bool:
    return (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
            or pa.types.is_temporal(t) or pa.types.is_boolean(t))


def _value_fits(value: Any, t: pa.DataType) -> bool:
    """Return True when a fill value of ``value``'s Python type suits columns of type ``t``."""
    import datetime
    if isinstance(value, bool):
        return pa.types.is_boolean(t)
    if isinstance(value, (int, float)):
        return _is_numeric(t)
    if isinstance(value, str):
        return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
    if isinstance(value, datetime.datetime):
        return pa.types.is_timestamp(t)
    if isinstance(value, datetime.date):
        return pa.types.is_date(t)
    return False
