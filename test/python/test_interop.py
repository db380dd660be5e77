"""Arrow PyCapsule interface: pyarrow, polars and DuckDB read Shoal DataFrames."""

import pyarrow as pa
import pytest

import shoal


@pytest.fixture
def big(ctx):
    n = 100_000
    table = pa.table({"i": pa.array(range(n), pa.int64()), "s": pa.array([str(i % 10) for i in range(n)])})
    ctx.register_table("big", table)
    return ctx.table("big"), table


def test_pyarrow_table_from_dataframe(big):
    df, table = big
    got = pa.table(df.sort("i"))
    assert got.num_rows == table.num_rows
    assert got.column("i").to_pylist()[:5] == [0, 1, 2, 3, 4]


def test_record_batch_reader_from_stream(big):
    df, _ = big
    reader = pa.RecordBatchReader.from_stream(df.filter("i % 2 = 0"))
    assert reader.schema.names == ["i", "s"]
    total = sum(b.num_rows for b in reader)
    assert total == 50_000


def test_stream_is_zero_copy(ctx):
    # Values registered from pyarrow come back through the C stream interface
    # in the same buffers (no copy in either direction).
    arr = pa.array(range(10_000), pa.int64())
    ctx.register_table("zc", pa.table({"x": arr}))
    out = pa.table(ctx.table("zc"))
    chunk = out.column("x").chunk(0)
    src_address = arr.buffers()[1].address
    end = src_address + arr.buffers()[1].size
    assert src_address <= chunk.buffers()[1].address < end


def test_polars_reads_dataframe(big):
    pl = pytest.importorskip("polars")
    df, _ = big
    pldf = pl.from_arrow(pa.RecordBatchReader.from_stream(df.filter("i < 10")))
    assert sorted(pldf["i"].to_list()) == list(range(10))
    pldf2 = pl.DataFrame(df.filter("i < 3"))
    assert sorted(pldf2["i"].to_list()) == [0, 1, 2]


def test_duckdb_reads_dataframe(big):
    duckdb = pytest.importorskip("duckdb")
    df, _ = big
    reader = pa.RecordBatchReader.from_stream(df)
    con = duckdb.connect()
    con.register("shoal_df", reader)
    got = con.execute("SELECT count(*), sum(i) FROM shoal_df").fetchone()
    n = 100_000
    assert got == (n, n * (n - 1) // 2)


def test_duckdb_result_into_shoal(ctx):
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.sql("SELECT range AS r FROM range(5)")
    ctx.register_table("from_duck", rel.arrow())
    assert ctx.sql("SELECT sum(r) AS s FROM from_duck").to_pydict() == {"s": [10]}


def test_stream_of_materialized_result(ctx):
    df = ctx.sql("SHOW TABLES")
    table = pa.table(df)
    assert isinstance(table, pa.Table)


def test_datafusion_agrees(ctx):
    datafusion = pytest.importorskip("datafusion")
    data = {"g": [i % 4 for i in range(1000)], "v": [float(i) for i in range(1000)]}
    ctx.from_pydict(data, name="t")
    dctx = datafusion.SessionContext()
    dctx.from_pydict(data, name="t")
    q = "SELECT g, sum(v) AS s, count(*) AS n FROM t GROUP BY g ORDER BY g"
    assert ctx.sql(q).to_pydict() == dctx.sql(q).to_pydict()
