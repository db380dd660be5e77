"""All 22 TPC-H queries (Q15 also as a view) run through the `shoal` shell executable
and compared with DuckDB's answers.

Each query runs as a script (`shoal -f q.sql --format json`) that first declares the
eight tables with CREATE EXTERNAL TABLE; the JSON the shell prints is parsed and
compared value by value (numbers within a tolerance). Data comes from tpchgen-cli
(a test dependency) at SHOAL_TPCH_SF (default 0.01); the tests skip with a reason
when tpchgen-cli or the shell executable is missing.
"""
from __future__ import annotations

import datetime
import decimal
import json
import os
import subprocess
import sys

import pytest

from shoal import _cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "tpch"))

from engines import TABLES, DuckDBEngine, table_path  # noqa: E402

SHELL = _cli.shell_path()
QUERIES = [f"q{i:02d}" for i in range(1, 23)] + ["q15_view"]

pytestmark = pytest.mark.skipif(not os.access(SHELL, os.X_OK),
                                reason=f"shoal-shell not built at {SHELL}")


@pytest.fixture(scope="module")
def duck(tpch_dir):
    return DuckDBEngine(tpch_dir, 2)


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_ddl(data_dir: str) -> str:
    return "".join(f"CREATE EXTERNAL TABLE {t} STORED AS PARQUET LOCATION "
                   f"{sql_string(table_path(data_dir, t))};\n" for t in TABLES)


def run_shell_json(script_path: str, threads: int):
    """Run a script through the shell; return its rows as lists of (name, value) pairs."""
    r = subprocess.run([SHELL, "--threads", str(threads), "--format", "json", "-f", script_path],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"shell failed (exit {r.returncode}): {r.stderr}"
    assert r.stderr == "", r.stderr
    # One JSON array per statement that returned rows; keep pairs so duplicate
    # column names would not collapse.
    decoder = json.JSONDecoder(object_pairs_hook=list)
    text, pos, results = r.stdout, 0, []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            break
        value, pos = decoder.raw_decode(text, pos)
        results.append(value)
    assert len(results) == 1, f"expected one result, the shell printed {len(results)}"
    return results[0]


def expected_value(v):
    """DuckDB's Python value as the shell's JSON would spell it."""
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, datetime.datetime):
        return v.date().isoformat() if v.time() == datetime.time(0) else v.isoformat(sep=" ")
    if isinstance(v, datetime.date):
        return v.isoformat()
    return v


def values_equal(actual, expected) -> bool:
    if isinstance(expected, float) or (isinstance(expected, int) and isinstance(actual, float)):
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            return False
        return abs(actual - expected) <= max(0.01, 1e-9 * abs(expected))
    if isinstance(expected, int) and not isinstance(expected, bool):
        return isinstance(actual, int) and not isinstance(actual, bool) and actual == expected
    return actual == expected


def compare(actual_rows, expected_table) -> str | None:
    """Return None when the shell's rows equal DuckDB's (same order), else the difference."""
    names = expected_table.column_names
    columns = [[expected_value(v) for v in c.to_pylist()] for c in expected_table.columns]
    if len(actual_rows) != expected_table.num_rows:
        return f"row count {len(actual_rows)} != expected {expected_table.num_rows}"
    for i, row in enumerate(actual_rows):
        got_names = [k.lower() for k, _ in row]
        if got_names != [n.lower() for n in names]:
            return f"row {i}: columns {got_names} != expected {names}"
        for (name, got), col in zip(row, columns):
            if not values_equal(got, col[i]):
                return f"row {i}, column {name}: {got!r} != expected {col[i]!r}"
    return None


@pytest.mark.parametrize("threads", [1, 2], ids=["threads1", "threads2"])
@pytest.mark.parametrize("query", QUERIES)
def test_tpch_query_through_shell_matches_duckdb(tpch_dir, duck, tmp_path, query, threads):
    sql = open(os.path.join(ROOT, "bench", "tpch", "queries", f"{query}.sql")).read()
    script = tmp_path / f"{query}.sql"
    script.write_text(table_ddl(tpch_dir) + sql)
    expected = duck.run(sql)
    actual = run_shell_json(str(script), threads)
    diff = compare(actual, expected)
    assert diff is None, f"{query}: {diff}"


def test_compare_detects_differences(tpch_dir, duck, tmp_path):
    """The comparison itself must fail on a wrong value, a missing row or a swapped order."""
    sql = "SELECT n_nationkey, n_name, n_regionkey * 1.5 AS x FROM nation ORDER BY n_nationkey"
    script = tmp_path / "nation.sql"
    script.write_text(table_ddl(tpch_dir) + sql + ";\n")
    expected = duck.run(sql)
    actual = run_shell_json(str(script), 2)
    assert compare(actual, expected) is None
    wrong_value = [list(r) for r in actual]
    wrong_value[3][2] = ("x", wrong_value[3][2][1] + 0.5)
    assert "column x" in compare(wrong_value, expected)
    wrong_text = [list(r) for r in actual]
    wrong_text[0][1] = ("n_name", "ATLANTIS")
    assert "ATLANTIS" in compare(wrong_text, expected)
    assert "row count" in compare(actual[:-1], expected)
    assert compare(list(reversed(actual)), expected) is not None
