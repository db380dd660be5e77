"""Expressions for the DataFrame API. An Expr renders to SQL text; DataFrame
verbs compose that text into queries the engine parses like any other SQL."""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any, Optional, Union

__all__ = ["Expr", "SortExpr", "col", "column", "lit", "literal", "quote_identifier", "to_expr"]


def quote_identifier(name: str) -> str:
    """Return ``name`` as a quoted SQL identifier ("a""b" for a"b)."""
    return '"' + str(name).replace('"', '""') + '"'


def quote_string(value: str) -> str:
    """Return ``value`` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _is_identifier_path(text: str) -> bool:
    parts = text.split(".")
    return all(p and (p[0].isalpha() or p[0] == "_") and all(c.isalnum() or c == "_" for c in p)
               for p in parts)


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "CAST('NaN' AS DOUBLE)"
        if math.isinf(value):
            return "CAST('" + ("inf" if value > 0 else "-inf") + "' AS DOUBLE)"
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return f"CAST('{value}' AS DECIMAL(38, {max(0, -value.as_tuple().exponent)}))"
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, datetime.datetime):
        return "TIMESTAMP " + quote_string(value.isoformat(sep=" "))
    if isinstance(value, datetime.date):
        return "DATE " + quote_string(value.isoformat())
    if isinstance(value, bytes):
        return "X" + quote_string(value.hex())
    raise TypeError(f"cannot use {type(value).__name__} value {value!r} as a SQL literal")


class Expr:
    """A SQL expression. Build with :func:`col`, :func:`lit` and the functions in
    :mod:`shoal.functions`; combine with Python operators."""

    __slots__ = ("_sql", "_alias")

    def __init__(self, sql: str, alias: Optional[str] = None):
        self._sql = sql
        self._alias = alias

    # --- rendering -------------------------------------------------------
    def sql(self) -> str:
        """Return the expression's SQL text (without its alias)."""
        return self._sql

    def select_sql(self) -> str:
        """Return the SQL for a select list (with ``AS alias`` when aliased)."""
        if self._alias is None:
            return self._sql
        return f"{self._sql} AS {quote_identifier(self._alias)}"

    def __str__(self) -> str:
        return self.select_sql()

    def __repr__(self) -> str:
        return f"Expr({self.select_sql()})"

    def __bool__(self):
        raise TypeError("an Expr has no truth value; use & | ~ instead of and/or/not")

    __hash__ = object.__hash__

    # --- operators -------------------------------------------------------
    def _bin(self, op: str, other: Any, reverse: bool = False) -> "Expr":
        o = to_expr(other, strings_are_columns=False)
        left, right = (o, self) if reverse else (self, o)
        return Expr(f"({left._sql} {op} {right._sql})")

    def __add__(self, o): return self._bin("+", o)
    def __radd__(self, o): return self._bin("+", o, True)
    def __sub__(self, o): return self._bin("-", o)
    def __rsub__(self, o): return self._bin("-", o, True)
    def __mul__(self, o): return self._bin("*", o)
    def __rmul__(self, o): return self._bin("*", o, True)
    def __truediv__(self, o): return self._bin("/", o)
    def __rtruediv__(self, o): return self._bin("/", o, True)
    def __mod__(self, o): return self._bin("%", o)
    def __rmod__(self, o): return self._bin("%", o, True)
    def __eq__(self, o): return self._bin("=", o)  # type: ignore[override]
    def __ne__(self, o): return self._bin("<>", o)  # type: ignore[override]
    def __lt__(self, o): return self._bin("<", o)
    def __le__(self, o): return self._bin("<=", o)
    def __gt__(self, o): return self._bin(">", o)
    def __ge__(self, o): return self._bin(">=", o)
    def __and__(self, o): return self._bin("AND", o)
    def __rand__(self, o): return self._bin("AND", o, True)
    def __or__(self, o): return self._bin("OR", o)
    def __ror__(self, o): return self._bin("OR", o, True)
    def __invert__(self): return Expr(f"(NOT {self._sql})")
    def __neg__(self): return Expr(f"(- {self._sql})")

    # --- methods ---------------------------------------------------------
    def alias(self, name: str) -> "Expr":
        """Return this expression named ``name`` in a select list."""
        return Expr(self._sql, name)

    def cast(self, to: Any) -> "Expr":
        """Cast to a SQL type name ("BIGINT") or a pyarrow type."""
        return Expr(f"CAST({self._sql} AS {_sql_type(to)})")

    def is_null(self) -> "Expr":
        return Expr(f"({self._sql} IS NULL)")

    def is_not_null(self) -> "Expr":
        return Expr(f"({self._sql} IS NOT NULL)")

    def isin(self, *values: Any) -> "Expr":
        if len(values) == 1 and isinstance(values[0], (list, tuple, set)):
            values = tuple(values[0])
        items = ", ".join(to_expr(v, strings_are_columns=False)._sql for v in values)
        return Expr(f"({self._sql} IN ({items}))")

    def between(self, low: Any, high: Any, negated: bool = False) -> "Expr":
        lo = to_expr(low, strings_are_columns=False)._sql
        hi = to_expr(high, strings_are_columns=False)._sql
        return Expr(f"({self._sql} {'NOT ' if negated else ''}BETWEEN {lo} AND {hi})")

    def like(self, pattern: str) -> "Expr":
        return Expr(f"({self._sql} LIKE {quote_string(pattern)})")

    def ilike(self, pattern: str) -> "Expr":
        return Expr(f"({self._sql} ILIKE {quote_string(pattern)})")

    def sort(self, ascending: bool = True, nulls_first: Optional[bool] = None) -> "SortExpr":
        """Return a sort key for :meth:`DataFrame.sort`."""
        return SortExpr(self, ascending, nulls_first)

    def asc(self) -> "SortExpr":
        return self.sort(True)

    def desc(self) -> "SortExpr":
        return self.sort(False)


class SortExpr:
    """A sort key: an expression, a direction and a NULL placement."""

    __slots__ = ("expr", "ascending", "nulls_first")

    def __init__(self, expr: Expr, ascending: bool = True, nulls_first: Optional[bool] = None):
        self.expr = expr
        self.ascending = ascending
        self.nulls_first = nulls_first

    def sql(self) -> str:
        s = f"{self.expr.sql()} {'ASC' if self.ascending else 'DESC'}"
        if self.nulls_first is not None:
            s += " NULLS FIRST" if self.nulls_first else " NULLS LAST"
        return s

    def __repr__(self) -> str:
        return f"SortExpr({self.sql()})"


def _sql_type(to: Any) -> str:
    if isinstance(to, str):
        return to
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover
        raise TypeError(f"cannot cast to {to!r}")
    mapping = {
        pa.bool_(): "BOOLEAN", pa.int8(): "TINYINT", pa.int16(): "SMALLINT", pa.int32(): "INT",
        pa.int64(): "BIGINT", pa.float32(): "FLOAT", pa.float64(): "DOUBLE", pa.string(): "VARCHAR",
        pa.large_string(): "VARCHAR", pa.date32(): "DATE", pa.binary(): "BLOB",
    }
    if isinstance(to, pa.DataType):
        if to in mapping:
            return mapping[to]
        if pa.types.is_decimal(to):
            return f"DECIMAL({to.precision}, {to.scale})"
        if pa.types.is_timestamp(to):
            return "TIMESTAMPTZ" if to.tz else "TIMESTAMP"
    raise TypeError(f"cannot cast to {to!r}; give a SQL type name")


def col(name: str) -> Expr:
    """Return a reference to the column ``name`` (case kept; quoted in SQL)."""
    return Expr(quote_identifier(name))


column = col


def lit(value: Any) -> Expr:
    """Return a literal value (int, float, str, bool, None, date, datetime, Decimal, bytes)."""
    return Expr(_sql_literal(value))


literal = lit


def to_expr(value: Union[Expr, str, Any], strings_are_columns: bool = True) -> Expr:
    """Convert ``value`` to an Expr. Strings are column names when they look like
    identifiers (``"a"``, ``"t.a"``) and ``strings_are_columns`` is set, SQL
    expression text otherwise (``"a + 1"``); other values become literals."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, str):
        if strings_are_columns:
            if _is_identifier_path(value):
                return Expr(".".join(quote_identifier(p) for p in value.split(".")))
            return Expr(value)
        return lit(value)
    return lit(value)


def to_sort_sql(value: Union[SortExpr, Expr, str]) -> str:
    if isinstance(value, SortExpr):
        return value.sql()
    return to_expr(value).sql()
