"""DeltaTable.create_checkpoint (Shoal) and interop of its checkpoint with deltalake."""
import json
import os

import pyarrow as pa
import pytest

import shoal

deltalake = pytest.importorskip("deltalake")


def _make(path, commits=5):
    for i in range(commits):
        shoal.write_delta(pa.table({"id": pa.array(range(i * 10, i * 10 + 10), pa.int64())}),
                          str(path), mode="append")


def test_create_checkpoint_latest(tmp_path):
    path = tmp_path / "t"
    _make(path)
    dt = shoal.DeltaTable(str(path))
    info = dt.create_checkpoint()
    assert info["version"] == 4 and info["num_add_files"] == 5
    log = path / "_delta_log"
    assert (log / f"{4:020d}.checkpoint.parquet").exists()
    with open(log / "_last_checkpoint") as f:
        assert json.load(f)["version"] == 4
    # Without the JSON commits both engines must load the table from the checkpoint.
    for v in range(5):
        os.remove(log / f"{v:020d}.json")
    assert deltalake.DeltaTable(str(path)).version() == 4
    assert len(deltalake.DeltaTable(str(path)).file_uris()) == 5
    assert shoal.DeltaTable(str(path)).version() == 4
    ctx = shoal.SessionContext()
    ctx.register_delta("t", str(path))
    assert ctx.sql("SELECT count(*) AS n FROM t").to_arrow_table().column(0)[0].as_py() == 50


def test_create_checkpoint_loaded_version(tmp_path):
    path = tmp_path / "t"
    _make(path)
    info = shoal.DeltaTable(str(path), version=2).create_checkpoint()
    assert info["version"] == 2 and info["num_add_files"] == 3
    assert (path / "_delta_log" / f"{2:020d}.checkpoint.parquet").exists()


def test_create_checkpoint_missing_table(tmp_path):
    from shoal import _shoal

    with pytest.raises(Exception):
        _shoal.create_delta_checkpoint(str(tmp_path / "nope"), None)
    path = tmp_path / "t"
    _make(path, commits=1)
    with pytest.raises(Exception, match="version"):
        _shoal.create_delta_checkpoint(str(path), 7)
