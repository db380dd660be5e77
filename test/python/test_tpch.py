"""All 22 TPC-H queries (Q15 as CTE and as view) on Shoal vs DuckDB at a small scale.

Data comes from tpchgen-cli (a test dependency); the scale factor is
SHOAL_TPCH_SF (default 0.01). The test skips with a reason when tpchgen-cli is missing.
"""
from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "tpch"))

from engines import DuckDBEngine, ShoalEngine, results_match  # noqa: E402

QUERIES = [f"q{i:02d}" for i in range(1, 23)] + ["q15_view"]


@pytest.fixture(scope="module", params=[1, 2], ids=["threads1", "threads2"])
def engines(request, tpch_dir):
    return ShoalEngine(tpch_dir, request.param), DuckDBEngine(tpch_dir, 2)


@pytest.mark.parametrize("query", QUERIES)
def test_tpch_query_matches_duckdb(engines, query):
    shoal_engine, duck = engines
    sql = open(os.path.join(ROOT, "bench", "tpch", "queries", f"{query}.sql")).read()
    expected = duck.run(sql)
    actual = shoal_engine.run(sql)
    assert actual is not None, "Shoal returned no result"
    assert actual.num_columns == expected.num_columns
    diff = results_match(actual, expected, ordered=True)
    assert diff is None, f"{query}: {diff}"
