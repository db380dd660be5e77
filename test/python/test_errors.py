"""Errors carry the engine's message; Ctrl-C interrupts running queries."""

import _thread
import threading
import time

import pyarrow as pa
import pytest

import shoal


def test_syntax_error_raises_at_sql(ctx):
    with pytest.raises(shoal.InvalidError) as info:
        ctx.sql("SELEC 1")
    assert "SELEC" in str(info.value) or "line 1" in str(info.value)


def test_unknown_table_raises_at_sql(ctx):
    with pytest.raises(shoal.ShoalError, match="missing_table"):
        ctx.sql("SELECT * FROM missing_table")


def test_unknown_column_names_the_column(ctx):
    ctx.from_pydict({"a": [1]}, name="t")
    with pytest.raises(shoal.ShoalError, match="nope"):
        ctx.sql("SELECT nope FROM t")


def test_error_hierarchy():
    assert issubclass(shoal.InvalidError, shoal.ShoalError)
    assert issubclass(shoal.InvalidError, ValueError)
    assert issubclass(shoal.NotFoundError, LookupError)
    assert issubclass(shoal.NotSupportedError, NotImplementedError)
    assert issubclass(shoal.ShoalError, Exception)


def test_runtime_error_reaches_collect(ctx):
    ctx.from_pydict({"s": ["1", "x"]}, name="t")
    df = ctx.sql("SELECT CAST(s AS INT) AS i FROM t")
    with pytest.raises(shoal.ShoalError, match="x"):
        df.collect()


def _slow_query(ctx):
    n = 2000
    ctx.register_table("t", pa.table({"x": pa.array(range(n), pa.int64())}))
    # 8 * 10^9 rows: never finishes on its own.
    return ctx.sql("SELECT count(*) FROM t a, t b, t c WHERE a.x + b.x + c.x = -1")


def test_keyboard_interrupt_stops_collect(ctx):
    df = _slow_query(ctx)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        df.collect()
    timer.cancel()
    assert time.monotonic() - start < 30
    # The session still works afterwards.
    assert ctx.sql("SELECT 1 AS one").to_pydict() == {"one": [1]}


def test_interrupt_from_another_thread(ctx):
    df = _slow_query(ctx)
    timer = threading.Timer(0.5, ctx.interrupt)
    timer.start()
    start = time.monotonic()
    with pytest.raises(shoal.QueryCancelledError, match="interrupted"):
        df.collect()
    timer.cancel()
    assert time.monotonic() - start < 30


def test_dataframe_outlives_context():
    ctx = shoal.SessionContext()
    ctx.from_pydict({"a": [1, 2, 3]}, name="t")
    stream = ctx.sql("SELECT a FROM t").execute_stream()
    del ctx
    assert sum(b.num_rows for b in stream) == 3
