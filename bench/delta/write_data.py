"""Data of the Delta write benchmark: rows made by numpy / pyarrow from fixed seeds.

Schema: id int64 (unique), x int64, y float64, s string (one of 1,000 names),
k int32. The same call returns the same rows in every process, so both engines
write identical input and the expected answers are computed here.

  make_rows(start, n, seed)  ids start .. start + n - 1
  base table                 `rows` rows in BASE_CHUNKS appends of make_rows(.., BASE_SEED + i),
                             written once by deltalake and cached under bench/data/delta/
  merge_source(rows)         rows // 10 updates of random existing ids (new x, y, s, k)
                             and rows // 100 new ids rows .. rows + rows // 100 - 1
"""
from __future__ import annotations

import json
import os
import shutil
import sys

import numpy as np
import pyarrow as pa

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA_DIR = os.path.join(ROOT, "bench", "data", "delta")

APPEND_SEED = 1
BASE_SEED = 100
MERGE_SEED = 7
BASE_CHUNKS = 10

_NAMES = pa.array([f"name-{i:05d}" for i in range(1000)], pa.string())


def make_rows(start: int, n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({
        "id": pa.array(np.arange(start, start + n, dtype=np.int64)),
        "x": pa.array(rng.integers(0, 1_000_000, n, dtype=np.int64)),
        "y": pa.array(rng.random(n)),
        "s": _NAMES.take(pa.array(rng.integers(0, 1000, n, dtype=np.int32))),
        "k": pa.array(rng.integers(0, 100, n, dtype=np.int32)),
    })


def base_chunks(rows: int):
    per = rows // BASE_CHUNKS
    for i in range(BASE_CHUNKS):
        yield make_rows(i * per, per, BASE_SEED + i)


def merge_ids(rows: int):
    rng = np.random.default_rng(MERGE_SEED)
    upd = rng.choice(rows, rows // 10, replace=False).astype(np.int64)
    new = np.arange(rows, rows + rows // 100, dtype=np.int64)
    return upd, new


def merge_source(rows: int) -> pa.Table:
    upd, new = merge_ids(rows)
    ids = np.concatenate([upd, new])
    t = make_rows(0, len(ids), MERGE_SEED + 1)
    return t.set_column(0, "id", pa.array(ids))


def expected_append(rows: int) -> dict:
    t = make_rows(0, rows, APPEND_SEED)
    return {"rows": rows, "sum_x": int(np.sum(t.column("x").to_numpy()))}


def expected_merge(rows: int) -> dict:
    x = np.concatenate([c.column("x").to_numpy() for c in base_chunks(rows)])
    upd, new = merge_ids(rows)
    src = merge_source(rows)
    total = int(x.sum()) - int(x[upd].sum()) + int(np.sum(src.column("x").to_numpy()))
    return {"rows": rows + len(new), "sum_x": total,
            "updated": len(upd), "inserted": len(new)}


def ensure_base(rows: int) -> str:
    """Return the path of the cached base table of `rows` rows (written by deltalake)."""
    from deltalake import DeltaTable, write_deltalake

    root = os.path.join(DATA_DIR, f"merge-base-{rows}")
    marker = root + ".complete"
    if os.path.exists(marker) and os.path.isdir(root):
        return root
    print(f"generating merge base table ({rows} rows) into {root} ...", file=sys.stderr)
    tmp = root + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for chunk in base_chunks(rows):
        write_deltalake(tmp, chunk, mode="append")
    dt = DeltaTable(tmp)
    if dt.count() != rows:
        raise RuntimeError(f"{tmp}: deltalake counts {dt.count()} rows, expected {rows}")
    shutil.rmtree(root, ignore_errors=True)
    os.replace(tmp, root)
    with open(marker, "w") as f:
        json.dump({"rows": rows, "files": len(dt.file_uris())}, f)
    return root


def copy_log_for_checkpoint(src: str, dst: str) -> None:
    """Copy the log of `src` that loading its latest version reads (every JSON
    commit, the newest checkpoint, _last_checkpoint) to `dst`; data files are not
    needed to write a checkpoint, so they are not copied."""
    shutil.rmtree(dst, ignore_errors=True)
    log_src, log_dst = os.path.join(src, "_delta_log"), os.path.join(dst, "_delta_log")
    os.makedirs(log_dst)
    names = os.listdir(log_src)
    last = None
    if "_last_checkpoint" in names:
        with open(os.path.join(log_src, "_last_checkpoint")) as f:
            last = json.load(f)["version"]
        shutil.copy2(os.path.join(log_src, "_last_checkpoint"), log_dst)
    for n in names:
        if n.endswith(".json") or (last is not None and n == f"{last:020d}.checkpoint.parquet"):
            shutil.copy2(os.path.join(log_src, n), log_dst)
