"""MERGE with deletion vectors (delta.enableDeletionVectors = true): the updated
and deleted target rows are marked in deletion vectors of their files, only
updated and inserted rows are written; the result equals the same MERGE on a
copy-on-write table and what deltalake (delta-rs) reads."""

import glob
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import shoal

deltalake = pytest.importorskip("deltalake")


def data(lo, hi, scale=1.5):
    ids = list(range(lo, hi))
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "part": pa.array(["p%d" % (i % 3) for i in ids], pa.string()),
        "v": pa.array([float(i) * scale if i % 7 else None for i in ids], pa.float64()),
    })


def make_pair(tmp_path, partition_by=None, cdf=False):
    """The same table twice: with deletion vectors and copy-on-write."""
    paths = []
    for name, dv in (("dv", True), ("cow", False)):
        path = str(tmp_path / name)
        config = {"delta.enableDeletionVectors": "true"} if dv else {}
        if cdf:
            config["delta.enableChangeDataFeed"] = "true"
        shoal.write_delta(data(0, 20), path, partition_by=partition_by,
                          configuration=config or None)
        shoal.write_delta(data(20, 40), path, mode="append")
        paths.append(path)
    return paths


def rows_by_deltalake(path):
    # deltalake's pyarrow reader refuses deletion vectors; its DataFusion scan applies them.
    qb = deltalake.QueryBuilder().register("t", deltalake.DeltaTable(path))
    t = qb.execute("SELECT id, part, v FROM t").read_all()
    return sorted(zip(t["id"].to_pylist(), t["part"].to_pylist(), t["v"].to_pylist()))


def rows_by_shoal(path):
    t = shoal.DeltaTable(path).to_pyarrow_table()
    return sorted(zip(t["id"].to_pylist(), t["part"].to_pylist(), t["v"].to_pylist()))


def last_actions(path):
    logs = sorted(glob.glob(os.path.join(path, "_delta_log", "*.json")))
    with open(logs[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]


def live_files(path):
    return set(deltalake.DeltaTable(path).file_uris())


def rows_in(files):
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def full_merge(path, source):
    return (shoal.DeltaTable(path)
            .merge(source, "t.id = s.id", source_alias="s", target_alias="t")
            .when_matched_delete(predicate="s.id >= 30")
            .when_matched_update({"v": "s.v"})
            .when_not_matched_insert_all()
            .when_not_matched_by_source_update({"v": "-1"}, predicate="t.id < 3")
            .when_not_matched_by_source_delete(predicate="t.id >= 38")
            .execute())


def source_rows():
    # 5..9 and 23..25 updated, 30..34 deleted, 40..44 inserted.
    return pa.concat_tables([data(5, 10, scale=-1), data(23, 26, scale=-1),
                             data(30, 35, scale=-1), data(40, 45, scale=-1)])


@pytest.mark.parametrize("partition_by", [None, ["part"]], ids=["flat", "partitioned"])
def test_merge_marks_rows_and_writes_only_new_ones(tmp_path, partition_by):
    dv, cow = make_pair(tmp_path, partition_by)
    before = live_files(dv)
    m = full_merge(dv, source_rows())
    m_cow = full_merge(cow, source_rows())
    want = rows_by_shoal(cow)
    assert rows_by_shoal(dv) == want
    assert rows_by_deltalake(dv) == want
    assert rows_by_deltalake(cow) == want
    for k in ("num_target_rows_updated", "num_target_rows_inserted", "num_target_rows_deleted",
              "num_source_rows"):
        assert m[k] == m_cow[k], k
    assert m["num_target_rows_updated"] == 8 + 3  # 8 matched, 3 not matched by source
    assert m["num_target_rows_inserted"] == 5
    assert m["num_target_rows_deleted"] == 5 + 2
    assert m["num_target_rows_copied"] == 0 and m_cow["num_target_rows_copied"] > 0
    # No data file rewritten: the old files stay live (with vectors), the new
    # files hold exactly the updated and inserted rows.
    after = live_files(dv)
    assert before <= after
    added = after - before
    assert m["num_target_files_added"] == len(added)
    assert m["num_target_files_removed"] == 0
    assert rows_in(added) == 11 + 5
    assert m["num_target_deletion_vectors_added"] == len(before)
    assert m["num_target_deletion_vectors_removed"] == 0
    assert len(glob.glob(os.path.join(dv, "deletion_vector_*.bin"))) == 1
    actions = last_actions(dv)
    info = [a["commitInfo"] for a in actions if "commitInfo" in a][0]
    assert info["operation"] == "MERGE"
    metrics = {k: int(v) for k, v in info["operationMetrics"].items()}
    assert metrics["numTargetRowsUpdated"] == 11 and metrics["numTargetRowsInserted"] == 5
    assert metrics["numTargetRowsDeleted"] == 7
    assert metrics["numTargetDeletionVectorsAdded"] == len(before)
    assert metrics["numTargetFilesAdded"] == len(added)
    for a in actions:
        if "add" in a and a["add"]["path"] in {os.path.basename(p) for p in before} | {
                p.split(dv + "/", 1)[-1] for p in before}:
            assert a["add"]["deletionVector"]["storageType"] == "u"


@pytest.mark.parametrize("partition_by", [None, ["part"]], ids=["flat", "partitioned"])
def test_merge_on_files_with_deletion_vectors(tmp_path, partition_by):
    dv, cow = make_pair(tmp_path, partition_by)
    # Earlier deletions shift the rows after them: the vectors must mark physical rows.
    for path in (dv, cow):
        shoal.DeltaTable(path).delete("id % 5 = 1 OR id = 0")
    with_dv = {a["add"]["path"] for a in last_actions(dv) if "add" in a}
    assert with_dv
    before = live_files(dv)
    m = full_merge(dv, source_rows())
    full_merge(cow, source_rows())
    want = rows_by_shoal(cow)
    assert rows_by_shoal(dv) == want
    assert rows_by_deltalake(dv) == want
    assert before <= live_files(dv)
    assert m["num_target_deletion_vectors_removed"] == len(with_dv)
    # Twice more: vectors merged again, still the same as copy-on-write.
    src = data(10, 20, scale=3)
    for path in (dv, cow):
        (shoal.DeltaTable(path).merge(src, "t.id = s.id", source_alias="s", target_alias="t")
         .when_matched_update_all().execute())
        shoal.DeltaTable(path).delete("id = 12")
    want = rows_by_shoal(cow)
    assert rows_by_shoal(dv) == want
    assert rows_by_deltalake(dv) == want


@pytest.mark.parametrize("partition_by", [None, ["part"]], ids=["flat", "partitioned"])
def test_merge_change_data_feed(tmp_path, partition_by):
    dv, cow = make_pair(tmp_path, partition_by, cdf=True)
    shoal.DeltaTable(dv).delete("id = 6")
    shoal.DeltaTable(cow).delete("id = 6")
    full_merge(dv, source_rows())
    full_merge(cow, source_rows())
    assert rows_by_deltalake(dv) == rows_by_shoal(cow)
    assert glob.glob(os.path.join(dv, "deletion_vector_*.bin"))

    def changes(path):
        ctx = shoal.SessionContext()
        c = ctx.sql("SELECT id, v, _change_type FROM table_changes('%s', 3)" % path).to_pydict()
        return sorted(zip(c["_change_type"], c["id"], [str(v) for v in c["v"]]))

    got = changes(dv)
    assert got == changes(cow)
    kinds = {k for k, _, _ in got}
    assert kinds == {"update_preimage", "update_postimage", "delete", "insert"}
    assert len([1 for k, _, _ in got if k == "delete"]) == 7
    assert len([1 for k, _, _ in got if k == "insert"]) == 6  # 6 again
    assert len([1 for k, _, _ in got if k == "update_postimage"]) == 10  # 6 was deleted


@pytest.mark.parametrize("partition_by", [None, ["part"]], ids=["flat", "partitioned"])
def test_upsert_with_deletion_vectors(tmp_path, partition_by):
    dv, cow = make_pair(tmp_path, partition_by)
    shoal.DeltaTable(dv).delete("id = 21")
    shoal.DeltaTable(cow).delete("id = 21")
    before = live_files(dv)
    src = data(15, 50, scale=2)  # 15..39 minus 21 update (24 rows), 21 and 40..49 insert

    def upsert(path):
        return (shoal.DeltaTable(path)
                .merge(src, "t.id = s.id", source_alias="s", target_alias="t")
                .when_matched_update_all().when_not_matched_insert_all().execute())

    m = upsert(dv)
    m_cow = upsert(cow)
    want = rows_by_shoal(cow)
    assert rows_by_shoal(dv) == want
    assert rows_by_deltalake(dv) == want
    assert m["num_target_rows_updated"] == m_cow["num_target_rows_updated"] == 24
    assert m["num_target_rows_inserted"] == m_cow["num_target_rows_inserted"] == 11
    after = live_files(dv)
    # The first (flat) file's rows 0..14 are untouched; touched files keep their data.
    assert before <= after or m["num_target_files_removed"] > 0
    assert rows_in(after - before) == 35  # only the source rows were written
    assert m["num_target_deletion_vectors_added"] >= 1


def test_insert_only_merge_writes_no_vector(tmp_path):
    dv, cow = make_pair(tmp_path)
    before = live_files(dv)
    m = (shoal.DeltaTable(dv).merge(data(100, 105), "t.id = s.id", source_alias="s",
                                    target_alias="t")
         .when_not_matched_insert_all().execute())
    assert m["num_target_rows_inserted"] == 5
    assert m["num_target_deletion_vectors_added"] == 0
    assert not glob.glob(os.path.join(dv, "deletion_vector_*.bin"))
    assert before < live_files(dv)
    assert [r[0] for r in rows_by_deltalake(dv)] == list(range(40)) + list(range(100, 105))


def test_merge_deleting_whole_file_removes_it(tmp_path):
    dv, _ = make_pair(tmp_path)
    m = (shoal.DeltaTable(dv).merge(data(20, 40), "t.id = s.id", source_alias="s",
                                    target_alias="t")
         .when_matched_delete().execute())
    assert m["num_target_rows_deleted"] == 20
    assert m["num_target_files_removed"] == 1
    assert m["num_target_deletion_vectors_added"] == 0
    assert [r[0] for r in rows_by_deltalake(dv)] == list(range(20))


def test_sql_merge_with_deletion_vectors(tmp_path):
    dv, cow = make_pair(tmp_path)
    ctx = shoal.SessionContext()
    ctx.sql("CREATE TABLE t USING DELTA LOCATION '%s'" % dv)
    ctx.sql("CREATE TABLE c USING DELTA LOCATION '%s'" % cow)
    ctx.register_table("src", data(35, 45, scale=-2))
    for name in ("t", "c"):
        out = ctx.sql(f"MERGE INTO {name} USING src ON {name}.id = src.id "
                      "WHEN MATCHED AND src.id % 2 = 0 THEN DELETE "
                      "WHEN MATCHED THEN UPDATE SET v = src.v + 1 "
                      "WHEN NOT MATCHED THEN INSERT *").to_pydict()
        assert out["num_target_rows_deleted"] == [2]
        assert out["num_target_rows_updated"] == [3]
        assert out["num_target_rows_inserted"] == [5]
    assert rows_by_deltalake(dv) == rows_by_shoal(cow)
    assert sorted(ctx.sql("SELECT id, part, v FROM t").to_pylist(),
                  key=lambda r: r["id"]) == sorted(
        ctx.sql("SELECT id, part, v FROM c").to_pylist(), key=lambda r: r["id"])


def test_several_source_rows_deleting_one_target_row(tmp_path):
    # A single unconditional WHEN MATCHED THEN DELETE allows repeated source keys.
    dv, cow = make_pair(tmp_path)
    src = pa.concat_tables([data(3, 6), data(3, 6), data(24, 26)])
    ms = {}
    for path in (dv, cow):
        ms[path] = (shoal.DeltaTable(path)
                    .merge(src, "t.id = s.id", source_alias="s", target_alias="t")
                    .when_matched_delete().execute())
        assert ms[path]["num_target_rows_deleted"] == 5
    assert rows_by_deltalake(dv) == rows_by_shoal(cow)
    assert ms[dv]["num_target_files_added"] == 0 and ms[cow]["num_target_files_added"] >= 1
    assert ms[dv]["num_target_deletion_vectors_added"] == 2
    with_dv = [a["add"] for a in last_actions(dv) if "add" in a]
    assert len(with_dv) == 2 and all(a["deletionVector"]["cardinality"] in (3, 2)
                                     for a in with_dv)


def test_multiple_matches_still_refused(tmp_path):
    dv, _ = make_pair(tmp_path)
    src = pa.concat_tables([data(3, 6), data(3, 6)])
    with pytest.raises(Exception, match="multiple source rows matched the same target row"):
        (shoal.DeltaTable(dv).merge(src, "t.id = s.id", source_alias="s", target_alias="t")
         .when_matched_update({"v": "s.v"}).execute())
    assert not glob.glob(os.path.join(dv, "deletion_vector_*.bin"))
