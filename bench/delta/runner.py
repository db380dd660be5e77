"""Run one case of the Delta benchmark on one engine in this process; print a JSON report.

Used by run.py, which starts one process per (engine, case) so that each peak
memory (max RSS) belongs to that engine and case alone. Every run opens the
table afresh (one warm-up run, then the best of --runs by total time).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engines import ENGINES  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", required=True, choices=sorted(ENGINES))
    ap.add_argument("--table", required=True)
    ap.add_argument("--sql", required=True)
    ap.add_argument("--options", default="{}", help="JSON object of table options")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    engine = ENGINES[args.engine](args.threads)
    import pyarrow  # noqa: F401  (both engines load it; count it in the baseline)

    report = {"engine": args.engine, "baseline_rss_mb": rss_mb()}
    options = json.loads(args.options) or None
    try:
        best = None
        for i in range(args.runs + 1):
            t0 = time.perf_counter()
            handle = engine.open(args.table, options)
            t1 = time.perf_counter()
            value = engine.query(handle, args.sql)
            t2 = time.perf_counter()
            del handle
            if i == 0:
                continue  # warm-up (file system cache)
            run = {"open_s": t1 - t0, "query_s": t2 - t1, "total_s": t2 - t0}
            if best is None or run["total_s"] < best["total_s"]:
                best = run
        report.update(best)
        report["value"] = value
    except Exception as e:  # report and let run.py print it
        report["error"] = f"{type(e).__name__}: {e}"[:500]
    report["peak_rss_mb"] = rss_mb()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
