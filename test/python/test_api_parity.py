"""The datafusion-python methods Shoal mirrors: SessionContext registration and
readers, DataFrame verbs, execution, writing, async iteration and display."""

import asyncio
import json

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

import shoal
from shoal import col, lit

CONTEXT_METHODS = [
    "sql", "table", "table_exist", "tables", "register_table", "register_view",
    "register_dataset", "register_record_batches", "register_batch", "register_parquet",
    "register_csv", "register_json", "register_arrow", "register_listing_table",
    "deregister_table", "from_arrow", "from_arrow_table", "from_pydict", "from_pylist",
    "from_pandas", "from_polars", "create_dataframe", "empty_table", "read_parquet",
    "read_csv", "read_json", "read_arrow", "read_table", "read_batch", "read_batches",
]
DATAFRAME_METHODS = [
    "select", "select_columns", "select_exprs", "filter", "with_column", "with_columns",
    "with_column_renamed", "drop", "aggregate", "sort", "sort_by", "limit", "head", "tail",
    "join", "join_on", "distinct", "union", "union_distinct", "union_by_name", "intersect",
    "except_all", "describe", "cast", "fill_null", "transform", "column", "col", "schema",
    "collect", "collect_partitioned", "collect_column", "execute_stream",
    "execute_stream_partitioned", "to_arrow_table", "to_pandas", "to_polars", "to_pylist",
    "to_pydict", "count", "cache", "explain", "show", "write_parquet", "write_csv",
    "write_json", "write_table", "into_view", "__arrow_c_stream__", "__aiter__",
]


def test_method_names_match_datafusion():
    missing = [m for m in CONTEXT_METHODS if not hasattr(shoal.SessionContext, m)]
    missing += [m for m in DATAFRAME_METHODS if not hasattr(shoal.DataFrame, m)]
    assert missing == []
    datafusion = pytest.importorskip("datafusion")
    # Every name above exists in datafusion-python too (aliases that are Shoal's own excepted).
    own = {"select_columns", "from_arrow_table", "tables", "__aiter__", "__arrow_c_stream__"}
    df_ctx = set(dir(datafusion.SessionContext))
    df_df = set(dir(datafusion.DataFrame))
    assert [m for m in CONTEXT_METHODS if m not in df_ctx and m not in own] == []
    assert [m for m in DATAFRAME_METHODS if m not in df_df and m not in own] == []


# --------------------------------------------------------------- SessionContext
def _plan(ctx, name):
    return ctx.sql(f"EXPLAIN SELECT * FROM {name}").to_pydict()["plan"][-1]


def test_register_dataset_of_parquet_uses_native_reader(ctx, tmp_path):
    table = pa.table({"a": [1, 2, 3, 4], "p": ["x", "y", "x", "y"]})
    pq.write_to_dataset(table, str(tmp_path / "hive"), partition_cols=["p"])
    dataset = ds.dataset(str(tmp_path / "hive"), format="parquet", partitioning="hive")
    ctx.register_dataset("hive", dataset)
    assert ctx.table("hive").schema().equals(dataset.schema)
    assert "(parquet)" in _plan(ctx, "hive")
    for _ in range(2):  # re-scannable
        got = ctx.sql("SELECT p, sum(a) AS s FROM hive GROUP BY p ORDER BY p").to_pydict()
        assert got == {"p": ["x", "y"], "s": [4, 6]}
    # The same directory without partitioning: the dataset's columns only.
    plain = ds.dataset(str(tmp_path / "hive"), format="parquet")
    ctx.register_dataset("plain", plain)
    assert ctx.table("plain").schema().names == ["a"]
    assert "(parquet)" in _plan(ctx, "plain")
    assert sorted(ctx.table("plain").to_pydict()["a"]) == [1, 2, 3, 4]
    # One file.
    pq.write_table(pa.table({"v": [5, 6]}), str(tmp_path / "one.parquet"))
    ctx.register_table("one", ds.dataset(str(tmp_path / "one.parquet")))
    assert "(parquet)" in _plan(ctx, "one")
    assert ctx.sql("SELECT sum(v) AS s FROM one").to_pydict() == {"s": [11]}


def test_register_dataset_other_kinds_are_read_into_memory(ctx, tmp_path):
    dataset = ds.dataset(pa.table({"a": [1, 2, 3]}))
    ctx.register_dataset("mem", dataset)
    assert "(memory)" in _plan(ctx, "mem")
    assert ctx.table("mem").count() == 3
    assert ctx.table("mem").count() == 3
    # A subset of a directory's files cannot be a directory scan: read into memory.
    for i in range(3):
        pq.write_table(pa.table({"a": [i]}), str(tmp_path / f"f{i}.parquet"))
    subset = ds.dataset([str(tmp_path / "f0.parquet"), str(tmp_path / "f2.parquet")])
    ctx.register_dataset("subset", subset)
    assert sorted(ctx.table("subset").to_pydict()["a"]) == [0, 2]
    with pytest.raises(TypeError, match="pyarrow.dataset.Dataset"):
        ctx.register_dataset("bad", pa.table({"a": [1]}))


def test_register_view(ctx):
    base = ctx.from_pydict({"a": [1, 2, 3]}, name="base")
    ctx.register_view("big", base.filter(col("a") > 1))
    assert ctx.sql("SELECT count(*) AS n FROM big").to_pydict() == {"n": [2]}


def test_create_dataframe_and_batches(ctx):
    schema = pa.schema([("x", pa.int32())])
    b1 = pa.record_batch([pa.array([1, 2], pa.int32())], schema=schema)
    b2 = pa.record_batch([pa.array([3], pa.int32())], schema=schema)
    df = ctx.create_dataframe([[b1], [b2]], name="parts")
    assert sorted(df.to_pydict()["x"]) == [1, 2, 3]
    assert "parts" in ctx.tables()
    empty = ctx.create_dataframe([[]], schema=schema)
    assert empty.schema().equals(schema) and empty.count() == 0
    with pytest.raises(ValueError, match="schema"):
        ctx.create_dataframe([[]])
    ctx.register_batch("one_batch", b1)
    assert ctx.table("one_batch").count() == 2
    assert ctx.read_batch(b2).to_pydict() == {"x": [3]}
    assert sorted(ctx.read_batches([b1, b2]).to_pydict()["x"]) == [1, 2, 3]
    assert ctx.read_table(pa.table({"q": [9]})).to_pydict() == {"q": [9]}
    assert ctx.from_arrow_table(pa.table({"q": [8]})).to_pydict() == {"q": [8]}


def test_readers(ctx, tmp_path):
    pq.write_table(pa.table({"a": [1, 2]}), str(tmp_path / "t.parquet"))
    (tmp_path / "t.csv").write_text("a,b\n1,x\n2,y\n")
    (tmp_path / "u.csv").write_text("a,b\n3,z\n")
    (tmp_path / "t.json").write_text('{"a": 1}\n{"a": 5}\n')
    assert ctx.read_parquet(str(tmp_path / "t.parquet")).to_pydict() == {"a": [1, 2]}
    both = ctx.read_csv([str(tmp_path / "t.csv"), tmp_path / "u.csv"])
    assert sorted(both.to_pydict()["b"]) == ["x", "y", "z"]
    assert ctx.read_json(str(tmp_path / "t.json")).select_exprs("sum(a) AS s").to_pydict() == {"s": [6]}
    feather.write_feather(pa.table({"z": [1.5]}), str(tmp_path / "t.arrow"))
    assert ctx.read_arrow(str(tmp_path / "t.arrow")).to_pydict() == {"z": [1.5]}
    # Readers register hidden tables only.
    assert ctx.tables() == []
    ctx.register_listing_table("listed", str(tmp_path), file_extension=".csv")
    assert ctx.table("listed").count() == 3
    with pytest.raises(shoal.ShoalError, match="missing.parquet"):
        ctx.read_parquet(str(tmp_path / "missing.parquet"))


# --------------------------------------------------------------------- DataFrame
@pytest.fixture
def people(ctx):
    return ctx.from_pydict({"id": [1, 2, 3, 4], "name": ["ann", "bob", None, "dee"],
                            "score": [1.5, None, 3.5, 4.0]}, name="people")


def test_with_columns_forms(people):
    out = people.with_columns("id + 1 AS next", [col("id").alias("same"), "id * 3 AS \"Triple\""],
                              "id - 1", doubled="id * 2").sort("id").limit(2).to_pydict()
    assert list(out) == ["id", "name", "score", "next", "same", "Triple", "(id - 1)", "doubled"]
    assert out["next"] == [2, 3] and out["Triple"] == [3, 6] and out["doubled"] == [2, 4]
    replaced = people.with_columns((col("id") * 10).alias("id")).sort("id").to_pydict()
    assert list(replaced) == ["id", "name", "score"] and replaced["id"] == [10, 20, 30, 40]


def test_drop_head_tail(people):
    assert people.drop("name", "score").schema().names == ["id"]
    with pytest.raises(ValueError, match="nope"):
        people.drop("nope")
    assert people.sort("id").head(2).to_pydict()["id"] == [1, 2]
    assert people.sort("id").tail(2).to_pydict()["id"] == [3, 4]
    assert people.sort("id").tail(10).to_pydict()["id"] == [1, 2, 3, 4]
    assert people.sort(col("id").sort(ascending=False)).tail(1).to_pydict()["id"] == [1]


def test_set_operations(ctx):
    a = ctx.from_pydict({"v": [1, 1, 2, 3]})
    b = ctx.from_pydict({"v": [1, 3, 3]})
    assert a.except_all(b).sort("v").to_pydict() == {"v": [1, 2]}
    assert a.except_all(b, distinct=True).sort("v").to_pydict() == {"v": [2]}
    ones = ctx.from_pydict({"v": [1, 1, 1]})
    assert a.intersect(ones).to_pydict() == {"v": [1, 1]}
    assert a.intersect(ones, distinct=True).to_pydict() == {"v": [1]}
    assert a.union_distinct(b).sort("v").to_pydict() == {"v": [1, 2, 3]}
    left = ctx.from_pydict({"a": [1], "b": ["x"]})
    right = ctx.from_pydict({"c": [2.5], "a": [5]})
    u = left.union_by_name(right).sort("a")
    assert u.schema().names == ["a", "b", "c"]
    assert u.to_pydict() == {"a": [1, 5], "b": ["x", None], "c": [None, 2.5]}


def test_join_forms(ctx):
    left = ctx.from_pydict({"k": [1, 2, 3], "a": ["x", "y", "z"]})
    right = ctx.from_pydict({"key": [2, 3, 4], "b": [20, 30, 40]})
    by_tuple = left.join(right, on=(["k"], ["key"])).sort("k").select("k", "b").to_pydict()
    assert by_tuple == {"k": [2, 3], "b": [20, 30]}
    by_keys = left.join(right, join_keys=(["k"], ["key"]), how="left").sort("k")
    assert by_keys.select("k", "b").to_pydict() == {"k": [1, 2, 3], "b": [None, 20, 30]}
    semi = left.join_on(right, col("k") == col("key"), how="semi").sort("k").to_pydict()
    assert semi == {"k": [2, 3], "a": ["y", "z"]}
    anti = left.join_on(right, "k = key", how="anti").to_pydict()
    assert anti == {"k": [1], "a": ["x"]}
    other = ctx.from_pydict({"k": [3], "c": [1]})
    both = left.join(other, on="k", coalesce_duplicate_keys=False)
    assert len(both.schema().names) == 4
    with pytest.raises(ValueError, match="join type"):
        left.join_on(right, "k = key", how="sideways")


def test_describe():
    # More threads than rows: some workers see no rows (regression for the
    # ungrouped-aggregate merge of never-sized worker states).
    ctx = shoal.SessionContext({"shoal.execution.threads": 4})
    df = ctx.from_pydict({"n": [1, 2, None, 4], "s": ["b", "a", None, "c"]})
    d = df.describe()
    assert d.schema().names == ["describe", "n", "s"]
    assert d.schema().field("n").type == pa.float64()
    out = d.to_pydict()
    assert out["describe"] == ["count", "null_count", "mean", "std", "min", "max", "median"]
    assert out["n"][:3] == [3.0, 1.0, pytest.approx(7 / 3)]
    assert out["n"][3] == pytest.approx(1.5275252316519465)
    assert out["n"][4:] == [1.0, 4.0, 2.0]
    assert out["s"] == ["3", "1", None, None, "a", "c", None]


def test_cast_fill_null_transform_column(people):
    assert people.cast({"id": pa.float64()}).schema().field("id").type == pa.float64()
    with pytest.raises(ValueError):
        people.cast({"nope": "INT"})
    filled = people.fill_null(0).sort("id").to_pydict()
    assert filled["score"] == [1.5, 0.0, 3.5, 4.0] and filled["name"][2] is None
    assert people.fill_null("?", subset=["name"]).sort("id").to_pydict()["name"][2] == "?"
    top = people.transform(lambda df, n: df.sort("id").limit(n), 1)
    assert top.to_pydict()["id"] == [1]
    assert people.filter(people.column("id") > lit(3)).to_pydict()["id"] == [4]
    with pytest.raises(ValueError, match="nope"):
        people.column("nope")
    assert people.select_exprs("id * 2 AS d").sort("d").to_pydict() == {"d": [2, 4, 6, 8]}
    assert people.sort_by("score").limit(1).to_pydict()["id"] == [1]


def test_execution_forms(people):
    streams = people.execute_stream_partitioned()
    assert len(streams) == 1 and sum(b.num_rows for b in streams[0]) == 4
    parts = people.collect_partitioned()
    assert sum(b.num_rows for part in parts for b in part) == 4
    column = people.sort("id").collect_column("name")
    assert isinstance(column, pa.ChunkedArray) and column.to_pylist() == ["ann", "bob", None, "dee"]
    with pytest.raises(ValueError):
        people.collect_column("nope")


def test_async_iteration(people):
    async def total(source):
        n = 0
        async for batch in source:
            assert isinstance(batch, pa.RecordBatch)
            n += batch.num_rows
        return n

    assert asyncio.run(total(people)) == 4
    assert asyncio.run(total(people.execute_stream())) == 4
    assert asyncio.run(total(people.cache())) == 4


def test_cache_is_a_snapshot(ctx):
    ctx.from_pydict({"a": [1, 2]}, name="src")
    cached = ctx.table("src").cache()
    ctx.from_pydict({"a": [100]}, name="src")  # replace the source
    assert sorted(cached.to_pydict()["a"]) == [1, 2]
    assert cached.filter("a > 1").to_pydict() == {"a": [2]}
    assert ctx.table("src").to_pydict() == {"a": [100]}


def test_explain_analyze_prints_metrics(people, capsys):
    people.filter("id > 1").explain(analyze=True)
    out = capsys.readouterr().out
    assert "rows_out" in out
    people.explain()
    out = capsys.readouterr().out
    assert "physical_plan:" in out and "logical_plan:" in out


def test_writers_use_copy(ctx, people, tmp_path):
    sorted_people = people.sort("id")
    sorted_people.write_parquet(tmp_path / "p.parquet")
    assert pq.read_table(tmp_path / "p.parquet").to_pydict() == sorted_people.to_pydict()
    sorted_people.write_parquet(str(tmp_path / "s.parquet"), compression="snappy")
    meta = pq.ParquetFile(str(tmp_path / "s.parquet")).metadata
    assert meta.row_group(0).column(0).compression == "SNAPPY"
    with pytest.raises(shoal.ShoalError, match="compression"):
        sorted_people.write_parquet(str(tmp_path / "bad.parquet"), compression="zip-zap")
    sorted_people.select("id").write_csv(tmp_path / "noheader.csv")
    assert (tmp_path / "noheader.csv").read_text().split() == ["1", "2", "3", "4"]
    sorted_people.select("id").write_csv(tmp_path / "header.csv", with_header=True)
    assert (tmp_path / "header.csv").read_text().split()[0].strip('"') == "id"
    sorted_people.write_json(tmp_path / "p.json")
    rows = [json.loads(l) for l in (tmp_path / "p.json").read_text().splitlines()]
    assert rows[1] == {"id": 2, "name": "bob", "score": None}
    ctx.sql("CREATE TABLE target (id BIGINT, name VARCHAR, score DOUBLE)")
    people.filter("id > 2").write_table("target")
    assert ctx.sql("SELECT count(*) AS n FROM target").to_pydict() == {"n": [2]}


def test_show_and_repr(ctx, capsys):
    df = ctx.from_pydict({"n": list(range(25)), "text": ["x" * 100] + ["a\nb"] + ["s"] * 23})
    df.sort("n").show(3)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1].split() == ["|", "n", "|", "text", "|"]
    assert "x" * 59 + "…" in out and "x" * 61 not in out  # long values cut
    assert "| 1 | a" in out.replace("  ", " ") and any(l.startswith("|   | b") for l in lines)
    assert lines[-1] == "(showing the first 3 rows)"
    text = repr(df.sort("n"))
    assert text.startswith("DataFrame()") and len(text.splitlines()) <= 16
    assert max(len(l) for l in text.splitlines()) <= 100
    assert "a\\nb" in text  # a line break does not break the preview's rows
    wide = ctx.from_pydict({f"column_{i}": [i] for i in range(40)})
    text = repr(wide)
    assert max(len(l) for l in text.splitlines()) <= 100 and "of 40 columns" in text
    html = df._repr_html_()
    assert html.startswith("<table>") and "<th>text</th>" in html and "showing the first 10" in html
    assert repr(ctx.sql("CREATE TABLE nothing (a INT)")) == "DataFrame()\n(no columns)"


@pytest.mark.parametrize("threads", [1, 2, 4, 8])
def test_ungrouped_min_max_with_idle_workers(threads):
    ctx = shoal.SessionContext({"shoal.execution.threads": threads})
    ctx.from_pydict({"s": ["x", "y", None, "w"], "n": [3, None, 7, 5]}, name="t")
    for _ in range(10):
        assert ctx.sql("SELECT min(s) AS a, max(s) AS b, min(n) AS c, max(n) AS d FROM t").to_pylist() == [
            {"a": "w", "b": "y", "c": 3, "d": 7}
        ]
