"""SessionContext: construction, settings, registration APIs, catalog."""

import datetime
import os

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

import shoal


def test_config_is_validated():
    ctx = shoal.SessionContext({"shoal.execution.threads": 3, "shoal.execution.batch_size": "100"})
    assert ctx.get("shoal.execution.threads") == "3"
    assert ctx.get("shoal.execution.batch_size") == "100"
    with pytest.raises(shoal.ShoalError, match="shoal.execution.thread'"):
        shoal.SessionContext({"shoal.execution.thread": 3})
    with pytest.raises(ValueError, match="shoal.execution.threads"):
        shoal.SessionContext({"shoal.execution.threads": "lots"})


def test_settings_roundtrip(ctx):
    ctx.set("shoal.optimizer.enabled", False)
    assert ctx.get("shoal.optimizer.enabled") == "false"
    assert ctx.settings()["shoal.optimizer.enabled"] == "false"
    with pytest.raises(shoal.ShoalError, match="unknown setting"):
        ctx.set("nope.nope", 1)


def test_from_pydict_and_sql(ctx):
    ctx.from_pydict({"a": [1, 2, 3, 4], "b": ["x", "y", "x", None]}, name="t")
    assert ctx.tables() == ["t"]
    assert ctx.table_exist("t")
    assert not ctx.table_exist("u")
    out = ctx.sql("SELECT b, sum(a) AS s FROM t GROUP BY b ORDER BY b NULLS LAST").to_pydict()
    assert out == {"b": ["x", "y", None], "s": [4, 2, 4]}


def test_table_and_deregister(ctx):
    ctx.from_pylist([{"k": 1, "v": "a"}, {"k": 2, "v": "b"}], name="kv")
    assert ctx.table("kv").to_pylist() == [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]
    ctx.deregister_table("kv")
    assert "kv" not in ctx.tables()
    with pytest.raises(shoal.ShoalError, match="kv"):
        ctx.table("kv")
    with pytest.raises(shoal.ShoalError, match="kv"):
        ctx.deregister_table("kv")


def test_register_record_batches_partitions(ctx):
    schema = pa.schema([("x", pa.int64())])
    parts = [[pa.record_batch([pa.array(range(i * 10, i * 10 + 10))], schema=schema)] for i in range(3)]
    ctx.register_record_batches("parts", parts)
    got = ctx.sql("SELECT count(*) AS n, sum(x) AS s FROM parts").to_pydict()
    assert got == {"n": [30], "s": [sum(range(30))]}


def test_register_parquet_with_partitions(ctx, tmp_path):
    for region in ["eu", "us"]:
        d = tmp_path / f"region={region}"
        d.mkdir()
        n = 3 if region == "eu" else 5
        pq.write_table(pa.table({"v": list(range(n))}), d / "part-0.parquet")
    ctx.register_parquet("sales", str(tmp_path), table_partition_cols=[("region", pa.string())])
    schema = ctx.table("sales").schema()
    assert schema.names == ["v", "region"]
    got = ctx.sql("SELECT region, count(*) AS n FROM sales GROUP BY region ORDER BY region").to_pydict()
    assert got == {"region": ["eu", "us"], "n": [3, 5]}
    assert ctx.sql("SELECT count(*) AS n FROM sales WHERE region = 'us'").to_pydict() == {"n": [5]}


def test_register_csv(ctx, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("id;name\n1;ann\n2;bob\n")
    ctx.register_csv("people", str(path), delimiter=";")
    assert ctx.sql("SELECT name FROM people WHERE id = 2").to_pydict() == {"name": ["bob"]}
    noheader = tmp_path / "nh.csv"
    noheader.write_text("1,2\n3,4\n")
    schema = pa.schema([("a", pa.int64()), ("b", pa.int64())])
    ctx.register_csv("nh", str(noheader), schema=schema, has_header=False)
    assert ctx.sql("SELECT sum(a) AS sa, sum(b) AS sb FROM nh").to_pydict() == {"sa": [4], "sb": [6]}


def test_register_json_and_ipc(ctx, tmp_path):
    jpath = tmp_path / "rows.json"
    jpath.write_text('{"a": 1, "s": "x"}\n{"a": 5, "s": "y"}\n')
    ctx.register_json("j", str(jpath))
    assert ctx.sql("SELECT max(a) AS m FROM j").to_pydict() == {"m": [5]}
    ipath = tmp_path / "t.arrow"
    feather.write_feather(pa.table({"q": [1.5, 2.5]}), str(ipath))
    ctx.register_ipc("ipc", str(ipath))
    assert ctx.sql("SELECT sum(q) AS s FROM ipc").to_pydict() == {"s": [4.0]}
    ctx.register_arrow("ipc2", str(ipath))
    assert ctx.table("ipc2").count() == 2


def test_register_missing_file_raises(ctx, tmp_path):
    missing = str(tmp_path / "nope.parquet")
    with pytest.raises(shoal.ShoalError, match="nope.parquet"):
        ctx.register_parquet("p", missing)


def test_register_table_kinds(ctx):
    table = pa.table({"a": [1, 2, 3]})
    ctx.register_table("tbl", table)
    ctx.register_table("batch", table.to_batches()[0])
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    ctx.register_table("stream", reader)
    assert ctx.table("tbl").count() == 3
    assert ctx.table("batch").count() == 3
    assert ctx.sql("SELECT sum(a) AS s FROM stream").to_pydict() == {"s": [6]}
    # A stream can be read once; a second scan fails with a clear message.
    with pytest.raises(shoal.ShoalError, match="stream"):
        ctx.sql("SELECT sum(a) AS s FROM stream").collect()


def test_register_dataframe_as_view(ctx):
    ctx.from_pydict({"a": [1, 2, 3, 4]}, name="base")
    big = ctx.table("base").filter("a > 2")
    ctx.register_table("big", big)
    assert ctx.sql("SELECT a FROM big ORDER BY a").to_pydict() == {"a": [3, 4]}
    # The view follows the base table.
    ctx.register_table("base", pa.table({"a": [10, 1]}))
    assert ctx.sql("SELECT a FROM big").to_pydict() == {"a": [10]}


def test_from_pandas_and_polars(ctx):
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pdf = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]})
    df = ctx.from_pandas(pdf, name="from_pd")
    assert df.to_pydict() == {"x": [1, 2, 3], "y": ["a", "b", "c"]}
    pldf = pl.DataFrame({"x": [4, 5], "z": [0.5, 1.5]})
    df2 = ctx.from_polars(pldf)
    assert sorted(df2.to_pydict()["x"]) == [4, 5]
    out = ctx.sql("SELECT sum(x) AS s FROM from_pd").to_pydict()
    assert out == {"s": [6]}


def test_from_arrow_accepts_capsule_objects(ctx):
    class OnlyStream:
        def __init__(self, table):
            self._t = table

        def __arrow_c_stream__(self, requested_schema=None):
            return self._t.__arrow_c_stream__(requested_schema)

    table = pa.table({"n": [1, 2, 3], "d": [datetime.date(2024, 1, i) for i in (1, 2, 3)]})
    df = ctx.from_arrow(OnlyStream(table))
    assert df.to_arrow_table().equals(table)
    # Collected twice: the stream was materialized, so rescans work.
    assert df.count() == 3
    df_batch = ctx.from_arrow(table.to_batches()[0])
    assert df_batch.to_pydict() == table.to_pydict()
    df_reader = ctx.from_arrow(pa.RecordBatchReader.from_batches(table.schema, table.to_batches()))
    assert df_reader.count() == 3
    assert df_reader.count() == 3
    with pytest.raises(TypeError):
        ctx.from_arrow([1, 2, 3])


def test_ddl_runs_eagerly(ctx):
    ctx.sql("CREATE TABLE made (a INT)")
    assert "made" in ctx.tables()
    ctx.sql("INSERT INTO made VALUES (1), (2)")
    ctx.sql("INSERT INTO made VALUES (3)")
    assert ctx.sql("SELECT sum(a) AS s FROM made").to_pydict() == {"s": [6]}


def test_multi_statement_script(ctx):
    df = ctx.sql("CREATE TABLE s1 (a INT); INSERT INTO s1 VALUES (7); SELECT a FROM s1")
    assert df.to_pydict() == {"a": [7]}
