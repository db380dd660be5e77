"""DELETE / UPDATE / MERGE on Delta tables: Shoal against deltalake (delta-rs).

Each test builds one table, copies it, runs the same operation with Shoal on one
copy and with deltalake on the other, then checks that both tables hold the same
rows whichever engine reads them (deltalake reads Shoal's result, Shoal reads
deltalake's), that the row metrics agree, and what Shoal's commit says.
"""

import json
import os
import shutil

import pyarrow as pa
import pytest

import shoal

deltalake = pytest.importorskip("deltalake")


def norm(table):
    cols = {}
    for name in sorted(table.column_names):
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if pa.types.is_large_string(col.type) or pa.types.is_string_view(col.type):
            col = col.cast(pa.string())
        cols[name] = col
    rows = pa.table(cols).to_pylist()
    return sorted(rows, key=lambda r: json.dumps(r, default=str, sort_keys=True))


def data(lo, hi):
    ids = list(range(lo, hi))
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "part": pa.array(["p%d" % (i % 3) for i in ids], pa.string()),
        "v": pa.array([float(i) * 1.5 if i % 7 else None for i in ids], pa.float64()),
        "s": pa.array(["s%03d" % i for i in ids], pa.string()),
    })


@pytest.fixture(params=[False, True], ids=["unpartitioned", "partitioned"])
def pair(request, tmp_path):
    """Two copies of one table written in 4 commits (ids 0..39, 10 per commit)."""
    a = tmp_path / "shoal"
    part = ["part"] if request.param else None
    for k in range(4):
        deltalake.write_deltalake(str(a), data(10 * k, 10 * k + 10),
                                  mode="append", partition_by=part)
    b = tmp_path / "delta_rs"
    shutil.copytree(a, b)
    return str(a), str(b)


def same_content(a, b):
    """deltalake reads Shoal's table a, Shoal reads deltalake's table b: equal rows."""
    from_a = norm(deltalake.DeltaTable(a).to_pyarrow_table())
    from_b = norm(shoal.DeltaTable(b).to_pyarrow_table())
    assert from_a == from_b
    assert norm(shoal.DeltaTable(a).to_pyarrow_table()) == from_a
    return from_a


def last_commit(path):
    return deltalake.DeltaTable(path).history(1)[0]


def live_files(path):
    return set(deltalake.DeltaTable(path).file_uris())


@pytest.mark.parametrize("predicate", ["id = 13", "id >= 25 AND v IS NOT NULL", "s LIKE 's00%'",
                                       "part = 'p1'", "id < 0"])
def test_delete(pair, predicate):
    a, b = pair
    before = live_files(a)
    m = shoal.DeltaTable(a).delete(predicate)
    want = deltalake.DeltaTable(b).delete(predicate)
    rows = same_content(a, b)
    assert m["num_deleted_rows"] == want["num_deleted_rows"]
    assert m["num_deleted_rows"] + len(rows) == 40
    after = live_files(a)
    assert m["num_removed_files"] == len(before - after)
    assert m["num_added_files"] == len(after - before)
    if m["num_deleted_rows"] == 0:
        assert after == before
    else:
        commit = last_commit(a)
        assert commit["operation"] == "DELETE"
        assert commit["operationParameters"]["predicate"]
        assert int(commit["operationMetrics"]["numDeletedRows"]) == m["num_deleted_rows"]


def test_delete_prunes_files(tmp_path):
    path = str(tmp_path / "t")
    for k in range(4):
        deltalake.write_deltalake(path, data(10 * k, 10 * k + 10), mode="append")
    before = live_files(path)
    m = shoal.DeltaTable(path).delete("id = 13")
    after = live_files(path)
    # Only the file of ids 10..19 was rewritten; the other three are untouched.
    assert m["num_removed_files"] == 1 and m["num_added_files"] == 1
    assert m["num_deleted_rows"] == 1 and m["num_copied_rows"] == 9
    assert len(before & after) == 3


def test_delete_whole_partition_without_rewrite(tmp_path):
    path = str(tmp_path / "t")
    deltalake.write_deltalake(path, data(0, 30), partition_by=["part"])
    m = shoal.DeltaTable(path).delete("part = 'p2'")
    assert m["num_added_files"] == 0 and m["num_removed_files"] == 1
    assert m["num_deleted_rows"] == 10 and m["num_copied_rows"] == 0
    assert sorted(set(deltalake.DeltaTable(path).to_pyarrow_table()["part"].to_pylist())) == [
        "p0", "p1"]


def test_delete_all(pair):
    a, b = pair
    m = shoal.DeltaTable(a).delete()
    deltalake.DeltaTable(b).delete()
    assert same_content(a, b) == []
    assert m["num_deleted_rows"] == 40 and m["num_added_files"] == 0


@pytest.mark.parametrize("updates,predicate", [
    ({"v": "v * 2"}, "id > 30"),
    ({"s": "concat(s, '!')", "v": "0"}, "part = 'p0'"),
    ({"id": "id + 1000"}, None),
    ({"part": "'moved'"}, "id % 5 = 0"),
])
def test_update(pair, updates, predicate):
    a, b = pair
    m = shoal.DeltaTable(a).update(updates, predicate=predicate)
    want = deltalake.DeltaTable(b).update(updates, predicate=predicate)
    same_content(a, b)
    assert m["num_updated_rows"] == want["num_updated_rows"]
    assert m["num_updated_rows"] + m["num_copied_rows"] <= 40
    commit = last_commit(a)
    assert commit["operation"] == "UPDATE"
    assert int(commit["operationMetrics"]["numUpdatedRows"]) == m["num_updated_rows"]


def test_update_new_values(tmp_path):
    path = str(tmp_path / "t")
    deltalake.write_deltalake(path, data(0, 10))
    m = shoal.DeltaTable(path).update(new_values={"s": "it's", "v": None}, predicate="id = 3")
    assert m["num_updated_rows"] == 1
    row = [r for r in deltalake.DeltaTable(path).to_pyarrow_table().to_pylist() if r["id"] == 3]
    assert row == [{"id": 3, "part": "p0", "v": None, "s": "it's"}]


def source_table():
    # Matches ids 5, 15, 35 (3 of them), new ids 100, 101.
    return pa.table({
        "id": pa.array([5, 15, 35, 100, 101], pa.int64()),
        "part": pa.array(["p2", "p0", "p2", "new", "new"]),
        "v": pa.array([-1.0, 2.0, 3.0, 4.0, 5.0]),
        "s": pa.array(["x5", "x15", "x35", "x100", "x101"]),
    })


def build(merger, kind):
    if kind == "upsert":
        return merger.when_matched_update_all().when_not_matched_insert_all()
    if kind == "all_clauses":
        return (merger.when_matched_delete("source.v < 0")
                .when_matched_update({"v": "source.v + target.v", "s": "source.s"})
                .when_not_matched_insert({"id": "source.id", "part": "source.part",
                                          "s": "source.s"}, "source.id > 100")
                .when_not_matched_insert({"id": "source.id", "part": "'other'"})
                .when_not_matched_by_source_update({"s": "'untouched'"}, "target.id < 3")
                .when_not_matched_by_source_delete("target.id > 37"))
    if kind == "insert_only":
        return merger.when_not_matched_insert_all()
    if kind == "delete_only":
        return merger.when_matched_delete()
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["upsert", "all_clauses", "insert_only", "delete_only"])
def test_merge(pair, kind):
    a, b = pair
    m = build(shoal.DeltaTable(a).merge(source_table(), "target.id = source.id"), kind).execute()
    want = build(deltalake.DeltaTable(b).merge(source_table(), "target.id = source.id",
                                               source_alias="source", target_alias="target"),
                 kind).execute()
    same_content(a, b)
    for key in ["num_source_rows", "num_target_rows_inserted", "num_target_rows_updated",
                "num_target_rows_deleted"]:
        assert m[key] == want[key], key
    commit = last_commit(a)
    assert commit["operation"] == "MERGE"
    assert commit["operationParameters"]["predicate"]
    assert int(commit["operationMetrics"]["numTargetRowsInserted"]) == \
        m["num_target_rows_inserted"]


def test_merge_prunes_by_source_keys(tmp_path):
    path = str(tmp_path / "t")
    for k in range(4):
        deltalake.write_deltalake(path, data(10 * k, 10 * k + 10), mode="append")
    src = pa.table({"id": pa.array([21, 22], pa.int64()), "v": [1.0, 2.0]})
    before = live_files(path)
    m = (shoal.DeltaTable(path).merge(src, "target.id = source.id")
         .when_matched_update({"v": "source.v"}).execute())
    assert m["num_target_files_scanned"] == 1
    assert m["num_target_files_skipped_during_scan"] == 3
    assert m["num_target_rows_updated"] == 2 and m["num_target_rows_copied"] == 8
    assert m["num_target_files_removed"] == 1
    assert len(before & live_files(path)) == 3


def test_merge_multiple_matches_is_an_error(tmp_path):
    path = str(tmp_path / "t")
    deltalake.write_deltalake(path, data(0, 10))
    src = pa.table({"id": pa.array([3, 3], pa.int64()), "v": [1.0, 2.0]})
    version = deltalake.DeltaTable(path).version()
    with pytest.raises(Exception, match="multiple source rows matched the same target row"):
        (shoal.DeltaTable(path).merge(src, "target.id = source.id")
         .when_matched_update({"v": "source.v"}).execute())
    assert deltalake.DeltaTable(path).version() == version
    # An unconditional delete is unambiguous.
    m = shoal.DeltaTable(path).merge(src, "target.id = source.id").when_matched_delete().execute()
    assert m["num_target_rows_deleted"] == 1


def test_sql_returns_metrics_row(tmp_path):
    path = str(tmp_path / "t")
    deltalake.write_deltalake(path, data(0, 10))
    ctx = shoal.SessionContext()
    ctx.sql(f"CREATE EXTERNAL TABLE t STORED AS DELTATABLE LOCATION '{path}'").collect()
    row = ctx.sql("DELETE FROM t WHERE id < 4").to_arrow_table().to_pylist()[0]
    assert row["num_deleted_rows"] == 4 and row["num_copied_rows"] == 6
    assert {"execution_time_ms", "num_added_files", "num_removed_files"} <= set(row)
    row = ctx.sql("UPDATE t SET s = 'y' WHERE id = 9").to_arrow_table().to_pylist()[0]
    assert row["num_updated_rows"] == 1
    # The registered table sees the new version.
    assert ctx.sql("SELECT count(*) AS n FROM t WHERE s = 'y'").to_arrow_table()["n"][0].as_py() == 1


def test_registered_table_sees_other_writers(tmp_path):
    """DML loads the latest version, not the one the table was registered at
    (conflicts between racing commits are tested in test/cpp/delta/dml_test.cc)."""
    path = str(tmp_path / "t")
    deltalake.write_deltalake(path, data(0, 10))
    ctx = shoal.SessionContext()
    ctx.sql(f"CREATE EXTERNAL TABLE t STORED AS DELTATABLE LOCATION '{path}'").collect()
    deltalake.DeltaTable(path).delete("id = 1")
    ctx.sql("DELETE FROM t WHERE id = 2").collect()
    ids = sorted(deltalake.DeltaTable(path).to_pyarrow_table()["id"].to_pylist())
    assert ids == [0, 3, 4, 5, 6, 7, 8, 9]


def changes(reader_table, version):
    rows = [r for r in pa.table(reader_table).to_pylist() if r["_commit_version"] == version]
    return sorted((r["_change_type"], r["id"], r["v"]) for r in rows)


@pytest.mark.parametrize("partitioned", [False, True])
def test_change_data_feed(tmp_path, partitioned):
    """With delta.enableChangeDataFeed, DELETE / UPDATE / MERGE write _change_data
    files that deltalake's load_cdf and Shoal's table_changes both return."""
    paths = []
    for name in ("shoal", "delta_rs"):
        p = str(tmp_path / name)
        deltalake.write_deltalake(p, data(0, 20), partition_by=["part"] if partitioned else None,
                                  configuration={"delta.enableChangeDataFeed": "true"})
        paths.append(p)
    a, b = paths
    src = pa.table({"id": pa.array([3, 4, 50], pa.int64()), "part": ["p0", "p1", "p2"],
                    "v": [-1.0, 100.0, 7.0], "s": ["x", "y", "z"]})
    for i, path in enumerate(paths):
        t = shoal.DeltaTable(path) if i == 0 else deltalake.DeltaTable(path)
        t.delete("id = 2")
        t.update({"v": "v + 1"}, predicate="id = 5")
        m = t.merge(src, "target.id = source.id", source_alias="source", target_alias="target")
        (m.when_matched_delete("source.v < 0").when_matched_update({"v": "source.v"})
         .when_not_matched_insert_all().execute())
    same_content(a, b)
    theirs = deltalake.DeltaTable(b).load_cdf(starting_version=1).read_all()
    for reader in (deltalake.DeltaTable(a).load_cdf(starting_version=1).read_all(),
                   shoal.DeltaTable(a).load_cdf(starting_version=1).read_all()):
        for version in (1, 2, 3):
            assert changes(reader, version) == changes(theirs, version), version
    assert changes(theirs, 1) == [("delete", 2, 3.0)]
    assert os.path.isdir(os.path.join(a, "_change_data"))


# ---------------------------------------------------------------------------
# Constraints: UPDATE and MERGE check the rows they write as every write does
# ---------------------------------------------------------------------------

def log_versions(path):
    return sorted(int(f[:20]) for f in os.listdir(os.path.join(path, "_delta_log"))
                  if f.endswith(".json"))


@pytest.fixture
def constrained(tmp_path):
    """A table with a CHECK constraint (v > 0) and a NOT NULL column (id)."""
    path = str(tmp_path / "c")
    ctx = shoal.SessionContext()
    ctx.sql(f"CREATE TABLE c (id BIGINT NOT NULL, p VARCHAR, v DOUBLE) USING DELTA "
            f"PARTITIONED BY (p) LOCATION '{path}'")
    ctx.sql("INSERT INTO c VALUES (1, 'a', 1.0), (2, 'a', 2.0), (3, 'b', 3.0)")
    ctx.sql("ALTER TABLE c ADD CONSTRAINT pos CHECK (v > 0)")
    return ctx, path


def c_rows(path):
    return sorted(deltalake.DeltaTable(path).to_pyarrow_table().to_pylist(),
                  key=lambda r: r["id"])


def test_update_violating_check_is_an_error(constrained):
    ctx, path = constrained
    before, rows = log_versions(path), c_rows(path)
    with pytest.raises(Exception, match=r"CHECK constraint 'pos'.*violated by row with "
                                        r"values: id = 2, p = 'a', v = -2"):
        ctx.sql("UPDATE c SET v = -v WHERE id = 2")
    with pytest.raises(Exception, match=r"CHECK constraint 'pos'.*v = null|"
                                        r"CHECK constraint 'pos'.*v = NULL"):
        ctx.sql("UPDATE c SET v = NULL")
    assert log_versions(path) == before and c_rows(path) == rows


def test_update_violating_not_null_is_an_error(constrained):
    ctx, path = constrained
    before = log_versions(path)
    with pytest.raises(Exception, match=r"NOT NULL column 'id'.*id = NULL, p = 'b'"):
        ctx.sql("UPDATE c SET id = NULL WHERE p = 'b'")
    assert log_versions(path) == before


def test_valid_update_on_constrained_table(constrained):
    ctx, path = constrained
    row = ctx.sql("UPDATE c SET v = v * 10 WHERE id >= 2").to_arrow_table().to_pylist()[0]
    assert row["num_updated_rows"] == 2 and row["num_copied_rows"] == 1
    assert [r["v"] for r in c_rows(path)] == [1.0, 20.0, 30.0]
    assert last_commit(path)["operation"] == "UPDATE"
    # Copied rows are not re-checked (only updated rows): a DELETE needs no check.
    ctx.sql("DELETE FROM c WHERE id = 1")
    assert [r["id"] for r in c_rows(path)] == [2, 3]


def test_merge_violating_check_is_an_error(constrained):
    ctx, path = constrained
    before = log_versions(path)
    ctx.register_record_batches("src", [pa.table({"id": pa.array([1, 9], pa.int64()),
                                                  "v": [-5.0, 4.0]}).to_batches()])
    # The updated row violates.
    with pytest.raises(Exception, match=r"CHECK constraint 'pos'.*id = 1, p = 'a', v = -5"):
        ctx.sql("MERGE INTO c USING src ON c.id = src.id "
                "WHEN MATCHED THEN UPDATE SET v = src.v "
                "WHEN NOT MATCHED THEN INSERT (id, p, v) VALUES (src.id, 'z', src.v)")
    # The inserted row violates.
    with pytest.raises(Exception, match=r"CHECK constraint 'pos'.*id = 9, p = 'z', v = -4"):
        ctx.sql("MERGE INTO c USING src ON c.id = src.id "
                "WHEN NOT MATCHED THEN INSERT (id, p, v) VALUES (src.id, 'z', -src.v)")
    # NOT NULL on an inserted row.
    with pytest.raises(Exception, match=r"NOT NULL column 'id'.*id = NULL"):
        ctx.sql("MERGE INTO c USING src ON c.id = src.id "
                "WHEN NOT MATCHED THEN INSERT (p, v) VALUES ('z', src.v)")
    assert log_versions(path) == before
    # Valid: the violating source row is filtered by the clause condition.
    ctx.sql("MERGE INTO c USING src ON c.id = src.id "
            "WHEN MATCHED AND src.v > 0 THEN UPDATE SET v = src.v "
            "WHEN NOT MATCHED THEN INSERT (id, p, v) VALUES (src.id, 'z', src.v)")
    assert [(r["id"], r["v"]) for r in c_rows(path)] == [(1, 1.0), (2, 2.0), (3, 3.0), (9, 4.0)]


def test_invariant_enforced_by_update(tmp_path):
    path = str(tmp_path / "inv")
    inv = json.dumps({"expression": {"expression": "x < 10"}})
    schema = pa.schema([pa.field("x", pa.int64(), metadata={"delta.invariants": inv})])
    deltalake.write_deltalake(path, pa.table({"x": [1, 2]}, schema=schema))
    if "delta.invariants" not in deltalake.DeltaTable(path).schema().to_json():
        pytest.skip("deltalake did not keep the invariant")
    version = deltalake.DeltaTable(path).version()
    with pytest.raises(Exception, match=r"invariant.*'x'.*x = 12"):
        shoal.DeltaTable(path).update({"x": "x + 10"}, predicate="x = 2")
    assert deltalake.DeltaTable(path).version() == version
    shoal.DeltaTable(path).update({"x": "x + 5"}, predicate="x = 2")
    assert sorted(deltalake.DeltaTable(path).to_pyarrow_table()["x"].to_pylist()) == [1, 7]


@pytest.fixture
def generated(tmp_path):
    path = str(tmp_path / "gen")
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("a", pa.int64()),
                        pa.field("b", pa.int64(),
                                 metadata={"delta.generationExpression": "a * 2"})])
    try:
        deltalake.DeltaTable.create(path, schema=deltalake.Schema.from_arrow(schema))
    except Exception as e:  # pragma: no cover - depends on deltalake version
        pytest.skip(f"deltalake cannot create generated columns: {e}")
    if "generationExpression" not in deltalake.DeltaTable(path).schema().to_json():
        pytest.skip("deltalake did not keep the generation expression")
    shoal.write_delta(pa.table({"id": [1, 2, 3], "a": [1, 2, 3]}), path, mode="append")
    ctx = shoal.SessionContext()
    ctx.sql(f"CREATE EXTERNAL TABLE g STORED AS DELTATABLE LOCATION '{path}'").collect()
    return ctx, path


def g_rows(path):
    return sorted((r["id"], r["a"], r["b"])
                  for r in deltalake.DeltaTable(path).to_pyarrow_table().to_pylist())


def test_update_recomputes_generated_column(generated):
    ctx, path = generated
    assert g_rows(path) == [(1, 1, 2), (2, 2, 4), (3, 3, 6)]
    ctx.sql("UPDATE g SET a = a + 10 WHERE id >= 2")
    assert g_rows(path) == [(1, 1, 2), (2, 12, 24), (3, 13, 26)]
    # Given values are verified.
    ctx.sql("UPDATE g SET a = 5, b = 10 WHERE id = 1")
    before = log_versions(path)
    with pytest.raises(Exception, match=r"generated column 'b'.*id = 1, a = 6, b = 7"):
        ctx.sql("UPDATE g SET a = 6, b = 7 WHERE id = 1")
    assert log_versions(path) == before
    assert g_rows(path) == [(1, 5, 10), (2, 12, 24), (3, 13, 26)]


def test_merge_computes_generated_column(generated):
    ctx, path = generated
    ctx.register_record_batches("src", [pa.table({"id": pa.array([3, 4], pa.int64()),
                                                  "a": pa.array([30, 40], pa.int64())})
                                        .to_batches()])
    ctx.sql("MERGE INTO g USING src ON g.id = src.id "
            "WHEN MATCHED THEN UPDATE SET a = src.a "
            "WHEN NOT MATCHED THEN INSERT (id, a) VALUES (src.id, src.a)")
    assert g_rows(path) == [(1, 1, 2), (2, 2, 4), (3, 30, 60), (4, 40, 80)]
    # UPDATE SET * / INSERT * without the generated column in the source.
    ctx.register_record_batches("src2", [pa.table({"id": pa.array([1, 5], pa.int64()),
                                                   "a": pa.array([7, 8], pa.int64())})
                                         .to_batches()])
    ctx.sql("MERGE INTO g USING src2 ON g.id = src2.id "
            "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
    assert g_rows(path) == [(1, 7, 14), (2, 2, 4), (3, 30, 60), (4, 40, 80), (5, 8, 16)]
    before = log_versions(path)
    with pytest.raises(Exception, match=r"generated column 'b'.*id = 6"):
        ctx.sql("MERGE INTO g USING (SELECT 6 AS id, 1 AS a) AS s ON g.id = s.id "
                "WHEN NOT MATCHED THEN INSERT (id, a, b) VALUES (s.id, s.a, 3)")
    assert log_versions(path) == before


def test_change_data_of_generated_column(tmp_path):
    """Post-images and inserted rows in the change data carry the computed value."""
    path = str(tmp_path / "gcdf")
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("a", pa.int64()),
                        pa.field("b", pa.int64(),
                                 metadata={"delta.generationExpression": "a * 2"})])
    try:
        deltalake.DeltaTable.create(path, schema=deltalake.Schema.from_arrow(schema),
                                    configuration={"delta.enableChangeDataFeed": "true"})
    except Exception as e:  # pragma: no cover - depends on deltalake version
        pytest.skip(f"deltalake cannot create generated columns: {e}")
    if "generationExpression" not in deltalake.DeltaTable(path).schema().to_json():
        pytest.skip("deltalake did not keep the generation expression")
    shoal.write_delta(pa.table({"id": [1, 2], "a": [1, 2]}), path, mode="append")
    t = shoal.DeltaTable(path)
    t.update({"a": "a + 10"}, predicate="id = 1")
    src = pa.table({"id": pa.array([3], pa.int64()), "a": pa.array([5], pa.int64())})
    (t.merge(src, "target.id = source.id", source_alias="source", target_alias="target")
     .when_not_matched_insert({"id": "source.id", "a": "source.a"}).execute())
    cdf = shoal.DeltaTable(path).load_cdf(starting_version=2).read_all().to_pylist()
    got = sorted((r["_change_type"], r["id"], r["a"], r["b"]) for r in cdf)
    assert got == [("insert", 3, 5, 10), ("update_postimage", 1, 11, 22),
                   ("update_preimage", 1, 1, 2)]
