"""TPC-H benchmark: Shoal, DuckDB and DataFusion side by side on the same data.

    python bench/tpch/run.py --sf 1 --threads 2 --runs 3

Generates Parquet data with tpchgen-cli (cached under bench/data/sf<SF>), runs
every query on each engine in its own process (one warm-up run, then the best of
--runs timed runs), checks every engine's result against DuckDB's, and prints
per-query times, ratios to DuckDB, geometric means and peak memory per engine.
A JSON copy of the report goes to bench/results/.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

ALL_QUERIES = [f"q{i:02d}" for i in range(1, 23)] + ["q15_view"]
ORDERED = set(ALL_QUERIES)  # every TPC-H query has an ORDER BY (ties aside)


def generate(sf: float, out_dir: str) -> None:
    marker = os.path.join(out_dir, ".complete")
    if os.path.exists(marker):
        return
    os.makedirs(out_dir, exist_ok=True)
    exe = os.path.join(os.path.dirname(sys.executable), "tpchgen-cli")
    if not os.path.exists(exe):
        exe = "tpchgen-cli"
    print(f"generating TPC-H SF{sf} into {out_dir} ...", file=sys.stderr)
    subprocess.run([exe, "parquet", "-s", str(sf), "--output-dir", out_dir], check=True)
    open(marker, "w").close()


def run_engine(engine, data, threads, runs, queries, results_dir):
    cmd = [sys.executable, os.path.join(HERE, "runner.py"), "--engine", engine, "--data", data,
           "--threads", str(threads), "--runs", str(runs), "--results-dir", results_dir,
           "--queries", *queries]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if p.returncode != 0 or not p.stdout.strip():
        return {"engine": engine, "error": f"runner exited {p.returncode}", "queries": {}}
    return json.loads(p.stdout.strip().splitlines()[-1])


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sf", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--engines", default="shoal,duckdb,datafusion")
    ap.add_argument("--queries", nargs="*", default=ALL_QUERIES)
    ap.add_argument("--data-dir", help="existing TPC-H parquet directory (default: generate)")
    args = ap.parse_args()

    sf_name = f"{args.sf:g}".replace(".", "_")
    data = args.data_dir or os.path.join(ROOT, "bench", "data", f"sf{sf_name}")
    if not args.data_dir:
        generate(args.sf, data)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results_dir = os.path.join(ROOT, "bench", "results", f"tpch-sf{sf_name}-{stamp}")
    engines = args.engines.split(",")
    reports = {e: run_engine(e, data, args.threads, args.runs, args.queries, results_dir) for e in engines}

    import pyarrow.ipc as ipc
    from engines import results_match

    def load(engine, q):
        path = os.path.join(results_dir, f"{engine}_{q}.arrow")
        return ipc.open_file(path).read_all() if os.path.exists(path) else None

    header = f"{'query':10}" + "".join(f"{e + ' s':>14}" for e in engines)
    if "duckdb" in engines:
        header += "".join(f"{e + '/duckdb':>18}" for e in engines if e != "duckdb")
    header += "  check"
    print(f"TPC-H SF{args.sf:g}, {args.threads} threads, best of {args.runs} warm runs")
    print(header)
    per_engine_times = {e: [] for e in engines}
    ratios = {e: [] for e in engines}
    failures = 0
    for q in args.queries:
        line = f"{q:10}"
        base = reports.get("duckdb", {}).get("queries", {}).get(q, {}).get("seconds")
        for e in engines:
            entry = reports[e].get("queries", {}).get(q, {})
            s = entry.get("seconds")
            line += f"{s:14.3f}" if s is not None else f"{'error':>14}"
            if s is not None:
                per_engine_times[e].append(s)
        if "duckdb" in engines:
            for e in engines:
                if e == "duckdb":
                    continue
                s = reports[e].get("queries", {}).get(q, {}).get("seconds")
                if s is not None and base:
                    ratios[e].append(s / base)
                    line += f"{s / base:18.2f}"
                else:
                    line += f"{'-':>18}"
        notes = []
        if "duckdb" in engines:
            expected = load("duckdb", q)
            for e in engines:
                if e == "duckdb":
                    continue
                entry = reports[e].get("queries", {}).get(q, {})
                if "error" in entry:
                    notes.append(f"{e}: {entry['error'][:80]}")
                    failures += 1
                    continue
                diff = results_match(load(e, q), expected, ordered=q in ORDERED)
                if diff:
                    notes.append(f"{e} differs: {diff[:80]}")
                    failures += 1
        line += "  " + ("ok" if not notes else "; ".join(notes))
        print(line)
    print(f"{'geomean':10}" + "".join(f"{geomean(per_engine_times[e]):14.3f}" for e in engines)
          + ("".join(f"{geomean(ratios[e]):18.2f}" for e in engines if e != "duckdb") if "duckdb" in engines else ""))
    print(f"{'peak MB':10}" + "".join(f"{reports[e].get('peak_rss_mb', float('nan')):14.0f}" for e in engines))
    os.makedirs(results_dir, exist_ok=True)
    with open(os.path.join(results_dir, "report.json"), "w") as f:
        json.dump(reports, f, indent=1)
    print(f"report: {os.path.relpath(results_dir, ROOT)}/report.json; result mismatches/errors: {failures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
