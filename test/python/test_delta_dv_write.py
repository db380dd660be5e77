"""DELETE with deletion vectors (delta.enableDeletionVectors = true): Shoal marks
rows in deletion_vector_<uuid>.bin files instead of rewriting data files, and
deltalake (delta-rs) reads the result exactly as Shoal does."""

import glob
import json
import os

import pyarrow as pa
import pytest

import shoal

deltalake = pytest.importorskip("deltalake")


def data(lo, hi):
    ids = list(range(lo, hi))
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "part": pa.array(["p%d" % (i % 3) for i in ids], pa.string()),
        "v": pa.array([float(i) * 1.5 if i % 7 else None for i in ids], pa.float64()),
    })


def ids_by_deltalake(path):
    # deltalake's pyarrow reader refuses the deletionVectors feature; its
    # DataFusion (delta-kernel) scan applies deletion vectors.
    qb = deltalake.QueryBuilder().register("t", deltalake.DeltaTable(path))
    return sorted(qb.execute("SELECT id FROM t").read_all()["id"].to_pylist())


def ids_by_shoal(path):
    return sorted(shoal.DeltaTable(path).to_pyarrow_table()["id"].to_pylist())


def last_actions(path):
    logs = sorted(glob.glob(os.path.join(path, "_delta_log", "*.json")))
    with open(logs[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]


def make(tmp_path, partition_by=None, extra=None):
    path = str(tmp_path / "t")
    config = {"delta.enableDeletionVectors": "true"}
    config.update(extra or {})
    shoal.write_delta(data(0, 20), path, partition_by=partition_by, configuration=config)
    shoal.write_delta(data(20, 40), path, mode="append")
    return path


def test_create_with_deletion_vectors_sets_the_feature(tmp_path):
    path = make(tmp_path)
    proto = deltalake.DeltaTable(path).protocol()
    assert proto.min_reader_version == 3 and proto.min_writer_version == 7
    assert "deletionVectors" in proto.reader_features
    assert "deletionVectors" in proto.writer_features


@pytest.mark.parametrize("partition_by", [None, ["part"]], ids=["flat", "partitioned"])
def test_delete_writes_a_deletion_vector(tmp_path, partition_by):
    path = make(tmp_path, partition_by)
    before = set(deltalake.DeltaTable(path).file_uris())
    m = shoal.DeltaTable(path).delete("id % 5 = 1")
    want = [i for i in range(40) if i % 5 != 1]
    assert ids_by_deltalake(path) == want
    assert ids_by_shoal(path) == want
    assert m["num_deleted_rows"] == 8
    assert m["num_added_files"] == 0 and m["num_removed_files"] == 0
    assert m["num_deletion_vectors_added"] == len(before)
    # No data file rewritten: the same files are live, now with deletion vectors.
    assert set(deltalake.DeltaTable(path).file_uris()) == before
    dv_files = glob.glob(os.path.join(path, "deletion_vector_*.bin"))
    assert len(dv_files) == 1
    actions = last_actions(path)
    adds = [a["add"] for a in actions if "add" in a]
    removes = [a["remove"] for a in actions if "remove" in a]
    assert len(adds) == len(removes) == len(before)
    for a in adds:
        dv = a["deletionVector"]
        assert dv["storageType"] == "u" and len(dv["pathOrInlineDv"]) == 20
        assert dv["offset"] >= 1 and dv["cardinality"] > 0 and a["dataChange"]
    info = [a["commitInfo"] for a in actions if "commitInfo" in a][0]
    assert info["operation"] == "DELETE"
    assert int(info["operationMetrics"]["numDeletionVectorsAdded"]) == len(before)


def test_deleting_twice_merges_vectors(tmp_path):
    path = make(tmp_path)
    shoal.DeltaTable(path).delete("id < 5")
    m = shoal.DeltaTable(path).delete("id >= 35 OR id = 10")
    want = [i for i in range(40) if not (i < 5 or i >= 35 or i == 10)]
    assert ids_by_deltalake(path) == want
    assert ids_by_shoal(path) == want
    assert m["num_deleted_rows"] == 6
    assert m["num_deletion_vectors_removed"] == 1  # the first file had one already
    # Deleting rows already deleted deletes nothing.
    m = shoal.DeltaTable(path).delete("id < 5")
    assert m["num_deleted_rows"] == 0
    # deltalake deletes on top of Shoal's vectors (it rewrites), and Shoal reads that.
    deltalake.DeltaTable(path).delete("id = 20")
    want.remove(20)
    assert ids_by_shoal(path) == want


def test_file_whose_rows_all_go_is_removed(tmp_path):
    path = make(tmp_path)
    shoal.DeltaTable(path).delete("id < 10")
    m = shoal.DeltaTable(path).delete("id < 20")  # the rest of the first file
    assert m["num_removed_files"] == 1 and m["num_deletion_vectors_added"] == 0
    assert len(deltalake.DeltaTable(path).file_uris()) == 1
    assert ids_by_deltalake(path) == list(range(20, 40))
    assert ids_by_shoal(path) == list(range(20, 40))


def test_sql_delete_and_change_feed(tmp_path):
    path = make(tmp_path, extra={"delta.enableChangeDataFeed": "true"})
    ctx = shoal.SessionContext()
    ctx.sql("CREATE TABLE t USING DELTA LOCATION '%s'" % path)
    ctx.sql("DELETE FROM t WHERE v IS NULL")
    want = [i for i in range(40) if i % 7]
    assert ids_by_deltalake(path) == want
    assert sorted(ctx.sql("SELECT id FROM t").to_pydict()["id"]) == want
    changes = ctx.sql("SELECT id, _change_type FROM table_changes('%s', 2)" % path).to_pydict()
    assert sorted(changes["id"]) == [i for i in range(40) if i % 7 == 0]
    assert set(changes["_change_type"]) == {"delete"}


def test_without_the_property_delete_rewrites(tmp_path):
    path = str(tmp_path / "t")
    shoal.write_delta(data(0, 20), path)
    m = shoal.DeltaTable(path).delete("id = 3")
    assert m["num_added_files"] == 1 and m["num_removed_files"] == 1
    assert not glob.glob(os.path.join(path, "deletion_vector_*.bin"))


def values_by_deltalake(path):
    qb = deltalake.QueryBuilder().register("t", deltalake.DeltaTable(path))
    t = qb.execute("SELECT id, v FROM t").read_all()
    return sorted(zip(t["id"].to_pylist(), t["v"].to_pylist()))


def values_by_shoal(path):
    t = shoal.DeltaTable(path).to_pyarrow_table()
    return sorted(zip(t["id"].to_pylist(), t["v"].to_pylist()))


@pytest.mark.parametrize("partition_by", [None, ["part"]], ids=["flat", "partitioned"])
def test_update_marks_old_rows_and_writes_only_new_ones(tmp_path, partition_by):
    path = make(tmp_path, partition_by, extra={"delta.enableChangeDataFeed": "true"})
    before = set(deltalake.DeltaTable(path).file_uris())
    m = shoal.DeltaTable(path).update({"v": "-1"}, predicate="id % 4 = 0")
    assert m["num_updated_rows"] == 10 and m["num_copied_rows"] == 0
    want = sorted((i, -1.0 if i % 4 == 0 else (float(i) * 1.5 if i % 7 else None))
                  for i in range(40))
    assert values_by_deltalake(path) == want
    assert values_by_shoal(path) == want
    after = set(deltalake.DeltaTable(path).file_uris())
    assert before <= after  # old files kept, with deletion vectors
    assert m["num_deletion_vectors_added"] == len(before)
    # The change feed: 10 pre-images and 10 post-images.
    ctx = shoal.SessionContext()
    changes = ctx.sql("SELECT id, _change_type FROM table_changes('%s', 2)" % path).to_pydict()
    kinds = sorted(zip(changes["_change_type"], changes["id"]))
    assert kinds == sorted([("update_preimage", i) for i in range(0, 40, 4)] +
                           [("update_postimage", i) for i in range(0, 40, 4)])
    # A second update of some of the same rows merges the vectors.
    shoal.DeltaTable(path).update({"v": "-2"}, predicate="id < 10")
    want = sorted((i, v if i >= 10 else -2.0) for i, v in want)
    assert values_by_deltalake(path) == want
    assert values_by_shoal(path) == want


@pytest.mark.parametrize("start", ["plain", "cdf_and_check"])
def test_alter_enables_deletion_vectors_on_an_existing_table(tmp_path, start):
    # A table delta-rs wrote with a legacy protocol: enabling deletion vectors
    # upgrades it to table features, keeping what the legacy versions implied.
    path = str(tmp_path / "t")
    deltalake.write_deltalake(path, data(0, 30))
    ctx = shoal.SessionContext()
    ctx.sql(f"CREATE EXTERNAL TABLE t STORED AS DELTATABLE LOCATION '{path}'").collect()
    if start == "cdf_and_check":
        ctx.sql("ALTER TABLE t ADD CONSTRAINT id_ok CHECK (id >= 0)").collect()
        ctx.sql("ALTER TABLE t SET TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true')").collect()
    ctx.sql("ALTER TABLE t SET TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')").collect()
    proto = deltalake.DeltaTable(path).protocol()
    assert (proto.min_reader_version, proto.min_writer_version) == (3, 7)
    assert proto.reader_features == ["deletionVectors"]
    assert {"deletionVectors", "appendOnly", "invariants"} <= set(proto.writer_features)
    if start == "cdf_and_check":
        assert {"checkConstraints", "changeDataFeed"} <= set(proto.writer_features)
    ctx.sql("DELETE FROM t WHERE id % 4 = 0").collect()
    want = [i for i in range(30) if i % 4 != 0]
    assert ids_by_deltalake(path) == want
    assert ids_by_shoal(path) == want
    assert glob.glob(os.path.join(path, "deletion_vector_*.bin"))
    if start == "cdf_and_check":
        with pytest.raises(Exception, match="id_ok"):
            ctx.sql("INSERT INTO t VALUES (-1, 'x', 1.0)").collect()
        changes = deltalake.DeltaTable(path).load_cdf(starting_version=4).read_all()
        assert sorted(changes["id"].to_pylist()) == [i for i in range(30) if i % 4 == 0]
