"""Shoal's native Delta writer (shoal.write_delta and SQL) against deltalake (delta-rs).

Every table written here is read back by deltalake and by Shoal and must hold
exactly the rows written; deltalake's history must show Shoal's commitInfo.
"""

import datetime as dt
import decimal
import json
import os
import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import shoal

deltalake = pytest.importorskip("deltalake")


def norm(table):
    """Return the table with string/timestamp flavours unified, columns sorted by name
    and rows sorted, as a list of dicts (for order-free comparison)."""
    cols = {}
    for name in sorted(table.column_names):
        col = table.column(name)
        t = col.type
        if pa.types.is_dictionary(t):
            col = col.cast(t.value_type)
            t = col.type
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            col = col.cast(pa.string())
        if pa.types.is_timestamp(t) and t.unit != "us":
            col = col.cast(pa.timestamp("us", t.tz))
        cols[name] = col
    rows = pa.table(cols).to_pylist()
    return sorted(rows, key=lambda r: json.dumps(r, default=str, sort_keys=True))


def shoal_read(path):
    ctx = shoal.SessionContext({"shoal.execution.threads": 2})
    ctx.register_delta("t", path)
    return ctx.sql("SELECT * FROM t").to_arrow_table()


def delta_read(path):
    return deltalake.DeltaTable(str(path)).to_pyarrow_table()


def assert_same(path, expected):
    want = norm(expected)
    assert norm(delta_read(path)) == want
    assert norm(shoal_read(path)) == want


def sample(n=10, offset=0):
    return pa.table({
        "id": pa.array(range(offset, offset + n), pa.int64()),
        "name": pa.array([f"name {i}" if i % 4 else None for i in range(offset, offset + n)],
                         pa.string()),
        "score": pa.array([i * 0.5 for i in range(offset, offset + n)], pa.float64()),
    })


# ----------------------------------------------------------------- basics
def test_create_append_overwrite_roundtrip(tmp_path):
    path = tmp_path / "t"
    r = shoal.write_delta(sample(10), path)
    assert r["version"] == 0 and r["num_rows"] == 10 and r["num_files"] == 1
    assert_same(path, sample(10))
    r = shoal.write_delta(sample(5, 100), path, mode="append")
    assert r["version"] == 1
    assert_same(path, pa.concat_tables([sample(10), sample(5, 100)]))
    r = shoal.write_delta(sample(3, 500), path, mode="overwrite")
    assert r["version"] == 2 and r["removed_files"] == 2
    assert_same(path, sample(3, 500))
    dt_ = deltalake.DeltaTable(str(path))
    assert dt_.version() == 2
    ops = [h["operation"] for h in dt_.history()]
    assert ops == ["WRITE", "WRITE", "CREATE TABLE"]
    newest = dt_.history()[0]
    assert newest["operationParameters"]["mode"] == "Overwrite"
    assert newest["engineInfo"] == "shoal/" + shoal.__version__
    assert newest["readVersion"] == 1
    assert newest["operationMetrics"]["numOutputRows"] in ("3", 3)
    # Time travel on deltalake sees the earlier versions.
    assert norm(deltalake.DeltaTable(str(path), version=0).to_pyarrow_table()) == norm(sample(10))


def test_modes_error_and_ignore(tmp_path):
    path = tmp_path / "t"
    shoal.write_delta(sample(4), path)
    with pytest.raises(shoal.AlreadyExistsError, match="already exists"):
        shoal.write_delta(sample(4), path)
    r = shoal.write_delta(sample(2, 50), path, mode="ignore")
    assert r["skipped"] and r["version"] == 0
    assert_same(path, sample(4))
    with pytest.raises(ValueError, match="mode"):
        shoal.write_delta(sample(1), path, mode="upsert")


def test_write_shoal_dataframe(tmp_path):
    ctx = shoal.SessionContext()
    df = ctx.sql("SELECT CAST(x AS BIGINT) AS x, 'v' || CAST(x AS VARCHAR) AS v "
                 "FROM (VALUES (1), (2), (3)) AS t(x)")
    shoal.write_delta(df, tmp_path / "t")
    assert_same(tmp_path / "t", pa.table({"x": pa.array([1, 2, 3], pa.int64()),
                                          "v": ["v1", "v2", "v3"]}))


def test_stats_and_file_layout(tmp_path):
    path = tmp_path / "t"
    long = "x" * 40
    data = pa.table({"id": pa.array([3, 1, 2], pa.int32()),
                     "s": [long, "a", None],
                     "d": pa.array([dt.date(2024, 1, 2), dt.date(2023, 5, 6), None]),
                     "ts": pa.array([dt.datetime(2024, 1, 1, 12, 0, 0, 123456),
                                     None, dt.datetime(2020, 1, 1)],
                                    pa.timestamp("us", "UTC"))})
    shoal.write_delta(data, path)
    log = (path / "_delta_log" / "00000000000000000000.json").read_text().splitlines()
    actions = [json.loads(line) for line in log]
    assert list(actions[0]) == ["commitInfo"]
    add = next(a["add"] for a in actions if "add" in a)
    assert add["path"].startswith("part-00000-") and add["path"].endswith("-c000.snappy.parquet")
    stats = json.loads(add["stats"])
    assert stats["numRecords"] == 3
    assert stats["minValues"]["id"] == 1 and stats["maxValues"]["id"] == 3
    assert stats["minValues"]["s"] == "a"
    assert stats["maxValues"]["s"].startswith("x" * 32) and stats["maxValues"]["s"] > long
    assert stats["nullCount"] == {"id": 0, "s": 1, "d": 1, "ts": 1}
    assert stats["minValues"]["d"] == "2023-05-06"
    assert stats["maxValues"]["ts"] == "2024-01-01T12:00:00.123Z"
    assert (path / add["path"]).stat().st_size == add["size"]
    assert_same(path, data)
    # deltalake's file skipping uses our statistics.
    got = deltalake.DeltaTable(str(path)).to_pyarrow_table(filters=[("id", ">", 5)])
    assert got.num_rows == 0


def test_num_indexed_cols(tmp_path):
    path = tmp_path / "t"
    shoal.write_delta(sample(3), path, configuration={"delta.dataSkippingNumIndexedCols": 1})
    log = (path / "_delta_log" / "00000000000000000000.json").read_text().splitlines()
    add = next(json.loads(l)["add"] for l in log if '"add"' in l)
    assert set(json.loads(add["stats"])["nullCount"]) == {"id"}
    meta = next(json.loads(l)["metaData"] for l in log if '"metaData"' in l)
    assert meta["configuration"] == {"delta.dataSkippingNumIndexedCols": "1"}


# ----------------------------------------------------------------- partitions
def test_partitioned_by_several_types(tmp_path):
    path = tmp_path / "t"
    data = pa.table({
        "v": pa.array(range(8), pa.int64()),
        "city": ["New York", "a/b=c%", None, "New York", "", "zürich", "New York", "x y"],
        "day": pa.array([dt.date(2024, 1, 1), dt.date(2024, 1, 2), None, dt.date(2024, 1, 1),
                         dt.date(2024, 1, 1), dt.date(2024, 1, 2), None, dt.date(2024, 1, 3)]),
        "n": pa.array([1, 2, 1, None, 1, 2, 1, 3], pa.int32()),
    })
    r = shoal.write_delta(data, path, partition_by=["city", "day", "n"])
    assert r["num_rows"] == 8
    dirs = sorted(p.name for p in path.iterdir() if p.name.startswith("city="))
    assert "city=New York" in dirs
    assert "city=a%2Fb%3Dc%25" in dirs
    assert "city=__HIVE_DEFAULT_PARTITION__" in dirs
    # Empty strings are null partition values in Delta.
    expected = data.set_column(1, "city", pa.array(
        [None if c == "" else c for c in data.column("city").to_pylist()]))
    assert_same(path, expected)
    dt_ = deltalake.DeltaTable(str(path))
    assert dt_.metadata().partition_columns == ["city", "day", "n"]
    got = dt_.to_pyarrow_table(filters=[("city", "=", "New York")])
    assert sorted(got.column("v").to_pylist()) == [0, 3, 6]
    # Appends to the partitioned table keep its partitioning.
    shoal.write_delta(data.slice(0, 2), path, mode="append")
    assert len(delta_read(path)) == 10
    with pytest.raises(shoal.InvalidError, match="partitioned by"):
        shoal.write_delta(data, path, mode="append", partition_by=["n"])


def test_partition_timestamp_and_bool(tmp_path):
    path = tmp_path / "t"
    data = pa.table({
        "v": [1, 2, 3],
        "flag": [True, False, None],
        "ts": pa.array([dt.datetime(2024, 1, 1, 1, 2, 3), dt.datetime(2024, 1, 1), None],
                       pa.timestamp("us", "UTC")),
    })
    shoal.write_delta(data, path, partition_by=["flag", "ts"])
    assert_same(path, data)


def test_target_file_size_rolls_over(tmp_path):
    path = tmp_path / "t"
    n = 200_000
    data = pa.table({"id": pa.array(range(n), pa.int64()),
                     "s": pa.array([f"value-{i * 7919 % 100003}" for i in range(n)])})
    reader = pa.RecordBatchReader.from_batches(data.schema, data.to_batches(max_chunksize=10_000))
    r = shoal.write_delta(reader, path, target_file_size=256 * 1024)
    assert r["num_files"] > 2
    files = deltalake.DeltaTable(str(path)).file_uris()
    assert len(files) == r["num_files"]
    assert len(delta_read(path)) == n
    assert_same(path, data)


# ----------------------------------------------------------------- checkpoints
def test_checkpoint_after_interval(tmp_path):
    path = tmp_path / "t"
    shoal.write_delta(sample(1), path, configuration={"delta.checkpointInterval": "5"})
    for i in range(1, 12):
        r = shoal.write_delta(sample(1, i), path, mode="append")
        assert r["checkpoint_written"] == (i % 5 == 0), r
    log = path / "_delta_log"
    assert (log / "00000000000000000005.checkpoint.parquet").exists()
    assert (log / "00000000000000000010.checkpoint.parquet").exists()
    hint = json.loads((log / "_last_checkpoint").read_text())
    assert hint["version"] == 10 and hint["numOfAddFiles"] == 11 and hint["size"] == 13
    cp = pq.read_table(log / "00000000000000000010.checkpoint.parquet")
    assert cp.column("add").null_count == 2
    expected = pa.concat_tables([sample(1, i) for i in range(12)])
    assert_same(path, expected)
    # Readers starting from the checkpoint alone (older commits gone) still work.
    for v in range(0, 10):
        (log / f"{v:020d}.json").unlink()
    assert_same(path, expected)


def test_120_appends_cross_default_checkpoint(tmp_path):
    path = tmp_path / "t"
    shoal.write_delta(sample(1), path)
    for i in range(1, 121):
        shoal.write_delta(sample(1, i), path, mode="append")
    assert (path / "_delta_log" / "00000000000000000100.checkpoint.parquet").exists()
    assert deltalake.DeltaTable(str(path)).version() == 120
    assert_same(path, pa.concat_tables([sample(1, i) for i in range(121)]))


# ----------------------------------------------------------------- interop
def test_append_to_deltalake_table(tmp_path):
    path = tmp_path / "t"
    first = pa.table({"k": pa.array([1, 2], pa.int64()), "p": ["a", "b"]})
    deltalake.write_deltalake(str(path), first, partition_by=["p"])
    more = pa.table({"k": pa.array([3, 4], pa.int64()), "p": ["a", "c"]})
    shoal.write_delta(more, path, mode="append")
    dt_ = deltalake.DeltaTable(str(path))
    assert dt_.version() == 1
    assert_same(path, pa.concat_tables([first, more]))
    deltalake.write_deltalake(str(path), more, mode="append")
    assert_same(path, pa.concat_tables([first, more, more]))


def test_schema_mismatch_lists_differences(tmp_path):
    path = tmp_path / "t"
    shoal.write_delta(sample(2), path)
    bad = pa.table({"id": pa.array([1], pa.int32()), "name": ["x"], "extra": [1.0]})
    with pytest.raises(shoal.InvalidError) as e:
        shoal.write_delta(bad, path, mode="append")
    msg = str(e.value)
    assert "column 'id' is long in the table but integer in the data" in msg
    assert "column 'score' (double) is missing" in msg
    assert "column 'extra' (double) is not in the table" in msg
    with pytest.raises(shoal.InvalidError, match="cannot merge"):
        shoal.write_delta(bad, path, mode="append", schema_mode="merge")
    with pytest.raises(shoal.InvalidError, match="needs mode 'overwrite'"):
        shoal.write_delta(bad, path, mode="append", schema_mode="overwrite")
    # replaceWhere (test_delta_maint.py): every row written must match the predicate.
    with pytest.raises(shoal.InvalidError, match="does not match the predicate"):
        shoal.write_delta(sample(1), path, mode="overwrite", predicate="id > 1")
    # Column order and string flavours do not matter.
    reordered = pa.table({"score": [9.0], "id": pa.array([9], pa.int64()),
                          "name": pa.array(["z"], pa.large_string())})
    shoal.write_delta(reordered, path, mode="append")
    assert len(delta_read(path)) == 3


def test_schema_merge_and_overwrite(tmp_path):
    path = tmp_path / "t"
    shoal.write_delta(pa.table({"a": pa.array([1], pa.int64()), "b": ["x"]}), path)
    # merge: a new column (old rows read as null) and a missing one (null here).
    shoal.write_delta(pa.table({"a": pa.array([2], pa.int64()), "c": [True]}), path,
                      mode="append", schema_mode="merge")
    expected = pa.table({"a": pa.array([1, 2], pa.int64()), "b": ["x", None],
                         "c": pa.array([None, True], pa.bool_())})
    assert_same(path, expected)
    dt_ = deltalake.DeltaTable(str(path))
    assert [f.name for f in dt_.schema().fields] == ["a", "b", "c"]
    # Same schema again with merge: no metadata change.
    shoal.write_delta(pa.table({"a": pa.array([3], pa.int64())}), path, mode="append",
                      schema_mode="merge")
    log = (path / "_delta_log" / "00000000000000000002.json").read_text()
    assert '"metaData"' not in log
    # overwrite: new schema and partitioning, old rows gone.
    new = pa.table({"k": ["p", "q"], "v": pa.array([1.5, 2.5])})
    shoal.write_delta(new, path, mode="overwrite", schema_mode="overwrite", partition_by=["k"])
    assert_same(path, new)
    dt_ = deltalake.DeltaTable(str(path))
    assert dt_.metadata().partition_columns == ["k"]
    assert [f.name for f in dt_.schema().fields] == ["k", "v"]


def test_unsupported_types_are_refused(tmp_path):
    with pytest.raises(shoal.NotSupportedError, match="column 'u'"):
        shoal.write_delta(pa.table({"u": pa.array([1], pa.uint32())}), tmp_path / "t")
    assert not (tmp_path / "t" / "_delta_log").exists()


def test_more_types_roundtrip(tmp_path):
    path = tmp_path / "t"
    data = pa.table({
        "b": pa.array([1, None], pa.int8()),
        "sh": pa.array([1, 2], pa.int16()),
        "f": pa.array([1.5, float("nan")], pa.float32()),
        "dec": pa.array([decimal.Decimal("1.25"), None], pa.decimal128(10, 2)),
        "bin": pa.array([b"\x00\x01", None], pa.binary()),
        "flag": [True, None],
        "lst": pa.array([[1, 2], None], pa.list_(pa.int64())),
        "st": pa.array([{"x": 1, "y": "a"}, None], pa.struct([("x", pa.int64()), ("y", pa.string())])),
        "ts_ns": pa.array([dt.datetime(2024, 1, 1), None], pa.timestamp("ns", "UTC")),
    })
    shoal.write_delta(data, path)
    got = delta_read(path)
    assert got.num_rows == 2
    assert got.column("dec").to_pylist() == [decimal.Decimal("1.25"), None]
    assert got.column("lst").to_pylist() == [[1, 2], None]
    mine = shoal_read(path)
    assert mine.column("st").to_pylist() == got.column("st").to_pylist()


def test_timestamp_ntz_uses_table_feature(tmp_path):
    path = tmp_path / "t"
    data = pa.table({"ts": pa.array([dt.datetime(2024, 1, 1, 5)], pa.timestamp("us"))})
    shoal.write_delta(data, path)
    proto = deltalake.DeltaTable(str(path)).protocol()
    assert proto.min_reader_version == 3 and "timestampNtz" in proto.reader_features
    assert_same(path, data)


# ----------------------------------------------------------------- concurrency
def test_concurrent_appends_lose_nothing(tmp_path):
    path = tmp_path / "t"
    shoal.write_delta(sample(1), path)
    errors = []

    def worker(base):
        try:
            for i in range(20):
                shoal.write_delta(sample(1, base + i), path, mode="append")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(b,)) for b in (1000, 2000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    dt_ = deltalake.DeltaTable(str(path))
    assert dt_.version() == 40
    ids = sorted(dt_.to_pyarrow_table().column("id").to_pylist())
    assert ids == sorted([0] + list(range(1000, 1020)) + list(range(2000, 2020)))
    assert len(dt_.history()) == 41


def test_overwrite_racing_append(tmp_path):
    path = tmp_path / "t"
    shoal.write_delta(sample(5), path)
    results = {}
    barrier = threading.Barrier(2)

    def run(kind):
        barrier.wait()
        try:
            if kind == "append":
                results[kind] = shoal.write_delta(sample(3, 100), path, mode="append")
            else:
                results[kind] = shoal.write_delta(sample(2, 500), path, mode="overwrite")
        except shoal.ShoalError as e:
            results[kind] = e

    threads = [threading.Thread(target=run, args=(k,)) for k in ("append", "overwrite")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = sorted(delta_read(path).column("id").to_pylist())
    ow, ap = results["overwrite"], results["append"]
    if isinstance(ow, Exception):
        assert "concurrent modification: version" in str(ow)
        assert ids == sorted(list(range(5)) + [100, 101, 102])
    elif ow["version"] == 1:  # overwrite first, then the blind append on top
        assert ids == [100, 101, 102, 500, 501]
    else:  # append first; the overwrite committed after it: it must not have been blind
        assert ow["version"] == 2 and isinstance(ap, dict)
        assert ids == [500, 501]


def test_concurrent_creation_with_append(tmp_path):
    path = tmp_path / "t"
    barrier = threading.Barrier(4)
    results = []

    def run(i):
        barrier.wait()
        results.append(shoal.write_delta(sample(1, i), path, mode="append"))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["version"] for r in results) == [0, 1, 2, 3]
    assert sorted(delta_read(path).column("id").to_pylist()) == [0, 1, 2, 3]


# ----------------------------------------------------------------- SQL
def test_sql_create_insert_overwrite(tmp_path):
    ctx = shoal.SessionContext()
    loc = str(tmp_path / "s")
    ctx.sql(f"CREATE TABLE s (id BIGINT NOT NULL, city VARCHAR, d DATE) USING DELTA "
            f"PARTITIONED BY (city) LOCATION '{loc}' "
            f"TBLPROPERTIES ('delta.checkpointInterval' = '3')").collect()
    ctx.sql("INSERT INTO s VALUES (1, 'Paris', DATE '2024-01-01'), (2, NULL, NULL)").collect()
    ctx.sql("INSERT INTO s (city, id) SELECT 'Rome', 3").collect()
    assert ctx.sql("SELECT count(*) AS n FROM s").to_pydict() == {"n": [3]}
    dt_ = deltalake.DeltaTable(loc)
    assert dt_.version() == 2
    assert dt_.metadata().partition_columns == ["city"]
    assert dt_.metadata().configuration["delta.checkpointInterval"] == "3"
    with pytest.raises(shoal.ShoalError, match="NOT NULL"):
        ctx.sql("INSERT INTO s SELECT CAST(NULL AS BIGINT), 'x', DATE '2024-01-01'").collect()
    ctx.sql("INSERT OVERWRITE s SELECT id + 10, city, d FROM s").collect()
    assert sorted(ctx.sql("SELECT id FROM s").to_pydict()["id"]) == [11, 12, 13]
    assert (tmp_path / "s" / "_delta_log" / "00000000000000000003.checkpoint.parquet").exists()
    assert sorted(delta_read(loc).column("id").to_pylist()) == [11, 12, 13]
    # CTAS and CREATE EXTERNAL TABLE registration.
    ctas = str(tmp_path / "c")
    ctx.sql(f"CREATE TABLE c USING DELTA LOCATION '{ctas}' AS SELECT id, city FROM s").collect()
    assert deltalake.DeltaTable(ctas).history()[0]["operation"] == "CREATE TABLE AS SELECT"
    ctx.sql(f"CREATE EXTERNAL TABLE e STORED AS DELTATABLE LOCATION '{ctas}'").collect()
    ctx.sql("INSERT INTO e VALUES (99, 'Oslo')").collect()
    assert sorted(delta_read(ctas).column("id").to_pylist()) == [11, 12, 13, 99]
    assert sorted(ctx.sql("SELECT id FROM e").to_pydict()["id"]) == [11, 12, 13, 99]
