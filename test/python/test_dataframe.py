"""DataFrame verbs against values computed in Python."""

import pyarrow as pa
import pytest

import shoal
from shoal import col, functions as f, lit

ROWS = [
    {"id": i, "grp": "abc"[i % 3], "val": (i * 7) % 11, "Mixed": i * 0.5}
    for i in range(30)
]


@pytest.fixture
def df(ctx):
    return ctx.from_pylist(ROWS, name="data")


def test_collect_returns_batches(df):
    batches = df.collect()
    assert all(isinstance(b, pa.RecordBatch) for b in batches)
    assert sum(b.num_rows for b in batches) == 30
    assert df.count() == 30


def test_select_and_expressions(df):
    out = df.select("id", (col("val") * 2 + 1).alias("v2"), col("Mixed")).sort("id").to_pylist()
    assert out == [{"id": r["id"], "v2": r["val"] * 2 + 1, "Mixed": r["Mixed"]} for r in ROWS]
    # SQL text is accepted as an expression.
    out = df.select("id + 100 AS big").sort("big").limit(2).to_pydict()
    assert out == {"big": [100, 101]}


def test_select_columns_keeps_case(df):
    assert df.select_columns("Mixed").schema().names == ["Mixed"]


def test_filter(df):
    got = df.filter((col("val") > 5) & (col("grp") != lit("b"))).sort("id").to_pydict()["id"]
    assert got == [r["id"] for r in ROWS if r["val"] > 5 and r["grp"] != "b"]
    got = df.filter("val <= 2").sort("id").to_pydict()["id"]
    assert got == [r["id"] for r in ROWS if r["val"] <= 2]


def test_with_column_and_rename(df):
    out = df.with_column("double", col("val") * 2).sort("id").limit(3).to_pydict()
    assert out["double"] == [r["val"] * 2 for r in ROWS[:3]]
    assert list(out) == ["id", "grp", "val", "Mixed", "double"]
    replaced = df.with_column("val", col("val") + 1).sort("id").limit(2).to_pydict()
    assert list(replaced) == ["id", "grp", "val", "Mixed"]
    assert replaced["val"] == [ROWS[0]["val"] + 1, ROWS[1]["val"] + 1]
    renamed = df.with_column_renamed("val", "value")
    assert renamed.schema().names == ["id", "grp", "value", "Mixed"]
    assert df.with_column_renamed("nope", "x").schema().names == df.schema().names


def test_aggregate(df):
    out = df.aggregate([col("grp")], [f.sum(col("val")).alias("s"), f.count().alias("n"),
                                      f.min("id").alias("lo"), f.max("id").alias("hi"),
                                      f.avg(col("val")).alias("mean")])
    got = {r["grp"]: r for r in out.to_pylist()}
    for g in "abc":
        vals = [r["val"] for r in ROWS if r["grp"] == g]
        ids = [r["id"] for r in ROWS if r["grp"] == g]
        assert got[g]["s"] == sum(vals)
        assert got[g]["n"] == len(vals)
        assert (got[g]["lo"], got[g]["hi"]) == (min(ids), max(ids))
        assert got[g]["mean"] == pytest.approx(sum(vals) / len(vals))
    total = df.aggregate([], [f.sum(col("val")).alias("s")]).to_pydict()
    assert total == {"s": [sum(r["val"] for r in ROWS)]}


def test_sort_and_limit(df):
    out = df.sort(col("val").sort(ascending=False), col("id").sort()).limit(5, offset=2).to_pydict()
    expected = sorted(ROWS, key=lambda r: (-r["val"], r["id"]))[2:7]
    assert out["id"] == [r["id"] for r in expected]
    # The order survives a filter and a projection of the sort key.
    ordered = df.sort(col("id").sort(ascending=False)).filter("val > 3").select("id").to_pydict()
    assert ordered["id"] == sorted([r["id"] for r in ROWS if r["val"] > 3], reverse=True)


def test_sort_nulls(ctx):
    df = ctx.from_pydict({"x": [2, None, 1]})
    assert df.sort(col("x").sort(nulls_first=True)).to_pydict()["x"] == [None, 1, 2]
    assert df.sort(col("x").sort(ascending=False, nulls_first=False)).to_pydict()["x"] == [2, 1, None]


def test_join(ctx):
    left = ctx.from_pydict({"k": [1, 2, 3], "a": ["x", "y", "z"]})
    right = ctx.from_pydict({"k": [2, 3, 4], "b": [20, 30, 40]})
    inner = left.join(right, on="k").sort("k").to_pydict()
    assert inner == {"k": [2, 3], "a": ["y", "z"], "b": [20, 30]}
    lefto = left.join(right, on="k", how="left").sort("k").to_pydict()
    assert lefto == {"k": [1, 2, 3], "a": ["x", "y", "z"], "b": [None, 20, 30]}
    right2 = ctx.from_pydict({"key": [1, 1, 3], "c": [1.0, 2.0, 3.0]})
    by_keys = left.join(right2, left_on="k", right_on="key").sort("c").select("a", "c").to_pydict()
    assert by_keys == {"a": ["x", "x", "z"], "c": [1.0, 2.0, 3.0]}
    with pytest.raises(ValueError):
        left.join(right, on="k", how="sideways")


def test_distinct_and_union(ctx):
    a = ctx.from_pydict({"v": [1, 1, 2]})
    b = ctx.from_pydict({"v": [2, 3]})
    assert sorted(a.distinct().to_pydict()["v"]) == [1, 2]
    assert sorted(a.union(b).to_pydict()["v"]) == [1, 1, 2, 2, 3]
    assert sorted(a.union(b, distinct=True).to_pydict()["v"]) == [1, 2, 3]


def test_conversions(df):
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pdf = df.sort("id").to_pandas()
    assert isinstance(pdf, pd.DataFrame)
    assert pdf["val"].tolist() == [r["val"] for r in ROWS]
    pldf = df.sort("id").to_polars()
    assert isinstance(pldf, pl.DataFrame)
    assert pldf["id"].to_list() == list(range(30))
    table = df.sort("id").to_arrow_table()
    assert table.num_rows == 30
    assert df.sort("id").to_pylist() == ROWS


def test_iteration_and_execute_stream(df):
    rows = 0
    for batch in df:
        assert isinstance(batch, pa.RecordBatch)
        rows += batch.num_rows
    assert rows == 30
    with df.execute_stream() as stream:
        assert stream.schema.names == ["id", "grp", "val", "Mixed"]
        first = next(stream)
        assert first.num_rows > 0


def test_schema_types(df):
    schema = df.schema()
    assert schema.field("id").type == pa.int64()
    assert schema.field("grp").type in (pa.string(), pa.large_string(), pa.string_view())
    assert schema.field("Mixed").type == pa.float64()


def test_explain_show_and_repr(df, capsys):
    df.filter("val > 3").explain()
    printed = capsys.readouterr().out
    assert printed.strip() != ""
    df.sort("id").show(3)
    shown = capsys.readouterr().out
    assert "grp" in shown and "showing the first 3 rows" in shown
    text = repr(df.sort("id"))
    assert text.startswith("DataFrame()") and "Mixed" in text


def test_expr_rendering():
    e = (col("a") + 1).alias("b")
    assert e.select_sql() == '("a" + 1) AS "b"'
    assert lit("it's").sql() == "'it''s'"
    assert col("a").is_null().sql() == '("a" IS NULL)'
    assert col("x").cast(pa.int64()).sql() == 'CAST("x" AS BIGINT)'
    assert col("x").sort(ascending=False, nulls_first=True).sql() == '"x" DESC NULLS FIRST'
    assert f.count().sql() == "count(*)"
    with pytest.raises(TypeError):
        bool(col("a") > 1)


def test_functions_evaluate(ctx):
    df = ctx.from_pydict({"s": ["Ab", "cD", None], "n": [1.25, -2.5, 3.0]})
    out = df.select(f.upper(col("s")).alias("u"), f.abs(col("n")).alias("a"),
                    f.coalesce(col("s"), lit("?")).alias("c"),
                    f.when(col("n") > 0, "pos").otherwise("neg").alias("sign")).to_pydict()
    assert out == {"u": ["AB", "CD", None], "a": [1.25, 2.5, 3.0], "c": ["Ab", "cD", "?"],
                   "sign": ["pos", "neg", "pos"]}
