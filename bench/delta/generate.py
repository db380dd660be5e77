"""Generate the Delta tables of the Delta benchmark (cached under bench/data/delta/).

Writing thousands of commits one at a time through a Delta writer is slow, so
the commit files are written directly: each is valid newline-delimited JSON
(commitInfo, then protocol and metaData in version 0, then add actions with
JSON statistics) that points at small real Parquet files written with pyarrow.
Checkpoints are made by deltalake (delta-rs): after writing version v the table
is opened at its latest version (= v) and `create_checkpoint()` checkpoints it,
which also writes `_last_checkpoint`. Every table is verified with deltalake
(it must open it at the expected version with the expected files and rows).

Tables (SPECS below; the quick variants are 10x smaller):
  ckpt      commits with `adds_per_commit` files each, a checkpoint every
            `checkpoint_every` versions (classic single-file Parquet checkpoint)
  nockpt    commits with `adds_per_commit` files each and no checkpoint
  skipping  `files` files in `commits` commits; file i holds ids
            [i*rows, (i+1)*rows), so `id BETWEEN a AND b` matches ~1 file.
            Statistics cover only `id` and `x` (delta.dataSkippingNumIndexedCols
            = 2): `id2` (= id) has none, so no engine can skip files on it.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA_DIR = os.path.join(ROOT, "bench", "data", "delta")

# name -> shape. Rows per data file are `rows`; data values are functions of the
# global row id so expected answers are known without reading the files.
SPECS = {
    "ckpt": dict(commits=10_000, adds_per_commit=10, rows=10, checkpoint_every=100),
    "nockpt": dict(commits=5_000, adds_per_commit=10, rows=10, checkpoint_every=0),
    "skipping": dict(commits=10, adds_per_commit=100, rows=1_000, checkpoint_every=0, skipping=True),
    "ckpt-quick": dict(commits=1_000, adds_per_commit=10, rows=10, checkpoint_every=100),
    "nockpt-quick": dict(commits=500, adds_per_commit=10, rows=10, checkpoint_every=0),
    "skipping-quick": dict(commits=10, adds_per_commit=100, rows=1_000, checkpoint_every=0,
                           skipping=True),
}

BASE_TS = 1_760_000_000_000  # commit timestamps (ms): BASE_TS + version * 1000


def x_of(i: int) -> int:
    return i % 97


def expected(spec: dict) -> dict:
    files = spec["commits"] * spec["adds_per_commit"]
    rows = files * spec["rows"]
    return {"version": spec["commits"] - 1, "files": files, "rows": rows}


def schema_string(skipping: bool) -> str:
    def f(name, typ):
        return {"name": name, "type": typ, "nullable": True, "metadata": {}}
    fields = [f("id", "long"), f("x", "long")] + ([f("id2", "long")] if skipping else [f("s", "string")])
    return json.dumps({"type": "struct", "fields": fields}, separators=(",", ":"))


def file_name(i: int) -> str:
    return f"part-{i:07d}-c000.snappy.parquet"


def write_data_files(args) -> list:
    """Write data files [first, last) of a table; return (size, stats JSON) per file."""
    root, first, last, rows, skipping = args
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = []
    for i in range(first, last):
        lo = i * rows
        ids = list(range(lo, lo + rows))
        xs = [x_of(j) for j in ids]
        cols = {"id": pa.array(ids, pa.int64()), "x": pa.array(xs, pa.int64())}
        if skipping:
            cols["id2"] = pa.array(ids, pa.int64())
            stats = {"numRecords": rows, "minValues": {"id": lo, "x": min(xs)},
                     "maxValues": {"id": lo + rows - 1, "x": max(xs)},
                     "nullCount": {"id": 0, "x": 0}}
        else:
            names = [f"name-{j % 100:03d}" for j in ids]
            cols["s"] = pa.array(names, pa.string())
            stats = {"numRecords": rows, "minValues": {"id": lo, "x": min(xs), "s": min(names)},
                     "maxValues": {"id": lo + rows - 1, "x": max(xs), "s": max(names)},
                     "nullCount": {"id": 0, "x": 0, "s": 0}}
        path = os.path.join(root, file_name(i))
        pq.write_table(pa.table(cols), path, compression="snappy")
        out.append((os.path.getsize(path), json.dumps(stats, separators=(",", ":"))))
    return out


def commit_lines(version: int, spec: dict, first_file: int, files: list, table_id: str) -> str:
    ts = BASE_TS + version * 1000
    lines = [{"commitInfo": {"timestamp": ts, "operation": "WRITE",
                             "operationParameters": {"mode": "Append"},
                             "clientVersion": "shoal-bench-delta", "isBlindAppend": True}}]
    if version == 0:
        conf = {"delta.dataSkippingNumIndexedCols": "2"} if spec.get("skipping") else {}
        lines.append({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}})
        lines.append({"metaData": {"id": table_id, "format": {"provider": "parquet", "options": {}},
                                   "schemaString": schema_string(bool(spec.get("skipping"))),
                                   "partitionColumns": [], "configuration": conf,
                                   "createdTime": ts}})
    for k, (size, stats) in enumerate(files):
        lines.append({"add": {"path": file_name(first_file + k), "partitionValues": {},
                              "size": size, "modificationTime": ts, "dataChange": True,
                              "stats": stats}})
    return "".join(json.dumps(l, separators=(",", ":")) + "\n" for l in lines)


def generate_table(name: str, spec: dict, root: str) -> None:
    from deltalake import DeltaTable

    tmp = root + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    log = os.path.join(tmp, "_delta_log")
    os.makedirs(log)
    n_files = spec["commits"] * spec["adds_per_commit"]
    t0 = time.time()
    chunk = 2_000
    jobs = [(tmp, s, min(s + chunk, n_files), spec["rows"], bool(spec.get("skipping")))
            for s in range(0, n_files, chunk)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        files = [f for part in pool.map(write_data_files, jobs) for f in part]
    print(f"  {name}: {n_files} data files in {time.time() - t0:.1f} s", file=sys.stderr)
    t0 = time.time()
    table_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "shoal-bench-delta/" + name))
    per = spec["adds_per_commit"]
    every = spec["checkpoint_every"]
    for v in range(spec["commits"]):
        with open(os.path.join(log, f"{v:020d}.json"), "w") as f:
            f.write(commit_lines(v, spec, v * per, files[v * per:(v + 1) * per], table_id))
        if every and v > 0 and v % every == 0:
            dt = DeltaTable(tmp)
            if dt.version() != v:
                raise RuntimeError(f"deltalake loaded version {dt.version()}, expected {v}")
            dt.create_checkpoint()
    # Commit file times follow the commit timestamps (time travel by timestamp).
    for v in range(spec["commits"]):
        t = (BASE_TS + v * 1000) / 1000.0
        os.utime(os.path.join(log, f"{v:020d}.json"), (t, t))
    print(f"  {name}: {spec['commits']} commits in {time.time() - t0:.1f} s", file=sys.stderr)
    verify(tmp, spec)
    os.replace(tmp, root)


def verify(root: str, spec: dict) -> None:
    """Check the table with deltalake: version, live files, rows (from a full count)."""
    import pyarrow.dataset as ds
    from deltalake import DeltaTable

    want = expected(spec)
    dt = DeltaTable(root)
    if dt.version() != want["version"]:
        raise RuntimeError(f"{root}: deltalake sees version {dt.version()}, expected {want['version']}")
    n_files = len(dt.file_uris())
    if n_files != want["files"]:
        raise RuntimeError(f"{root}: deltalake sees {n_files} files, expected {want['files']}")
    # Count rows by reading every file (not from statistics).
    rows = ds.dataset(dt.file_uris(), format="parquet").count_rows()
    if rows != want["rows"]:
        raise RuntimeError(f"{root}: {rows} rows in the data files, expected {want['rows']}")
    if dt.count() != want["rows"]:
        raise RuntimeError(f"{root}: deltalake counts {dt.count()} rows from statistics, "
                           f"expected {want['rows']}")


def ensure(name: str) -> str:
    """Return the path of table `name`, generating it when not cached."""
    root = os.path.join(DATA_DIR, name)
    marker = root + ".complete"
    if os.path.exists(marker) and os.path.isdir(root):
        return root
    print(f"generating Delta table '{name}' into {root} ...", file=sys.stderr)
    os.makedirs(DATA_DIR, exist_ok=True)
    shutil.rmtree(root, ignore_errors=True)
    generate_table(name, SPECS[name], root)
    with open(marker, "w") as f:
        json.dump(expected(SPECS[name]), f)
    return root


if __name__ == "__main__":
    for n in sys.argv[1:] or SPECS:
        print(ensure(n))
