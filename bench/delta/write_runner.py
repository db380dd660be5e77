"""Run one write case of the Delta benchmark on one engine in this process; print a JSON report.

Used by run.py (--suite write), one process per (engine, case), so the peak
memory (max RSS) belongs to that engine and case alone. The input data is made
in-process by pyarrow from a fixed seed (write_data.py) before the clock starts,
so `baseline_rss_mb` includes it and `peak - baseline` is the engine's own use.

  append      write `--rows` rows to a new table at --table
  merge       MERGE the update/insert source into the table at --table (a fresh copy
              of the base table): when matched update all, when not matched insert all
  checkpoint  open the table at --table and create a checkpoint of its latest version
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import write_data  # noqa: E402


def rss_mb() -> float:
    """Peak RSS of this process (VmHWM; unlike ru_maxrss it does not carry the
    parent's peak over fork + exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def shoal_ops():
    import shoal

    def append(path, data):
        r = shoal.write_delta(data, path, mode="append")
        return {"files_added": r["num_files"], "version": r["version"]}

    def merge(path, source):
        dt = shoal.DeltaTable(path)
        m = (dt.merge(source, "target.id = source.id", source_alias="source",
                      target_alias="target")
             .when_matched_update_all().when_not_matched_insert_all().execute())
        return {"metrics": m, "version": dt.version()}

    def open_table(path):
        return shoal.DeltaTable(path)

    def checkpoint(dt):
        return dt.create_checkpoint()

    return append, merge, open_table, checkpoint


def deltalake_ops():
    import deltalake

    def append(path, data):
        deltalake.write_deltalake(path, data, mode="append")
        dt = deltalake.DeltaTable(path)
        return {"files_added": len(dt.file_uris()), "version": dt.version()}

    def merge(path, source):
        dt = deltalake.DeltaTable(path)
        m = (dt.merge(source, "target.id = source.id", source_alias="source",
                      target_alias="target")
             .when_matched_update_all().when_not_matched_insert_all().execute())
        return {"metrics": m, "version": dt.version()}

    def open_table(path):
        return deltalake.DeltaTable(path)

    def checkpoint(dt):
        dt.create_checkpoint()
        return {}

    return append, merge, open_table, checkpoint


OPS = {"shoal": shoal_ops, "deltalake": deltalake_ops}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", required=True, choices=sorted(OPS))
    ap.add_argument("--case", required=True, choices=["append", "merge", "checkpoint"])
    ap.add_argument("--table", required=True)
    ap.add_argument("--rows", type=int, default=0, help="append: rows; merge: base table rows")
    args = ap.parse_args()

    append, merge, open_table, checkpoint = OPS[args.engine]()
    import pyarrow  # noqa: F401

    data = None
    if args.case == "append":
        data = write_data.make_rows(0, args.rows, seed=write_data.APPEND_SEED)
    elif args.case == "merge":
        data = write_data.merge_source(args.rows)
    report = {"engine": args.engine, "case": args.case, "baseline_rss_mb": rss_mb()}
    try:
        t0 = time.perf_counter()
        if args.case == "append":
            report["result"] = append(args.table, data)
        elif args.case == "merge":
            report["result"] = merge(args.table, data)
        else:
            dt = open_table(args.table)
            report["open_s"] = time.perf_counter() - t0
            t1 = time.perf_counter()
            report["result"] = checkpoint(dt)
            report["op_s"] = time.perf_counter() - t1
        report["total_s"] = time.perf_counter() - t0
    except Exception as e:  # report and let run.py print it
        report["error"] = f"{type(e).__name__}: {e}"[:500]
    report["peak_rss_mb"] = rss_mb()
    print(json.dumps(report, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
