"""Delta benchmark: Shoal and delta-rs (deltalake) side by side on the same tables.

    python bench/delta/run.py [--suite read|write|all] [--quick] [--engines shoal,deltalake] [--runs 3]

Generates the tables once (bench/delta/generate.py; cached under
bench/data/delta/), then runs every case on every engine, each (engine, case)
in its own process so peak memory (max RSS) is that engine's alone, and prints
open / query / total seconds (best of --runs after a warm-up), peak RSS and the
RSS growth over the process baseline (interpreter + pyarrow + the engine's
library), and checks every answer. A JSON copy goes to bench/results/.

Cases:
  count-ckpt     open + SELECT count(*): 10,000 commits of 10 files (100,000
                 files), a checkpoint every 100 versions (load = checkpoint 9900
                 + 99 JSON commits)
  count-nockpt   open + SELECT count(*): 5,000 commits of 10 files, no checkpoint
                 (load = 5,000 JSON commits)
  select-skip    SELECT sum(x) FROM t WHERE id BETWEEN a AND b on a 1,000-file
                 table where each file holds its own id range: ~1 file matches
  select-nostats the same predicate on id2 (= id), a column the log keeps no
                 statistics for (delta.dataSkippingNumIndexedCols = 2): no engine
                 can skip files from the log, every file is opened
  select-noskip  Shoal only: the select-skip query with OPTIONS ('file_skipping'
                 'false'), which turns off partition and statistics skipping
--quick uses tables 10x smaller (1,000 / 500 commits) and one timed run.

Write suite (--suite write; write_bench.py, write_runner.py, write_data.py), one
run per (engine, case), each engine in its own process on its own copy:
  append          write 10M rows (id, x, y, s, k; pyarrow, fixed seed) to a new table
  merge           MERGE 1M updated + 100k new rows (random ids) into a 10M-row table
                  (10 files, written by deltalake, cached), on target.id = source.id
  checkpoint      create a checkpoint of the 100,000-file `ckpt` table (its log
                  copied: JSON commits + the newest checkpoint), latest version
  checkpoint-nockpt  the same for the 50,000-file `nockpt` table (5,000 JSON commits)
--quick: 1M rows / 100k + 10k merge rows, the -quick tables.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import generate  # noqa: E402

LO, HI = 500_100, 500_199  # inside file 500 of the skipping table (ids 500000..500999)
SUM_SQL = "SELECT sum(x) FROM t WHERE {col} BETWEEN %d AND %d" % (LO, HI)


def cases(quick: bool):
    sfx = "-quick" if quick else ""
    select_sum = sum(generate.x_of(i) for i in range(LO, HI + 1))
    return [
        dict(name="count-ckpt", table="ckpt" + sfx, sql="SELECT count(*) FROM t",
             expect=generate.expected(generate.SPECS["ckpt" + sfx])["rows"]),
        dict(name="count-nockpt", table="nockpt" + sfx, sql="SELECT count(*) FROM t",
             expect=generate.expected(generate.SPECS["nockpt" + sfx])["rows"]),
        dict(name="select-skip", table="skipping" + sfx, sql=SUM_SQL.format(col="id"),
             expect=select_sum),
        dict(name="select-nostats", table="skipping" + sfx, sql=SUM_SQL.format(col="id2"),
             expect=select_sum),
        dict(name="select-noskip", table="skipping" + sfx, sql=SUM_SQL.format(col="id"),
             expect=select_sum, options={"file_skipping": "false"}, only=("shoal", "shoal-py")),
    ]


def run_one(engine, case, path, threads, runs):
    cmd = [sys.executable, os.path.join(HERE, "runner.py"), "--engine", engine, "--table", path,
           "--sql", case["sql"], "--options", json.dumps(case.get("options", {})),
           "--threads", str(threads), "--runs", str(runs)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if p.returncode != 0 or not p.stdout.strip():
        return {"engine": engine, "error": f"runner exited {p.returncode}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10x smaller tables, one timed run")
    ap.add_argument("--engines", default="shoal,deltalake",
                    help="comma-separated: shoal, shoal-py, deltalake, deltalake-pyarrow")
    ap.add_argument("--cases", nargs="*", help="case names (default: all)")
    ap.add_argument("--runs", type=int, help="timed runs per case (default 3, --quick 1)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--suite", choices=["read", "write", "all"], default="read")
    ap.add_argument("--work-dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                                      "shoal-delta-write-bench"),
                    help="write suite: where the written tables go (removed after checking)")
    args = ap.parse_args()
    failures = 0
    if args.suite in ("read", "all"):
        failures += read_suite(args)
    if args.suite in ("write", "all"):
        import write_bench

        failures += write_bench.write_suite(args)
    return 1 if failures else 0


def read_suite(args) -> int:
    runs = args.runs or (1 if args.quick else 3)
    engines = args.engines.split(",")
    selected = [c for c in cases(args.quick) if not args.cases or c["name"] in args.cases]

    paths = {t: generate.ensure(t) for t in sorted({c["table"] for c in selected})}
    print(f"Delta benchmark{' (quick)' if args.quick else ''}, {args.threads} threads, "
          f"best of {runs} runs after a warm-up; times in seconds, memory in MB")
    print(f"{'case':16}{'engine':19}{'open':>9}{'query':>9}{'total':>9}{'peak':>8}{'+base':>8}  check")
    report = {"quick": args.quick, "threads": args.threads, "runs": runs, "cases": {}}
    failures = 0
    for case in selected:
        results = {}
        for e in engines:
            if "only" in case and e not in case["only"]:
                continue
            r = run_one(e, case, paths[case["table"]], args.threads, runs)
            results[e] = r
            if "error" in r:
                check = r["error"][:100]
                failures += 1
            elif r["value"] != case["expect"]:
                check = f"WRONG: {r['value']} != {case['expect']}"
                failures += 1
            else:
                check = "ok"
            line = f"{case['name']:16}{e:19}"
            for k in ("open_s", "query_s", "total_s"):
                line += f"{r[k]:9.3f}" if k in r else f"{'-':>9}"
            peak, base = r.get("peak_rss_mb", float("nan")), r.get("baseline_rss_mb", float("nan"))
            line += f"{peak:8.0f}{peak - base:8.0f}  {check}"
            print(line, flush=True)
        if "shoal" in results and "deltalake" in results and "total_s" in results["shoal"] \
                and "total_s" in results["deltalake"]:
            s, d = results["shoal"], results["deltalake"]
            print(f"{'':16}{'shoal/deltalake':19}{'':27}{s['total_s'] / d['total_s']:9.2f}x"
                  f"{s['peak_rss_mb'] / d['peak_rss_mb']:7.2f}x")
        report["cases"][case["name"]] = {"sql": case["sql"], "table": case["table"],
                                         "expect": case["expect"], "results": results}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out_dir = os.path.join(ROOT, "bench", "results", f"delta{'-quick' if args.quick else ''}-{stamp}")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(f"report: {os.path.relpath(out_dir, ROOT)}/report.json; wrong answers/errors: {failures}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
