"""MERGE rewrite paths: which files are rewritten, the multiple-match check per
data file, and the rewrite without a row filter; Shoal against deltalake."""

import json
import os
import shutil

import pyarrow as pa
import pytest

import shoal

deltalake = pytest.importorskip("deltalake")


def data(lo, hi):
    ids = list(range(lo, hi))
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "v": pa.array([float(i) for i in ids], pa.float64()),
        "s": pa.array(["s%03d" % i for i in ids], pa.string()),
    })


def four_files(tmp_path):
    path = str(tmp_path / "t")
    for k in range(4):
        deltalake.write_deltalake(path, data(10 * k, 10 * k + 10), mode="append")
    copy = str(tmp_path / "copy")
    shutil.copytree(path, copy)
    return path, copy


def rows(path):
    t = deltalake.DeltaTable(path).to_pyarrow_table()
    return sorted(t.to_pylist(), key=lambda r: (r["id"] is None, r["id"] or 0, r["s"]))


def live_files(path):
    return set(shoal.DeltaTable(path).files())


def last_commit(path):
    log = os.path.join(path, "_delta_log")
    name = sorted(f for f in os.listdir(log) if f.endswith(".json"))[-1]
    with open(os.path.join(log, name)) as f:
        for line in f:
            action = json.loads(line)
            if "commitInfo" in action:
                return action["commitInfo"]
    return None


def merge_both(path, copy, src, build):
    m = build(shoal.DeltaTable(path).merge(src, "target.id = source.id", source_alias="source",
                                           target_alias="target")).execute()
    want = build(deltalake.DeltaTable(copy).merge(src, "target.id = source.id",
                                                  source_alias="source",
                                                  target_alias="target")).execute()
    assert rows(path) == rows(copy)
    for key in ["num_source_rows", "num_target_rows_inserted", "num_target_rows_updated",
                "num_target_rows_deleted"]:
        assert m[key] == want[key], key
    return m


def test_only_touched_files_are_rewritten(tmp_path):
    # The source keys span all four files (5..100) but match rows of files 0 and 3 only.
    path, copy = four_files(tmp_path)
    src = pa.table({"id": pa.array([5, 35, 100], pa.int64()), "v": [-1.0, -2.0, -3.0],
                    "s": ["a", "b", "c"]})
    before = live_files(path)
    m = merge_both(path, copy, src,
                   lambda b: b.when_matched_update_all().when_not_matched_insert_all())
    assert m["num_target_files_scanned"] == 4
    assert m["num_target_files_removed"] == 2
    assert m["num_target_rows_updated"] == 2
    assert m["num_target_rows_inserted"] == 1
    assert m["num_target_rows_copied"] == 18
    assert len(before & live_files(path)) == 2
    assert last_commit(path)["operation"] == "MERGE"


def test_every_file_touched_conditional_insert(tmp_path):
    # Every file is rewritten, but only some unmatched source rows are inserted.
    path, copy = four_files(tmp_path)
    src = pa.table({"id": pa.array([5, 15, 25, 35, 100, 101], pa.int64()),
                    "v": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "s": ["a", "b", "c", "d", "e", "f"]})
    m = merge_both(path, copy, src,
                   lambda b: b.when_matched_update_all()
                   .when_not_matched_insert_all(predicate="source.v > 5.5"))
    assert m["num_target_files_removed"] == 4
    assert m["num_target_rows_updated"] == 4
    assert m["num_target_rows_inserted"] == 1
    assert m["num_target_rows_copied"] == 36


def test_every_file_touched_with_delete(tmp_path):
    path, copy = four_files(tmp_path)
    src = pa.table({"id": pa.array([5, 15, 25, 35, 100], pa.int64()),
                    "v": [1.0, 2.0, 3.0, 4.0, 5.0], "s": ["a", "b", "c", "d", "e"]})
    m = merge_both(path, copy, src,
                   lambda b: b.when_matched_delete(predicate="source.v < 2.5")
                   .when_matched_update_all().when_not_matched_insert_all())
    assert m["num_target_rows_deleted"] == 2
    assert m["num_target_rows_updated"] == 2
    assert m["num_target_rows_inserted"] == 1


def test_same_row_position_in_different_files_is_not_a_multiple_match(tmp_path):
    # Rows 5 of each file: the same position in different files, one source row each.
    path, copy = four_files(tmp_path)
    src = pa.table({"id": pa.array([5, 15, 25, 35], pa.int64()), "v": [1.0, 2.0, 3.0, 4.0],
                    "s": ["a", "b", "c", "d"]})
    m = merge_both(path, copy, src, lambda b: b.when_matched_update_all())
    assert m["num_target_rows_updated"] == 4


def test_multiple_match_in_a_later_file_is_an_error(tmp_path):
    path, _ = four_files(tmp_path)
    src = pa.table({"id": pa.array([5, 35, 35], pa.int64()), "v": [1.0, 2.0, 3.0],
                    "s": ["a", "b", "c"]})
    version = deltalake.DeltaTable(path).version()
    with pytest.raises(Exception, match="multiple source rows matched the same target row"):
        (shoal.DeltaTable(path).merge(src, "target.id = source.id", source_alias="source",
                                      target_alias="target")
         .when_matched_update_all().when_not_matched_insert_all().execute())
    assert deltalake.DeltaTable(path).version() == version


def test_upsert_source_row_matching_two_target_rows(tmp_path):
    # Target keys repeat across files: one source row updates both target rows.
    path = str(tmp_path / "t")
    deltalake.write_deltalake(path, data(0, 10), mode="append")
    deltalake.write_deltalake(path, data(5, 15), mode="append")
    copy = str(tmp_path / "copy")
    shutil.copytree(path, copy)
    src = pa.table({"id": pa.array([7, 20], pa.int64()), "v": [-1.0, -2.0], "s": ["a", "b"]})
    m = merge_both(path, copy, src,
                   lambda b: b.when_matched_update_all().when_not_matched_insert_all())
    assert m["num_target_rows_updated"] == 2
    assert m["num_target_rows_inserted"] == 1


def test_upsert_null_and_cast_keys(tmp_path):
    # A null source key never matches (inserted); int32 source columns are cast.
    path, copy = four_files(tmp_path)
    src = pa.table({"id": pa.array([3, None, 33, 50], pa.int32()),
                    "v": pa.array([1.0, 2.0, 3.0, 4.0]), "s": ["a", "b", "c", "d"]})
    m = merge_both(path, copy, src,
                   lambda b: b.when_matched_update_all().when_not_matched_insert_all())
    assert m["num_target_rows_updated"] == 2
    assert m["num_target_rows_inserted"] == 2
    assert m["num_target_files_removed"] == 2
