"""Shoal: an embeddable lakehouse SQL engine on Apache Arrow.

>>> import shoal
>>> ctx = shoal.SessionContext()
>>> ctx.from_pydict({"a": [1, 2, 3]}, name="t")  # doctest: +SKIP
>>> ctx.sql("SELECT sum(a) AS s FROM t").to_pydict()  # doctest: +SKIP
{'s': [6]}

Data crosses between Python and the engine only through the Arrow C data and
stream interfaces (``__arrow_c_stream__`` / ``__arrow_c_array__``), so any Arrow
producer (pyarrow, polars, pandas via pyarrow, DuckDB) works as input and a Shoal
DataFrame can be read by any Arrow consumer without copies.
"""

from ._shoal import (
    AlreadyExistsError,
    InvalidError,
    NotFoundError,
    NotSupportedError,
    QueryCancelledError,
    ShoalError,
    ShoalIOError,
    ShoalTypeError,
)
from . import functions
from .context import SessionContext
from .dataframe import DataFrame
from .delta import DeltaTable
from .delta_write import write_delta
from .expr import Expr, SortExpr, col, column, lit, literal

__version__ = "0.1.0"

__all__ = [
    "SessionContext",
    "DataFrame",
    "DeltaTable",
    "write_delta",
    "Expr",
    "SortExpr",
    "col",
    "column",
    "lit",
    "literal",
    "functions",
    "ShoalError",
    "InvalidError",
    "NotFoundError",
    "AlreadyExistsError",
    "NotSupportedError",
    "ShoalIOError",
    "ShoalTypeError",
    "QueryCancelledError",
]
