"""Errors carry the engine's message; Ctrl-C interrupts running queries."""

import _thread
import os
import signal
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


@pytest.fixture
def sigint_raises():
    """Python's own SIGINT handler for the test's duration: a process started in the
    background by a non-interactive shell inherits SIGINT as ignored, and then
    `_thread.interrupt_main()` does nothing."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_keyboard_interrupt_stops_collect(ctx, sigint_raises):
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


def test_syntax_error_points_at_line_and_column(ctx):
    with pytest.raises(shoal.InvalidError) as info:
        ctx.sql("SELECT a,\n       b\nFROM t WHERE (")
    lines = str(info.value).splitlines()
    assert "line 3, column 15" in lines[0]
    assert lines[1].strip() == "FROM t WHERE ("
    caret = lines[2]
    assert caret.strip() == "^" and caret.index("^") == lines[1].index("(") + 1


def test_unknown_names_suggest_close_matches(ctx):
    ctx.from_pydict({"l_quantity": [1]}, name="lineitem")
    with pytest.raises(shoal.ShoalError, match="did you mean 'lineitem'"):
        ctx.sql("SELECT * FROM lineitm")
    with pytest.raises(shoal.NotFoundError, match="did you mean 'lineitem'"):
        ctx.table("lineitm")
    with pytest.raises(shoal.ShoalError, match="did you mean 'l_quantity'"):
        ctx.sql("SELECT l_quantiti FROM lineitem")
    with pytest.raises(shoal.ShoalError, match="did you mean 'sum'"):
        ctx.sql("SELECT sumx(l_quantity) FROM lineitem")


def test_missing_files_are_named(ctx, tmp_path):
    for register, name in [(ctx.register_parquet, "nope.parquet"), (ctx.register_csv, "nope.csv"),
                           (ctx.register_json, "nope.json"), (ctx.register_ipc, "nope.arrow")]:
        path = str(tmp_path / name)
        with pytest.raises(shoal.ShoalIOError) as info:
            register("t", path)
        assert path in str(info.value)
    missing = str(tmp_path / "gone.parquet")
    with pytest.raises(shoal.ShoalError, match="gone.parquet"):
        ctx.sql(f"CREATE EXTERNAL TABLE g STORED AS PARQUET LOCATION '{missing}'")
    with pytest.raises(shoal.ShoalError, match="gone.parquet"):
        ctx.read_parquet(missing)


@pytest.mark.parametrize("pool,warn", [("system", False), ("mimalloc", False), ("arrow", False),
                                       ("bogus", True)])
def test_memory_pool_choice(pool, warn, tmp_path):
    # SHOAL_MEMORY_POOL picks the engine's allocator; an unknown name warns and
    # falls back, and queries give the same answer either way.
    import subprocess
    import sys
    path = str(tmp_path / "x.parquet")
    import pyarrow.parquet as pq
    pq.write_table(pa.table({"x": list(range(100000))}), path, row_group_size=10000)
    code = ("import shoal; ctx = shoal.SessionContext(); "
            f"ctx.register_parquet('t', {path!r}); "
            "print(ctx.sql('SELECT sum(x) AS s FROM t').to_pylist())")
    env = dict(os.environ, SHOAL_MEMORY_POOL=pool)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[{'s': 4999950000}]"
    assert ("unknown SHOAL_MEMORY_POOL 'bogus'" in r.stderr) == warn
