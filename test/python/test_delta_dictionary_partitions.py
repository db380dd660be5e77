"""Delta option 'dictionary_partition_values': partition columns as dictionary
arrays. Results must match the table read without the option; the Arrow type
must be dictionary<int32, T>; file skipping must still prune."""

import pyarrow as pa
import pytest

import shoal

deltalake = pytest.importorskip("deltalake")


@pytest.fixture
def events(tmp_path):
    path = tmp_path / "events"
    deltalake.write_deltalake(str(path), pa.table({"id": [1, 2], "day": ["mon", "mon"],
                                                   "n": pa.array([7, 7], pa.int32())}),
                              partition_by=["day", "n"])
    deltalake.write_deltalake(str(path), pa.table({"id": [3, 4], "day": ["tue", "wed"],
                                                   "n": pa.array([8, None], pa.int32())}),
                              partition_by=["day", "n"], mode="append")
    deltalake.write_deltalake(str(path), pa.table({"id": [5], "day": ["wed"],
                                                   "n": pa.array([9], pa.int32())}),
                              partition_by=["day", "n"], mode="append")
    return path


@pytest.fixture
def many(tmp_path):
    """More files than threads, each append with other partition values (so each
    file's batches carry a different dictionary), including NULL partitions."""
    path = tmp_path / "many"
    appends = [
        {"id": [1, 2], "day": ["mon", "mon"], "n": [7, 7]},
        {"id": [3, 4], "day": ["tue", "wed"], "n": [8, None]},
        {"id": [5], "day": ["wed"], "n": [9]},
        {"id": [6, 7, 8], "day": ["sun", "fri", None], "n": [1, 2, 3]},
        {"id": [9, 10], "day": ["abc", "mon"], "n": [100, 7]},
        {"id": [11, 12, 13], "day": ["zzz", "tue", "mon"], "n": [None, 8, 5]},
    ]
    for i, a in enumerate(appends):
        deltalake.write_deltalake(str(path), pa.table({"id": a["id"], "day": a["day"],
                                                       "n": pa.array(a["n"], pa.int32())}),
                                  partition_by=["day", "n"], mode="append" if i else "error")
    return path


def contexts(events, settings=()):
    ctx = shoal.SessionContext()
    for s in settings:
        ctx.sql(s)
    ctx.sql(f"CREATE EXTERNAL TABLE plain STORED AS DELTATABLE LOCATION '{events}'")
    ctx.sql(f"CREATE EXTERNAL TABLE dict STORED AS DELTATABLE LOCATION '{events}' "
            "OPTIONS ('dictionary_partition_values' 'true')")
    return ctx


def decoded(table):
    cols = [c.dictionary_decode() if pa.types.is_dictionary(c.type) else c
            for c in (table.column(i).combine_chunks() for i in range(table.num_columns))]
    return pa.table(cols, names=table.column_names)


def test_arrow_types_are_dictionary(events):
    ctx = contexts(events)
    t = ctx.sql("SELECT id, day, n FROM dict ORDER BY id").to_arrow_table()
    assert t.schema.field("day").type == pa.dictionary(pa.int32(), pa.string())
    assert t.schema.field("n").type == pa.dictionary(pa.int32(), pa.int32())
    assert t.schema.field("id").type == pa.int64()
    plain = ctx.sql("SELECT id, day, n FROM plain ORDER BY id").to_arrow_table()
    assert plain.schema.field("day").type in (pa.string(), pa.large_string(), pa.string_view())
    assert decoded(t).to_pylist() == plain.to_pylist()
    assert t.column("n").to_pylist() == [7, 7, 8, None, 9]
    # The table schema reports dictionary types too.
    schema = ctx.table("dict").schema()
    assert pa.types.is_dictionary(schema.field("day").type)


def test_to_pandas_is_categorical(events):
    ctx = contexts(events)
    df = ctx.sql("SELECT id, day FROM dict ORDER BY id").to_pandas()
    assert str(df["day"].dtype) == "category"
    assert list(df["day"].astype(str)) == ["mon", "mon", "tue", "wed", "wed"]


QUERIES = [
    "SELECT id, day, n FROM {t} ORDER BY id",
    "SELECT id FROM {t} WHERE day = 'wed' ORDER BY id",
    "SELECT id FROM {t} WHERE n = 8 OR n IS NULL ORDER BY id",
    "SELECT CAST(day AS VARCHAR) AS k, count(*) AS c, sum(id) AS s FROM {t} GROUP BY 1 ORDER BY 1",
    "SELECT day, id FROM {t} ORDER BY id DESC",
    "SELECT n, id FROM {t} ORDER BY n LIMIT 1",
    "SELECT count(DISTINCT day) AS a, count(DISTINCT n) AS b FROM {t}",
    "SELECT a.id AS x, b.id AS y FROM {t} a JOIN {t} b ON a.day = b.day AND a.id < b.id ORDER BY 1, 2",
    "SELECT a.id AS x, b.id AS y FROM {t} a JOIN plain b ON a.n = b.n ORDER BY 1, 2",
    "SELECT max(day) AS m, min(n) AS k FROM {t}",
]
# Operations that use the dictionary column directly as a key (no CAST).
KEY_QUERIES = [
    "SELECT day, count(*) AS c, sum(id) AS s FROM {t} GROUP BY day ORDER BY 1 NULLS FIRST",
    "SELECT day, max(id) AS m FROM {t} GROUP BY day HAVING count(*) > 1 ORDER BY day",
    "SELECT DISTINCT day, n FROM {t} ORDER BY 1 NULLS FIRST, 2 NULLS FIRST",
    "SELECT day, id FROM {t} ORDER BY day, id",
    "SELECT day, id FROM {t} ORDER BY day DESC NULLS FIRST, id",
    "SELECT n, id FROM {t} ORDER BY n DESC NULLS LAST, id LIMIT 2",
    "SELECT day, n FROM {t} ORDER BY day DESC, n LIMIT 3",
    "SELECT id, row_number() OVER (PARTITION BY day ORDER BY id) AS r FROM {t} ORDER BY id",
    "SELECT id, rank() OVER (ORDER BY day) AS r FROM {t} ORDER BY id",
    "SELECT id, sum(id) OVER (PARTITION BY n ORDER BY day, id) AS r FROM {t} ORDER BY id",
    "SELECT day FROM {t} UNION ALL SELECT day FROM plain ORDER BY 1",
    "SELECT day FROM {t} UNION SELECT day FROM plain ORDER BY 1",
    "SELECT day, n FROM {t} INTERSECT SELECT day, n FROM {t} ORDER BY 1, 2",
    "SELECT day FROM {t} EXCEPT SELECT day FROM {t} WHERE id < 4 ORDER BY 1",
    "SELECT id FROM {t} WHERE day IN ('mon', 'wed') ORDER BY id",
    "SELECT id FROM {t} WHERE day > 'mon' ORDER BY id",
    "SELECT id FROM {t} WHERE n BETWEEN 2 AND 8 ORDER BY id",
    "SELECT a.id AS x, b.id AS y FROM {t} a JOIN plain b ON a.day = b.day ORDER BY 1, 2",
    "SELECT a.id AS x, b.id AS y FROM plain a LEFT JOIN {t} b ON a.n = b.n ORDER BY 1, 2",
    "SELECT max(day) AS m, min(day) AS k, min(n) AS j, max(n) AS q FROM {t}",
    "SELECT CASE WHEN day = 'mon' THEN 'x' ELSE day END AS c FROM {t} ORDER BY id",
    "SELECT id FROM {t} WHERE day = CAST(n AS VARCHAR) OR day < 'n' ORDER BY id",
]
SMALL_SETTINGS = [
    (),
    ("SET shoal.execution.threads = 1", "SET shoal.execution.batch_size = 1"),
    ("SET shoal.execution.threads = 2", "SET shoal.execution.batch_size = 1"),
]


@pytest.mark.parametrize("query", QUERIES + KEY_QUERIES)
def test_results_match_without_option(events, query):
    ctx = contexts(events)
    want = ctx.sql(query.format(t="plain")).to_arrow_table()
    got = ctx.sql(query.format(t="dict")).to_arrow_table()
    assert decoded(got).to_pylist() == want.to_pylist()


@pytest.mark.parametrize("settings", SMALL_SETTINGS)
@pytest.mark.parametrize("query", QUERIES + KEY_QUERIES)
def test_key_operations_with_many_dictionaries(many, query, settings):
    # Repeat: thread scheduling decides which dictionaries meet in one batch.
    for _ in range(3):
        ctx = contexts(many, settings)
        want = ctx.sql(query.format(t="plain")).to_arrow_table()
        got = ctx.sql(query.format(t="dict")).to_arrow_table()
        assert decoded(got).to_pylist() == want.to_pylist(), query


def test_key_outputs_keep_dictionary_type(many):
    ctx = contexts(many, ("SET shoal.execution.batch_size = 1",))
    dict_type = pa.dictionary(pa.int32(), pa.string())
    for query in ["SELECT day FROM dict GROUP BY day",
                  "SELECT DISTINCT day FROM dict",
                  "SELECT day FROM dict ORDER BY day",
                  "SELECT day FROM dict UNION SELECT day FROM dict"]:
        t = ctx.sql(query).to_arrow_table()
        assert t.schema.field("day").type == dict_type, query
    t = ctx.sql("SELECT day FROM dict ORDER BY day NULLS FIRST").to_arrow_table()
    assert t.column("day").to_pylist() == [None, "abc", "fri", "mon", "mon", "mon", "mon",
                                           "sun", "tue", "tue", "wed", "wed", "zzz"]


def test_file_skipping_still_prunes(events):
    ctx = contexts(events)
    plan = ctx.sql("EXPLAIN ANALYZE SELECT id FROM dict WHERE day = 'tue'").to_pydict()
    text = "\n".join(str(v) for col in plan.values() for v in col)
    assert "files_pruned=3" in text, text


def test_register_delta_option(events):
    ctx = shoal.SessionContext()
    ctx.register_delta("r", events, storage_options={"dictionary_partition_values": "true"})
    t = ctx.sql("SELECT day FROM r").to_arrow_table()
    assert pa.types.is_dictionary(t.schema.field("day").type)


def test_file_skipping_with_in_list_and_range(events):
    ctx = contexts(events)
    for query, pruned in [("SELECT id FROM dict WHERE day IN ('tue', 'mon')", 2),
                          ("SELECT id FROM dict WHERE day > 'tue'", 2),
                          ("SELECT id FROM dict WHERE n = 8 OR n IS NULL", 2),
                          ("SELECT id FROM dict WHERE n >= 9 AND day = 'wed'", 3)]:
        plan = ctx.sql("EXPLAIN ANALYZE " + query).to_pydict()
        text = "\n".join(str(v) for col in plan.values() for v in col)
        assert f"files_pruned={pruned}" in text, text
