"""Delta tables report per-column statistics (min / max / null count) to the
optimizer: range filters get real estimates and joins build on the smaller side.
Controls run the same plans with shoal.optimizer.column_statistics off."""
import os
import re

import pyarrow as pa
import pytest

import shoal


FILES = 20
ROWS_PER_FILE = 10_000


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A Delta table of 20 files; file k holds ids k*10000 .. k*10000+9999 (and v null
    for every tenth row)."""
    path = str(tmp_path_factory.mktemp("stats") / "big")
    for k in range(FILES):
        ids = pa.array(range(k * ROWS_PER_FILE, (k + 1) * ROWS_PER_FILE), pa.int64())
        v = pa.array([None if i % 10 == 0 else float(i) for i in range(ROWS_PER_FILE)],
                     pa.float64())
        shoal.write_delta(pa.table({"id": ids, "v": v}), path, mode="append")
    return path


def context(big, column_statistics=True):
    ctx = shoal.SessionContext(
        {"shoal.optimizer.column_statistics": "true" if column_statistics else "false"})
    ctx.register_delta("big", big)
    return ctx


def logical_plan(ctx, sql):
    out = ctx.sql("EXPLAIN " + sql).to_pydict()
    plans = dict(zip(out["plan_type"], out["plan"]))
    return plans["logical_plan"], plans["physical_plan"]


def estimate(plan, operator):
    """Return the rows~ estimate of the first line of `plan` starting with `operator`."""
    for line in plan.splitlines():
        if line.strip().startswith(operator):
            m = re.search(r"\(rows~(\d+)\)", line)
            assert m, line
            return int(m.group(1))
    raise AssertionError(f"no {operator} in\n{plan}")


def test_range_filter_estimate_uses_file_statistics(big):
    sql = "SELECT id FROM big WHERE id BETWEEN 1000 AND 150000"
    logical, _ = logical_plan(context(big), sql)
    assert estimate(logical, "Get: big") == FILES * ROWS_PER_FILE  # exact row count
    with_stats = estimate(logical, "Filter:")
    assert 140_000 <= with_stats <= 160_000, logical  # true count: 149,001
    logical_off, _ = logical_plan(context(big, column_statistics=False), sql)
    without = estimate(logical_off, "Filter:")
    assert without < 50_000, logical_off  # the fixed selectivity guess
    # A narrow range on the same table: a small estimate.
    narrow, _ = logical_plan(context(big), "SELECT id FROM big WHERE id BETWEEN 500 AND 599")
    assert estimate(narrow, "Filter:") <= 1_000, narrow


def built_table(physical):
    """Return the table the (only) hash join of `physical` builds its hash table on."""
    lines = physical.splitlines()
    for i, line in enumerate(lines):
        m = re.search(r"HashJoin: .*build=(left|right)", line)
        if not m:
            continue
        indent = len(line) - len(line.lstrip())
        children = []  # subtree text of each child
        for sub in lines[i + 1:]:
            depth = len(sub) - len(sub.lstrip())
            if not sub.strip() or depth <= indent:
                break
            if depth == indent + 2:
                children.append("")
            children[-1] += sub + "\n"
        assert len(children) == 2, physical
        side = children[0] if m.group(1) == "left" else children[1]
        found = re.findall(r"TableScan: (\w+)", side)
        assert len(found) == 1, physical
        return found[0]
    raise AssertionError(f"no HashJoin in\n{physical}")


def test_join_builds_on_the_smaller_side(big):
    small = pa.record_batch({"k": pa.array(range(0, 200_000, 4), pa.int64())})  # 50,000 rows
    sql = ("SELECT count(*) AS n FROM big JOIN small ON big.id = small.k "
           "WHERE big.id BETWEEN 1000 AND 150000")
    built = {}
    for on in (True, False):
        ctx = context(big, column_statistics=on)
        ctx.register_batch("small", small)
        _, physical = logical_plan(ctx, sql)
        built[on] = built_table(physical)
        assert ctx.sql(sql).to_pydict() == {"n": [len(range(1000, 150_001, 4))]}
    # The filtered big side (~149,000 rows) is larger than small (50,000): build on small.
    assert built[True] == "small"
    # Without column statistics the filter looked selective and big was built on.
    assert built[False] == "big"


def test_null_counts_and_time_travel(big):
    ctx = context(big)
    logical, _ = logical_plan(ctx, "SELECT id FROM big WHERE v IS NULL")
    assert 15_000 <= estimate(logical, "Filter:") <= 25_000, logical  # 20,000 nulls
    # Version 0 holds one file: its own row count and bounds.
    logical0, _ = logical_plan(ctx, "SELECT id FROM big VERSION AS OF 0 WHERE id BETWEEN 0 AND 4999")
    assert estimate(logical0, "Get:") == ROWS_PER_FILE, logical0
    assert 4_000 <= estimate(logical0, "Filter:") <= 6_000, logical0
