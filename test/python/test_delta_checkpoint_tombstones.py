"""Checkpoints keep the remove tombstones not yet expired (delta.deletedFileRetentionDuration)."""
import glob
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import shoal

deltalake = pytest.importorskip("deltalake")


def _removes(path, version):
    ck = pq.read_table(os.path.join(path, "_delta_log", f"{version:020d}.checkpoint.parquet"))
    return sorted(r["path"] for r in ck.column("remove").to_pylist() if r)


def _overwritten_table(path, config=None):
    shoal.write_delta(pa.table({"a": [1, 2]}), path, configuration=config)
    shoal.write_delta(pa.table({"a": [3]}), path, mode="append")
    before = set(shoal.DeltaTable(path).files())
    shoal.write_delta(pa.table({"a": [4, 5]}), path, mode="overwrite")
    return before


def test_checkpoint_keeps_recent_tombstones(tmp_path):
    path = str(tmp_path / "t")
    removed = _overwritten_table(path)
    assert shoal.DeltaTable(path).create_checkpoint()["version"] == 2
    assert _removes(path, 2) == sorted(removed)
    # The next checkpoint takes them over from the first one (no JSON commit has them).
    shoal.write_delta(pa.table({"a": [6]}), path, mode="append")
    assert shoal.DeltaTable(path).create_checkpoint()["version"] == 3
    assert _removes(path, 3) == sorted(removed)
    live = set(shoal.DeltaTable(path).files())
    assert not live & removed
    dl = deltalake.DeltaTable(path)
    assert sorted(u.rsplit("/", 1)[-1] for u in dl.file_uris()) == sorted(live)
    assert sorted(dl.to_pyarrow_table().column("a").to_pylist()) == [4, 5, 6]
    ctx = shoal.SessionContext()
    ctx.register_delta("t", path)
    assert ctx.sql("SELECT sum(a) AS s FROM t").to_arrow_table().to_pylist() == [{"s": 15}]


def test_checkpoint_drops_expired_tombstones(tmp_path):
    path = str(tmp_path / "t")
    _overwritten_table(path, {"delta.deletedFileRetentionDuration": "interval 0 hours"})
    shoal.DeltaTable(path).create_checkpoint()
    assert _removes(path, 2) == []
    assert len(glob.glob(os.path.join(path, "_delta_log", "*.checkpoint.parquet"))) == 1
