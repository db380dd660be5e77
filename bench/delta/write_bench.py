"""The write suite of the Delta benchmark (run.py --suite write): append, MERGE and
checkpoint creation, Shoal and delta-rs side by side, one process per (engine, case).

Every written table is checked after the run with both engines' readers: row
count and sum(x) for append / merge (against values computed from the seeds),
_last_checkpoint and the live file count for checkpoints.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

import generate  # noqa: E402
import write_data  # noqa: E402

WRITE_ENGINES = ("shoal", "deltalake")


def run_write(engine: str, case: str, path: str, rows: int) -> dict:
    cmd = [sys.executable, os.path.join(HERE, "write_runner.py"), "--engine", engine,
           "--case", case, "--table", path, "--rows", str(rows)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if p.returncode != 0 or not p.stdout.strip():
        return {"engine": engine, "error": f"runner exited {p.returncode}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


def read_back(path: str) -> dict:
    """count(*) and sum(x) of the table by Shoal and by deltalake."""
    import deltalake
    import shoal

    ctx = shoal.SessionContext()
    ctx.register_delta("t", path)
    s = ctx.sql("SELECT count(*) AS n, sum(x) AS sx FROM t").to_arrow_table().to_pylist()[0]
    dt = deltalake.DeltaTable(path)
    import pyarrow as pa

    d = pa.table(deltalake.QueryBuilder().register("t", dt)
                 .execute("SELECT count(*) AS n, sum(x) AS sx FROM t").read_all()).to_pylist()[0]
    return {"shoal": (s["n"], s["sx"]), "deltalake": (d["n"], d["sx"]),
            "files": len(dt.file_uris()), "version": dt.version()}


def check_rows(path: str, want: dict) -> str:
    got = read_back(path)
    for reader in ("shoal", "deltalake"):
        if got[reader] != (want["rows"], want["sum_x"]):
            return f"WRONG ({reader} reads count, sum(x) = {got[reader]}, " \
                   f"expected {(want['rows'], want['sum_x'])})"
    return f"ok ({got['files']} files, v{got['version']})"


def check_checkpoint(path: str, version: int, files: int) -> str:
    import deltalake
    import shoal

    with open(os.path.join(path, "_delta_log", "_last_checkpoint")) as f:
        last = json.load(f)
    if last.get("version") != version or last.get("numOfAddFiles", files) != files:
        return f"WRONG: _last_checkpoint {last}, expected version {version}, {files} files"
    if not os.path.exists(os.path.join(path, "_delta_log", f"{version:020d}.checkpoint.parquet")):
        return "WRONG: no checkpoint file"
    # Each reader loads from the new checkpoint (no JSON commit after it).
    n_d = len(deltalake.DeltaTable(path).file_uris())
    n_s = len(shoal.DeltaTable(path).files())
    if n_d != files or n_s != files:
        return f"WRONG: live files deltalake {n_d}, shoal {n_s}, expected {files}"
    return f"ok (v{version}, {files} files)"


def files_touched(r: dict) -> str:
    """'removed/added' data files of a MERGE from the engine's metrics."""
    m = r.get("result", {}).get("metrics") or {}
    rem = next((v for k, v in m.items() if "files_removed" in k), None)
    add = next((v for k, v in m.items() if "files_added" in k), None)
    return f"{rem}/{add}"


def write_suite(args) -> int:
    quick = args.quick
    sfx = "-quick" if quick else ""
    rows = 1_000_000 if quick else 10_000_000
    engines = [e for e in args.engines.split(",") if e in WRITE_ENGINES]
    names = ["append", "merge", "checkpoint", "checkpoint-nockpt"]
    selected = [n for n in names if not args.cases or n in args.cases]
    work = os.path.join(args.work_dir, "quick" if quick else "full")
    os.makedirs(work, exist_ok=True)
    print(f"Delta write benchmark{' (quick)' if quick else ''}: one run per case; "
          f"times in seconds, memory in MB (+base: over the process with its input data)")
    print(f"{'case':18}{'engine':12}{'open':>8}{'op':>9}{'total':>9}{'peak':>8}{'+base':>8}"
          f"{'files -/+':>12}  check")
    report = {"quick": quick, "rows": rows, "cases": {}}
    failures = 0
    for name in selected:
        results = {}
        want = None
        if name == "append":
            want = write_data.expected_append(rows)
        elif name == "merge":
            base = write_data.ensure_base(rows)
            want = write_data.expected_merge(rows)
        else:
            src = generate.ensure(("ckpt" if name == "checkpoint" else "nockpt") + sfx)
            exp = generate.expected(generate.SPECS[("ckpt" if name == "checkpoint" else
                                                    "nockpt") + sfx])
        for e in engines:
            path = os.path.join(work, f"{name}-{e}")
            shutil.rmtree(path, ignore_errors=True)
            if name == "merge":
                shutil.copytree(base, path)
            elif name.startswith("checkpoint"):
                write_data.copy_log_for_checkpoint(src, path)
            r = run_write(e, "checkpoint" if name.startswith("checkpoint") else name, path, rows)
            results[e] = r
            if "error" in r:
                check = r["error"][:200]
            elif name.startswith("checkpoint"):
                check = check_checkpoint(path, exp["version"], exp["files"])
            else:
                check = check_rows(path, want)
            r["check"] = check
            if not check.startswith("ok"):
                failures += 1
            line = f"{name:18}{e:12}"
            line += f"{r['open_s']:8.3f}" if "open_s" in r else f"{'-':>8}"
            line += f"{r['op_s']:9.3f}" if "op_s" in r else f"{'-':>9}"
            line += f"{r['total_s']:9.3f}" if "total_s" in r else f"{'-':>9}"
            peak, b = r.get("peak_rss_mb", float("nan")), r.get("baseline_rss_mb", float("nan"))
            touched = files_touched(r) if name == "merge" else "-"
            line += f"{peak:8.0f}{peak - b:8.0f}{touched:>12}  {check}"
            print(line, flush=True)
            shutil.rmtree(path, ignore_errors=True)
        if all(e in results and "total_s" in results[e] for e in WRITE_ENGINES):
            s, d = results["shoal"], results["deltalake"]
            print(f"{'':18}{'shoal/dl':12}{'':17}{s['total_s'] / d['total_s']:9.2f}x"
                  f"{s['peak_rss_mb'] / d['peak_rss_mb']:7.2f}x")
        report["cases"][name] = {"expect": want, "results": results}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out_dir = os.path.join(ROOT, "bench", "results", f"delta-write{sfx}-{stamp}")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=1, default=str)
    print(f"report: {os.path.relpath(out_dir, ROOT)}/report.json; wrong answers/errors: {failures}")
    return failures
