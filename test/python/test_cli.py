"""The `shoal` command (console script -> native shell)."""

import os
import subprocess
import sys

import pytest

import shoal
from shoal import _cli

SHELL = _cli.shell_path()


def run(args, stdin=None):
    return subprocess.run([SHELL] + args, input=stdin, capture_output=True, text=True, timeout=120)


pytestmark = pytest.mark.skipif(not os.access(SHELL, os.X_OK),
                                reason=f"shoal-shell not built at {SHELL}")


def test_c_runs_statements_in_table_format():
    r = run(["-c", "CREATE TABLE t (a INT, b VARCHAR); INSERT INTO t VALUES (1, 'x'), (22, NULL); SELECT * FROM t ORDER BY a"])
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "┌" in out and "│" in out
    assert "NULL" in out
    assert "2 rows" in out
    # Numbers are right-aligned.
    assert "│  1 │" in out or "│     1 │" in out or "│  1 " in out


def test_formats():
    r = run(["--format", "csv", "-c", "SELECT 1 AS a, 'x,y' AS b"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["a,b", '1,"x,y"']
    r = run(["--format", "json", "-c", "SELECT 1 AS a, 'q' AS b"])
    assert r.stdout.strip() == '[{"a":1,"b":"q"}]'
    r = run(["--format", "markdown", "-c", "SELECT 1 AS a"])
    assert r.stdout.splitlines()[0].startswith("| a")


def test_error_exit_code_and_message():
    r = run(["-c", "SELECT * FROM no_such_table"])
    assert r.returncode == 1
    assert r.stderr.startswith("Error: ")
    assert "no_such_table" in r.stderr


def test_file_and_stdin(tmp_path):
    script = tmp_path / "s.sql"
    script.write_text("-- a comment\nCREATE TABLE t AS\n  SELECT 41 + 1 AS answer;\n.mode csv\nSELECT answer FROM t;\n")
    r = run(["-f", str(script)])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-2:] == ["answer", "42"]
    r = run([], stdin="SELECT 2 * 21 AS v;\n")
    assert r.returncode == 0, r.stderr
    assert "42" in r.stdout


def test_set_and_threads_options():
    r = run(["--threads", "2", "--set", "shoal.execution.batch_size=5", "--format", "csv",
             "-c", "SELECT 1 AS x"])
    assert r.returncode == 0, r.stderr
    r = run(["--set", "shoal.bogus=1", "-c", "SELECT 1"])
    assert r.returncode == 1
    assert "shoal.bogus" in r.stderr


def test_dot_commands():
    r = run([], stdin=".help\nCREATE TABLE tt (a INT);\n.tables\n.schema tt\n.timer on\nSELECT 1 AS x;\n")
    assert r.returncode == 0, r.stderr
    assert ".tables" in r.stdout
    assert "tt" in r.stdout
    assert "Run Time" in r.stdout


def test_console_script_execs_shell():
    code = "import sys; sys.argv = ['shoal', '--version']; from shoal._cli import main; main()"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert "shoal" in r.stdout


def run_tty(args, columns):
    """Run the shell with standard output on a pseudo-terminal `columns` wide."""
    import pty
    master, slave = pty.openpty()
    env = dict(os.environ, COLUMNS=str(columns))
    proc = subprocess.Popen([SHELL] + args, stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=120)
    os.close(master)
    return proc.returncode, out.decode().replace("\r\n", "\n")


EXPLAIN_SETUP = ("CREATE TABLE lineitem AS SELECT 1 AS l_quantity, 2.5 AS l_extendedprice, "
                 "0.1 AS l_discount, 'A' AS l_returnflag; ")
EXPLAIN_QUERY = ("EXPLAIN SELECT l_returnflag, sum(l_extendedprice * (1 - l_discount)) AS revenue, "
                 "avg(l_quantity) AS avg_qty FROM lineitem WHERE l_quantity > 0 "
                 "GROUP BY l_returnflag ORDER BY l_returnflag")


def explain_plans():
    """Return {plan_type: plan text} of EXPLAIN_QUERY, read through the CSV format."""
    import csv
    import io
    r = run(["--format", "csv", "-c", EXPLAIN_SETUP + EXPLAIN_QUERY])
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == ["plan_type", "plan"]
    plans = {row[0]: row[1] for row in rows[1:]}
    assert "physical_plan" in plans and "\n" in plans["physical_plan"].strip()
    return plans


def test_explain_table_shows_every_plan_line_whole():
    plans = explain_plans()
    r = run(["-c", EXPLAIN_SETUP + EXPLAIN_QUERY])
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "…" not in out and "\\n" not in out
    lines = out.splitlines()
    assert lines[0].startswith("┌")
    for plan_type, plan in plans.items():
        plan_lines = plan.rstrip("\n").split("\n")
        # The first plan line shares its table line with the plan type; the rest
        # follow on their own table lines, in order, with a blank plan_type cell.
        first = next(i for i, l in enumerate(lines) if l.startswith(f"│ {plan_type} "))
        for k, text in enumerate(plan_lines):
            cells = [c.strip() for c in lines[first + k].split("│")[1:-1]]
            assert cells == [plan_type if k == 0 else "", text.strip()], lines[first + k]
            assert "│ " + text + " " in lines[first + k]  # indentation kept
    assert "rows" not in lines[-1]  # no row-count footer under a plan


def test_explain_in_narrow_terminal_prints_plans_unboxed():
    plans = explain_plans()
    rc, out = run_tty(["-c", EXPLAIN_SETUP + EXPLAIN_QUERY], columns=50)
    assert rc == 0, out
    assert "…" not in out
    lines = out.splitlines()
    for plan_type, plan in plans.items():
        title = lines.index(f"│ {plan_type} │")
        assert lines[title + 1].startswith("└")
        plan_lines = plan.rstrip("\n").split("\n")
        assert lines[title + 2: title + 2 + len(plan_lines)] == plan_lines


def test_multiline_cells_span_several_lines():
    r = run(["-c", "SELECT 'first\nsecond\nthird' AS t, 7 AS n UNION ALL SELECT 'x', 8 ORDER BY n"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    body = lines[lines.index(next(l for l in lines if l.startswith("├"))) + 1:]
    assert [c.strip() for c in body[0].split("│")[1:-1]] == ["first", "7"]
    assert [c.strip() for c in body[1].split("│")[1:-1]] == ["second", ""]
    assert [c.strip() for c in body[2].split("│")[1:-1]] == ["third", ""]
    assert [c.strip() for c in body[3].split("│")[1:-1]] == ["x", "8"]
    assert body[4].startswith("└")
    assert "2 rows" in r.stdout


def test_long_values_cut_and_max_width_option():
    value = "abcdefghij" * 10
    sql = f"SELECT '{value}' AS v"
    r = run(["-c", sql])
    assert r.returncode == 0, r.stderr
    assert value not in r.stdout and "abcdefghij" * 5 + "abcdefghi…" in r.stdout  # 60 wide
    r = run(["--max-width", "12", "-c", sql])
    assert "│ abcdefghija… │" in r.stdout
    r = run(["--max-width=0", "-c", sql])
    assert f"│ {value} │" in r.stdout
    r = run([], stdin=f".maxwidth 0\n{sql};\n.maxwidth 5\n{sql};\n")
    assert r.returncode == 0, r.stderr
    assert f"│ {value} │" in r.stdout and "│ abcd… │" in r.stdout
    r = run([], stdin=".maxwidth wide\n")
    assert r.returncode == 1 and ".maxwidth takes a non-negative number" in r.stderr
    r = run(["--max-width", "-3", "-c", sql])
    assert r.returncode == 2 and "--max-width" in r.stderr


def test_max_rows_option():
    values = ", ".join(f"({i})" for i in range(100))
    r = run(["--max-rows", "4", "-c", f"SELECT * FROM (VALUES {values}) AS t(x) ORDER BY x"])
    assert r.returncode == 0, r.stderr
    assert "100 rows (4 shown)" in r.stdout
    cells = [l.strip("│ ") for l in r.stdout.splitlines() if l.startswith("│")]
    assert cells == ["x", "int32", "0", "1", "·", "·", "·", "98", "99"]


def test_script_errors_point_at_the_file_line(tmp_path):
    script = tmp_path / "bad.sql"
    script.write_text("-- a comment\nCREATE TABLE lineitem (l_quantity INT);\nSELECT 1 AS one;\n\n"
                      "SELECT l_quantity,\n       l_quantiti\nFROM lineitem;\nSELECT 2;\n")
    r = run(["-f", str(script)])
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines[0].startswith("Error: column 'l_quantiti' not found; did you mean 'l_quantity'?")
    assert lines[0].endswith("at line 6, column 8")
    assert lines[1].strip() == "l_quantiti" and lines[2].index("^") == lines[1].index("l")
    assert "one" in r.stdout and r.stdout.count("1 row") == 1  # stopped at the error
    r = run(["-c", "SELECT 1 AS a;\nSELECT\n  1 +\n  FROM t"])
    assert r.returncode == 1
    assert "Syntax error" in r.stderr and "at line 4, column 3" in r.stderr
    assert r.stderr.splitlines()[2] == "    ^"


def test_errors_suggest_names_and_name_files(tmp_path):
    r = run(["-c", "CREATE TABLE lineitem (a INT); SELECT * FROM lineitm"])
    assert r.returncode == 1 and "did you mean 'lineitem'?" in r.stderr
    assert r.stderr.splitlines()[1].strip() == "SELECT * FROM lineitm"
    r = run([], stdin="CREATE TABLE lineitem (a INT);\n.schema lineitm\n")
    assert r.returncode == 1 and "did you mean 'lineitem'?" in r.stderr
    missing = str(tmp_path / "missing.parquet")
    r = run(["-c", f"CREATE EXTERNAL TABLE m STORED AS PARQUET LOCATION '{missing}'"])
    assert r.returncode == 1 and missing in r.stderr
    r = run(["-f", str(tmp_path / "no_script.sql")])
    assert r.returncode == 1 and "no_script.sql" in r.stderr
