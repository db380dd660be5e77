"""Runtime join filters: the scan under a hash join's probe side skips row groups
outside the build keys' range and drops rows whose keys cannot match; answers are
the same with shoal.execution.runtime_filters on and off."""
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import shoal


@pytest.fixture
def tables(tmp_path):
    n = 100_000
    fact = pa.table({"k": pa.array(range(n), pa.int64()),
                     "v": pa.array([i % 97 for i in range(n)], pa.int32())})
    pq.write_table(fact, tmp_path / "fact.parquet", row_group_size=10_000)
    dim = pa.table({"k": pa.array([42_001, 42_500, 43_999, None], pa.int64()),
                    "name": ["a", "b", "c", "d"]})
    pq.write_table(dim, tmp_path / "dim.parquet")
    return tmp_path


def make_ctx(tables, on):
    ctx = shoal.SessionContext({"shoal.execution.threads": 2,
                                "shoal.execution.runtime_filters": "true" if on else "false"})
    ctx.register_parquet("fact", str(tables / "fact.parquet"))
    ctx.register_parquet("dim", str(tables / "dim.parquet"))
    return ctx


QUERY = "SELECT dim.name, fact.v FROM fact JOIN dim ON fact.k = dim.k ORDER BY dim.name"


def plan_text(ctx, sql):
    t = ctx.sql("EXPLAIN ANALYZE " + sql).to_arrow_table()
    return "\n".join(t.column("plan").to_pylist())


def test_runtime_filter_prunes_row_groups_and_rows(tables):
    on = make_ctx(tables, True)
    plan = plan_text(on, QUERY)
    scan = [line for line in plan.splitlines() if "TableScan: fact" in line]
    assert scan, plan
    # keys 42001..43999 lie in row groups 4; the other 9 row groups are skipped
    assert "row_groups_skipped=9" in scan[0], plan
    assert "rows_dropped=9997" in scan[0], plan
    assert "runtime_filter=[keys=3 range=[42001, 43999] bitmap]" in plan, plan


def test_runtime_filter_same_answers_on_and_off(tables):
    on, off = make_ctx(tables, True), make_ctx(tables, False)
    for sql in [QUERY,
                "SELECT count(*) FROM fact LEFT JOIN dim ON fact.k = dim.k",
                "SELECT count(*) FROM fact WHERE k IN (SELECT k FROM dim)",
                "SELECT count(*) FROM fact WHERE k NOT IN (SELECT k FROM dim WHERE k IS NOT NULL)",
                "SELECT count(*) FROM fact JOIN dim ON fact.k = dim.k WHERE dim.name = 'zzz'"]:
        assert on.sql(sql).to_arrow_table().equals(off.sql(sql).to_arrow_table()), sql
    assert on.sql(QUERY).to_arrow_table().column("v").to_pylist() == [42001 % 97, 42500 % 97,
                                                                        43999 % 97]
    plan = plan_text(off, QUERY)
    assert "runtime_filter" not in plan, plan
