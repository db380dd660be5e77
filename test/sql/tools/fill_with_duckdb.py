"""Fill or check the expected results of .slt files using DuckDB as the oracle.

    python test/sql/tools/fill_with_duckdb.py [--check] file.slt ...

Runs every `statement ok` and `query` record of a file in a fresh DuckDB connection
(records that DuckDB rejects are reported and left alone: Shoal-only syntax) and
writes DuckDB's answer, formatted as Shoal's runner prints values, below `----`.
With --check nothing is written; differences are listed. Expected results in the
repository are therefore DuckDB's answers, not Shoal's. Records preceded by a
`# oracle: skip` comment keep their hand-written expectations.
"""
from __future__ import annotations

import argparse
import datetime as dt
import decimal
import math
import sys

import duckdb


def fmt(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v == 0:
            return "0"
        return "%.12g" % v
    if isinstance(v, decimal.Decimal):
        s = format(v, "f")
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        return "0" if s == "-0" else s
    if isinstance(v, dt.datetime):
        s = v.isoformat()
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        return s
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, str):
        return v if v else "(empty)"
    return str(v)


def parse(lines):
    """Yield (kind, start, sql_lines, header, results_start, results_end)."""
    i = 0
    records = []
    skip_next = False
    while i < len(lines):
        line = lines[i].rstrip("\n")
        if line.strip() == "# oracle: skip":
            skip_next = True
            i += 1
            continue
        words = line.split()
        if words and words[0] in ("statement", "query"):
            header = line
            j = i + 1
            sql = []
            while j < len(lines) and lines[j].strip() not in ("", "----"):
                sql.append(lines[j].rstrip("\n"))
                j += 1
            rs = re = None
            if j < len(lines) and lines[j].strip() == "----":
                rs = j + 1
                re = rs
                while re < len(lines) and lines[re].strip() != "":
                    re += 1
            records.append(dict(kind=words[0], header=header, words=words, start=i, sql="\n".join(sql),
                                sql_end=j, rs=rs, re=re, skip=skip_next))
            skip_next = False
            i = (re if re is not None else j) + 1
            continue
        skip_next = False
        i += 1
    return records


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    bad = 0
    for path in args.files:
        lines = open(path).readlines()
        con = duckdb.connect()
        edits = []
        for r in parse(lines):
            w = r["words"]
            if r["kind"] == "statement":
                if w[1] == "ok":
                    try:
                        con.execute(r["sql"])
                    except Exception as e:
                        print(f"{path}:{r['start'] + 1}: duckdb rejects statement: {str(e)[:100]}")
                continue
            if len(w) > 1 and w[1] == "error":
                continue
            if r["skip"]:
                continue
            try:
                rows = con.execute(r["sql"]).fetchall()
            except Exception as e:
                print(f"{path}:{r['start'] + 1}: duckdb rejects query: {str(e)[:100]}")
                continue
            out = [" ".join(fmt(v) for v in row) for row in rows]
            if "rowsort" in w:
                out.sort()
            old = [l.rstrip("\n") for l in lines[r["rs"]:r["re"]]] if r["rs"] is not None else None
            if old != out:
                if args.check:
                    bad += 1
                    print(f"{path}:{r['start'] + 1}: expected {old} but duckdb says {out}")
                edits.append((r, out))
        if edits and not args.check:
            for r, out in reversed(edits):
                block = ["----\n"] + [o + "\n" for o in out]
                if r["rs"] is None:
                    lines[r["sql_end"]:r["sql_end"]] = block
                else:
                    lines[r["rs"] - 1:r["re"]] = block
            open(path, "w").writelines(lines)
            print(f"{path}: {len(edits)} result blocks written")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
