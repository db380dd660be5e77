"""Delta change data feed (SQL table_changes, DeltaTable.load_cdf) against delta-rs,
and EXPLAIN of Delta scans (snapshot version, files skipped by partition / stats).

Tables are written here with deltalake; Shoal's changes must equal deltalake's
``load_cdf`` for several version and timestamp ranges, ignoring row order.
"""

import datetime as dt
import re

import pyarrow as pa
import pytest

import shoal

deltalake = pytest.importorskip("deltalake")
from deltalake import DeltaTable, write_deltalake  # noqa: E402

CDF = {"delta.enableChangeDataFeed": "true"}


# ----------------------------------------------------------------- helpers
def _norm(table):
    """Return rows as sorted tuples of (column, value) with comparable types."""
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        t = col.type
        if pa.types.is_string_view(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t):
            col = col.cast(pa.string())
        elif pa.types.is_unsigned_integer(t):
            col = col.cast(pa.int64())
        elif pa.types.is_timestamp(t):
            # commit timestamps are whole milliseconds: compare them as such
            col = col.cast(pa.timestamp(t.unit)).cast(pa.int64())
            if t.unit == "us":
                col = pa.array([None if v is None else v // 1000 for v in col.to_pylist()], pa.int64())
        cols[name] = col.to_pylist() if hasattr(col, "to_pylist") else list(col)
    names = sorted(cols)
    rows = [tuple(cols[n][i] for n in names) for i in range(table.num_rows)]
    return names, sorted(rows, key=lambda r: tuple((v is None, str(type(v)), v) for v in r))


def delta_rs_changes(path, **kw):
    reader = DeltaTable(str(path)).load_cdf(**kw)
    return pa.RecordBatchReader.from_stream(reader).read_all()


def assert_same_changes(ours, theirs):
    assert isinstance(ours, pa.Table)
    n1, r1 = _norm(ours)
    n2, r2 = _norm(theirs)
    assert n1 == n2
    assert r1 == r2


def sql_changes(ctx, target, *args):
    def lit(a):
        if a is None:
            return "NULL"
        return str(a) if isinstance(a, int) else "'" + str(a) + "'"
    arg_text = ", ".join(["'" + str(target) + "'"] + [lit(a) for a in args])
    return ctx.sql(f"SELECT * FROM table_changes({arg_text})").to_arrow_table()


def commit_times(path):
    return {h["version"]: h["timestamp"] for h in DeltaTable(str(path)).history()}


def iso(ms):
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ----------------------------------------------------------------- tables
@pytest.fixture(scope="module")
def cdf_table(tmp_path_factory):
    """v0 create, v1 append, v2 delete, v3 update, v4 merge, v5 optimize, v6 overwrite."""
    path = tmp_path_factory.mktemp("cdf") / "t"
    write_deltalake(str(path), pa.table({"id": pa.array([1, 2, 3, 4], pa.int64()),
                                         "v": ["a", "b", "c", "d"],
                                         "part": ["x", "y", "x", "y"]}),
                    partition_by=["part"], configuration=CDF)
    write_deltalake(str(path), pa.table({"id": pa.array([5, 6], pa.int64()), "v": ["e", "f"],
                                         "part": ["x", "z"]}), mode="append")
    DeltaTable(str(path)).delete("id = 2")
    DeltaTable(str(path)).update(updates={"v": "'zz'"}, predicate="id = 1")
    source = pa.table({"id": pa.array([3, 7], pa.int64()), "v": ["cc", "g"], "part": ["x", "y"]})
    (DeltaTable(str(path)).merge(source, "t.id = s.id", source_alias="s", target_alias="t")
     .when_matched_update_all().when_not_matched_insert_all().execute())
    DeltaTable(str(path)).optimize.compact()
    write_deltalake(str(path), pa.table({"id": pa.array([10, 11], pa.int64()), "v": ["p", "q"],
                                         "part": ["x", "x"]}), mode="overwrite")
    assert DeltaTable(str(path)).version() == 6
    return path


@pytest.fixture(scope="module")
def plain_table(tmp_path_factory):
    """No change data feed: v0 create, v1 append, v2 delete, v3 overwrite."""
    path = tmp_path_factory.mktemp("nocdf") / "t"
    write_deltalake(str(path), pa.table({"id": pa.array([1, 2, 3], pa.int64()), "v": ["a", "b", "c"]}))
    write_deltalake(str(path), pa.table({"id": pa.array([4], pa.int64()), "v": ["d"]}), mode="append")
    DeltaTable(str(path)).delete("id = 2")
    write_deltalake(str(path), pa.table({"id": pa.array([9], pa.int64()), "v": ["z"]}), mode="overwrite")
    return path


# ------------------------------------------------------------ comparisons
RANGES = [(0, None), (0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (1, 4), (2, 6),
          (0, 6), (3, 100)]


@pytest.mark.parametrize("start,end", RANGES)
def test_cdf_versions_match_delta_rs(cdf_table, start, end):
    want = delta_rs_changes(cdf_table, starting_version=start, ending_version=end)
    ours = pa.RecordBatchReader.from_stream(
        shoal.DeltaTable(cdf_table).load_cdf(starting_version=start, ending_version=end)).read_all()
    assert_same_changes(ours, want)
    ctx = shoal.SessionContext()
    args = (start,) if end is None else (start, end)
    assert_same_changes(sql_changes(ctx, cdf_table, *args), want)


def test_cdf_change_types_and_schema(cdf_table):
    reader = shoal.DeltaTable(cdf_table).load_cdf(starting_version=0)
    assert isinstance(reader, pa.RecordBatchReader)
    t = reader.read_all()
    assert t.column_names == ["id", "v", "part", "_change_type", "_commit_version",
                              "_commit_timestamp"]
    assert t.schema.field("_commit_version").type == pa.int64()
    assert pa.types.is_timestamp(t.schema.field("_commit_timestamp").type)
    by_version = {}
    for r in t.to_pylist():
        by_version.setdefault(r["_commit_version"], set()).add(r["_change_type"])
    assert by_version[0] == {"insert"}
    assert by_version[2] == {"delete"}
    assert by_version[3] == {"update_preimage", "update_postimage"}
    assert 5 not in by_version  # OPTIMIZE (dataChange=false) changes nothing
    times = commit_times(cdf_table)
    for r in t.to_pylist():
        ts = r["_commit_timestamp"]
        assert int(ts.timestamp() * 1000) == times[r["_commit_version"]]


def test_cdf_timestamp_ranges(cdf_table):
    times = commit_times(cdf_table)
    cases = [dict(starting_timestamp=iso(times[2])),
             dict(starting_timestamp=iso(times[1]), ending_timestamp=iso(times[3])),
             dict(ending_timestamp=iso(times[2])),
             dict(starting_version=2, starting_timestamp=iso(times[0]), ending_timestamp=iso(times[4]))]
    ctx = shoal.SessionContext()
    for kw in cases:
        want = delta_rs_changes(cdf_table, **kw)
        ours = shoal.DeltaTable(cdf_table).load_cdf(**kw).read_all()
        assert_same_changes(ours, want)
        assert ours.num_rows > 0, kw
    # SQL: timestamps as bounds (text or TIMESTAMP values).
    want = delta_rs_changes(cdf_table, starting_version=0, starting_timestamp=iso(times[2]),
                            ending_timestamp=iso(times[4]))
    assert_same_changes(sql_changes(ctx, cdf_table, iso(times[2]), iso(times[4])), want)
    q = (f"SELECT * FROM table_changes('{cdf_table}', TIMESTAMP '{iso(times[2])[:-1].replace('T', ' ')}', 4)")
    assert_same_changes(ctx.sql(q).to_arrow_table(),
                        delta_rs_changes(cdf_table, starting_version=2, ending_version=4))


def test_cdf_columns_predicate_and_registered_name(cdf_table):
    ctx = shoal.SessionContext()
    ctx.register_delta("events", cdf_table)
    by_name = ctx.sql("SELECT * FROM table_changes('events', 2, 4)").to_arrow_table()
    assert_same_changes(by_name, delta_rs_changes(cdf_table, starting_version=2, ending_version=4))
    rows = ctx.sql("SELECT id, _change_type FROM table_changes('events', 0) "
                   "WHERE _change_type = 'delete' AND part = 'y' AND _commit_version < 6 ORDER BY id").to_pylist()
    assert rows == [{"id": 2, "_change_type": "delete"}]
    t = shoal.DeltaTable(cdf_table).load_cdf(starting_version=0, columns=["id", "_change_type"],
                                             predicate="_commit_version = 3").read_all()
    assert t.column_names == ["id", "_change_type"]
    assert sorted(t.to_pylist(), key=lambda r: r["_change_type"]) == [
        {"id": 1, "_change_type": "update_postimage"}, {"id": 1, "_change_type": "update_preimage"}]


def test_cdf_without_cdf_from_add_remove(plain_table):
    ctx = shoal.SessionContext()
    for start, end in [(1, None), (1, 1), (2, 2), (3, 3), (1, 3)]:
        want = delta_rs_changes(plain_table, starting_version=start, ending_version=end)
        ours = shoal.DeltaTable(plain_table).load_cdf(starting_version=start, ending_version=end)
        assert_same_changes(ours.read_all(), want)
        args = (start,) if end is None else (start, end)
        assert_same_changes(sql_changes(ctx, plain_table, *args), want)
    # The delete rewrote the file: its old rows are deletes, the kept rows inserts.
    v2 = sql_changes(ctx, plain_table, 2, 2).to_pylist()
    assert sorted((r["id"], r["_change_type"]) for r in v2) == [
        (1, "delete"), (1, "insert"), (2, "delete"), (3, "delete"), (3, "insert")]
    # Version 0 has a metaData action without delta.enableChangeDataFeed: refused like delta-rs.
    with pytest.raises(Exception):
        delta_rs_changes(plain_table, starting_version=0)
    with pytest.raises(Exception, match="change data feed is not enabled"):
        shoal.DeltaTable(plain_table).load_cdf(starting_version=0)


def test_cdf_errors(cdf_table):
    ctx = shoal.SessionContext()
    with pytest.raises(Exception, match="after the ending version"):
        sql_changes(ctx, cdf_table, 4, 2)
    with pytest.raises(Exception, match="after its latest version 6"):
        sql_changes(ctx, cdf_table, 7)
    with pytest.raises(Exception, match="must not be negative"):
        sql_changes(ctx, cdf_table, -1)
    with pytest.raises(Exception, match="after its latest commit"):
        sql_changes(ctx, cdf_table, "2999-01-01 00:00:00")
    with pytest.raises(Exception, match="version or a timestamp"):
        sql_changes(ctx, cdf_table, "yesterday")
    with pytest.raises(Exception, match="table_changes\\(\\) takes"):
        ctx.sql(f"SELECT * FROM table_changes('{cdf_table}')").collect()
    ctx.sql("CREATE TABLE m AS SELECT 1 AS x").collect()
    with pytest.raises(Exception, match="not a Delta table"):
        ctx.sql("SELECT * FROM table_changes('m', 0)").collect()
    # delta-rs too refuses a start after the latest version; allow_out_of_range gives no rows.
    with pytest.raises(Exception):
        delta_rs_changes(cdf_table, starting_version=7)
    empty = shoal.DeltaTable(cdf_table).load_cdf(starting_version=7, allow_out_of_range=True)
    assert empty.read_all().num_rows == 0


# ----------------------------------------------------------------- EXPLAIN
@pytest.fixture(scope="module")
def skip_table(tmp_path_factory):
    """Partitioned by part (x, y), two files per partition with disjoint id ranges."""
    path = tmp_path_factory.mktemp("skip") / "t"
    for lo, part in [(0, "x"), (100, "x"), (200, "y"), (300, "y")]:
        write_deltalake(str(path), pa.table({"id": pa.array(range(lo, lo + 10), pa.int64()),
                                             "part": [part] * 10}),
                        partition_by=["part"], mode="append")
    return path


def _plan_text(ctx, sql):
    plan = ctx.sql(sql).to_pydict()
    return "\n".join(str(v) for col in plan.values() for v in col)


def test_explain_shows_version_and_skipping(skip_table):
    ctx = shoal.SessionContext()
    ctx.register_delta("s", skip_table)
    text = _plan_text(ctx, "EXPLAIN SELECT id FROM s WHERE part = 'y' AND id >= 300")
    assert "version=3" in text, text
    assert "files=4 files_pruned=3 (by_partition=2 by_stats=1)" in text, text
    text = _plan_text(ctx, "EXPLAIN SELECT id FROM s WHERE id < 5")
    assert "files_pruned=3 (by_partition=0 by_stats=3)" in text, text
    text = _plan_text(ctx, "EXPLAIN ANALYZE SELECT id FROM s WHERE part = 'y' AND id >= 300")
    assert "files_pruned=3 (by_partition=2 by_stats=1)" in text, text
    assert "files_read=1" in text, text
    assert "rows_read=10" in text, text
    assert re.search(r"row_groups=1 row_groups_pruned=0", text), text
    # Time travel shows the version read.
    text = _plan_text(ctx, "EXPLAIN SELECT id FROM s VERSION AS OF 1")
    assert "version=1" in text and "files=2 files_pruned=0" in text, text


def test_explain_table_changes(cdf_table):
    ctx = shoal.SessionContext()
    text = _plan_text(ctx, f"EXPLAIN SELECT * FROM table_changes('{cdf_table}', 2, 4) "
                           "WHERE _commit_version = 3")
    assert "delta_changes" in text and "versions=2..4" in text, text
    assert re.search(r"files_pruned=[1-9]", text), text


# ------------------------------------------- shared test tables (deletion vectors)
TESTDATA_DELTA_RS = __import__("pathlib").Path(__file__).resolve().parents[3] / "shared" / \
    "testdata" / "delta" / "delta-rs"

# The change feed of cdf-table-with-cdc-and-dvs (Spark: DELETE by deletion vectors
# writes no cdc files), as delta-kernel-rs's cdf tests expect it.
DV_TABLE_CHANGES = [
    (1, "initial", "insert", 0), (2, "insert1", "insert", 1), (3, "insert1-delete1", "insert", 1),
    (4, "insert1-delete2", "insert", 1), (5, "insert1-delete2", "insert", 1),
    (3, "insert1-delete1", "delete", 2), (3, "insert1-delete1", "insert", 4),
    (4, "insert1-delete2", "delete", 5), (5, "insert1-delete2", "delete", 5),
    (4, "insert1-delete2", "insert", 7), (5, "insert2", "insert", 8),
    (1, "initial", "update_preimage", 9), (1, "update1", "update_postimage", 9),
    (2, "insert1", "update_preimage", 9), (2, "update1", "update_postimage", 9),
    (3, "insert1-delete1", "update_preimage", 9), (3, "update1", "update_postimage", 9),
    (1, "update1", "delete", 10), (2, "update1", "update_preimage", 12),
    (2, "update2", "update_postimage", 12), (6, "insert3", "insert", 14),
    (7, "insert3", "insert", 14), (8, "insert4", "insert", 15), (9, "insert4", "insert", 15),
    (8, "insert4", "delete", 16), (7, "insert3", "delete", 16), (10, "merge1-insert", "insert", 18),
    (11, "merge1-insert", "insert", 18), (9, "merge1-update", "update_postimage", 18),
    (9, "insert4", "update_preimage", 18), (11, "merge1-insert", "update_preimage", 20),
    (11, "", "update_postimage", 20), (12, "merge2-insert", "insert", 22), (11, "", "delete", 22),
    (3, "update1", "delete", 24), (4, "insert1-delete2", "delete", 24), (5, "insert2", "delete", 24),
    (2, "update2", "delete", 24), (6, "insert3", "delete", 24), (9, "merge1-update", "delete", 24),
    (0, "new", "insert", 25), (1, "after-large-delete", "insert", 25), (2, "", "insert", 25),
]


def test_cdf_with_deletion_vectors_matches_kernel():
    path = TESTDATA_DELTA_RS / "cdf-table-with-cdc-and-dvs"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    t = shoal.DeltaTable(path).load_cdf(starting_version=0).read_all()
    got = sorted((r["id"], r["comment"] or "", r["_change_type"], r["_commit_version"])
                 for r in t.to_pylist())
    assert got == sorted(DV_TABLE_CHANGES)
    # A sub-range reads the same rows as the whole feed restricted to it.
    part = shoal.DeltaTable(path).load_cdf(starting_version=9, ending_version=16).read_all()
    got = sorted((r["id"], r["comment"] or "", r["_change_type"], r["_commit_version"])
                 for r in part.to_pylist())
    assert got == sorted(c for c in DV_TABLE_CHANGES if 9 <= c[3] <= 16)


@pytest.mark.parametrize("name", ["cdf-table", "cdf-table-non-partitioned", "simple_table_with_cdc",
                                  "checkpoint-cdf-table", "cdc_ict_table"])
def test_cdf_shared_tables_match_delta_rs(name):
    path = TESTDATA_DELTA_RS / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    try:
        want = delta_rs_changes(path, starting_version=0)
    except Exception as e:  # delta-rs cannot read it: Shoal must not crash either
        pytest.skip(f"delta-rs cannot read the changes of {name}: {e}")
    ours = shoal.DeltaTable(path).load_cdf(starting_version=0).read_all()
    if name == "cdc_ict_table":
        # delta-rs stamps commits with commitInfo.timestamp; Shoal prefers inCommitTimestamp.
        want = want.drop(["_commit_timestamp"])
        ours = ours.drop(["_commit_timestamp"])
    assert_same_changes(ours, want)
