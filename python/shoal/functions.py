"""SQL functions as Expr builders (``from shoal import functions as f``)."""

from __future__ import annotations

from typing import Any

from .expr import Expr, lit, to_expr

__all__ = [
    "sum", "avg", "mean", "min", "max", "count", "count_star", "count_distinct", "stddev",
    "abs", "round", "floor", "ceil", "sqrt", "lower", "upper", "length", "trim", "concat",
    "coalesce", "when", "call", "col", "lit",
]

from .expr import col  # noqa: E402  (re-exported)


def call(name: str, *args: Any, distinct: bool = False) -> Expr:
    """Return a call of the SQL function ``name``. String arguments are column names."""
    rendered = ", ".join(to_expr(a).sql() for a in args)
    return Expr(f"{name}({'DISTINCT ' if distinct else ''}{rendered})")


def sum(e: Any) -> Expr:  # noqa: A001
    return call("sum", e)


def avg(e: Any) -> Expr:
    return call("avg", e)


mean = avg


def min(e: Any) -> Expr:  # noqa: A001
    return call("min", e)


def max(e: Any) -> Expr:  # noqa: A001
    return call("max", e)


def count(e: Any = None, distinct: bool = False) -> Expr:
    """Return COUNT(e), or COUNT(*) without an argument."""
    if e is None:
        return Expr("count(*)")
    return call("count", e, distinct=distinct)


def count_star() -> Expr:
    return Expr("count(*)")


def count_distinct(e: Any) -> Expr:
    return call("count", e, distinct=True)


def stddev(e: Any) -> Expr:
    return call("stddev", e)


def abs(e: Any) -> Expr:  # noqa: A001
    return call("abs", e)


def round(e: Any, digits: int = 0) -> Expr:  # noqa: A001
    return Expr(f"round({to_expr(e).sql()}, {int(digits)})")


def floor(e: Any) -> Expr:
    return call("floor", e)


def ceil(e: Any) -> Expr:
    return call("ceil", e)


def sqrt(e: Any) -> Expr:
    return call("sqrt", e)


def lower(e: Any) -> Expr:
    return call("lower", e)


def upper(e: Any) -> Expr:
    return call("upper", e)


def length(e: Any) -> Expr:
    return call("length", e)


def trim(e: Any) -> Expr:
    return call("trim", e)


def concat(*args: Any) -> Expr:
    return call("concat", *args)


def coalesce(*args: Any) -> Expr:
    return call("coalesce", *args)


class _Case:
    def __init__(self, branches):
        self._branches = branches

    def when(self, condition: Any, value: Any) -> "_Case":
        return _Case(self._branches + [(condition, value)])

    def otherwise(self, value: Any) -> Expr:
        return self._build(value)

    def end(self) -> Expr:
        return self._build(None)

    def _build(self, default: Any) -> Expr:
        parts = ["CASE"]
        for cond, value in self._branches:
            v = value if isinstance(value, Expr) else lit(value)
            parts.append(f"WHEN {to_expr(cond).sql()} THEN {v.sql()}")
        if default is not None:
            d = default if isinstance(default, Expr) else lit(default)
            parts.append(f"ELSE {d.sql()}")
        parts.append("END")
        return Expr("(" + " ".join(parts) + ")")


def when(condition: Any, value: Any) -> _Case:
    """Start a CASE expression: ``when(c1, v1).when(c2, v2).otherwise(v3)``.
    Plain Python values are literals; conditions may be Exprs or SQL text."""
    return _Case([(condition, value)])
