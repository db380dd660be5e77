"""Run TPC-H queries on one engine in this process; print a JSON report.

Used by run.py, which starts one process per engine so that each engine's peak
memory (max RSS) is measured on its own.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

import pyarrow as pa
import pyarrow.ipc as ipc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engines import ENGINES  # noqa: E402

QUERY_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "queries")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", required=True, choices=sorted(ENGINES))
    ap.add_argument("--data", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up run")
    ap.add_argument("--queries", nargs="+", required=True, help="query file stems: q01 q15_view ...")
    ap.add_argument("--results-dir", help="write each query's last result as Arrow IPC here")
    args = ap.parse_args()

    engine = ENGINES[args.engine](args.data, args.threads)
    report = {"engine": args.engine, "threads": args.threads, "queries": {}}
    for q in args.queries:
        sql = open(os.path.join(QUERY_DIR, f"{q}.sql")).read()
        entry = {}
        try:
            result = engine.run(sql)  # warm-up
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                result = engine.run(sql)
                times.append(time.perf_counter() - t0)
            entry["seconds"] = min(times)
            entry["rows"] = result.num_rows if result is not None else 0
            if args.results_dir and result is not None:
                os.makedirs(args.results_dir, exist_ok=True)
                path = os.path.join(args.results_dir, f"{args.engine}_{q}.arrow")
                with ipc.new_file(path, result.schema) as w:
                    w.write_table(result)
        except Exception as e:  # report and continue with the next query
            entry["error"] = f"{type(e).__name__}: {e}"[:500]
        report["queries"][q] = entry
        print(f"{args.engine} {q}: {entry}", file=sys.stderr, flush=True)
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
