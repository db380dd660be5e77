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
