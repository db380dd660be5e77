"""Showcase: build a small sample lake and query it with Shoal.

    python -m shoal.demo [--dir DIR] [--rows N]

Writes a deterministic lake (Hive-partitioned Parquet "trips", a CSV "zones"
and an NDJSON "events" file) and runs a few queries through the Python API and
the `shoal` shell, printing the results.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq


def build_lake(root: str, rows: int) -> None:
    rng = random.Random(42)
    zones = ["Harbor", "Old Town", "Airport", "University", "Riverside", "Market"]
    with open(os.path.join(root, "zones.csv"), "w") as f:
        f.write("zone_id,zone_name,borough\n")
        for i, z in enumerate(zones):
            f.write(f"{i},{z},{'North' if i % 2 else 'South'}\n")
    start = dt.date(2026, 1, 1)
    for month in (1, 2, 3):
        n = rows // 3
        day0 = dt.date(2026, month, 1)
        table = pa.table({
            "trip_id": pa.array(range(month * 1_000_000, month * 1_000_000 + n), pa.int64()),
            "pickup_date": pa.array([day0 + dt.timedelta(days=rng.randrange(28)) for _ in range(n)]),
            "zone_id": pa.array([rng.randrange(len(zones)) for _ in range(n)], pa.int32()),
            "distance_km": pa.array([round(rng.uniform(0.5, 30.0), 2) for _ in range(n)]),
            "fare": pa.array([round(rng.uniform(3.0, 80.0), 2) for _ in range(n)]),
            "passengers": pa.array([rng.randrange(1, 5) for _ in range(n)], pa.int8()),
        })
        part = os.path.join(root, "trips", "year=2026", f"month={month}")
        os.makedirs(part, exist_ok=True)
        pq.write_table(table, os.path.join(part, "part-0.parquet"), row_group_size=max(1, n // 4))
    with open(os.path.join(root, "events.json"), "w") as f:
        for i in range(50):
            f.write(f'{{"event_id": {i}, "kind": "{rng.choice(["start", "stop", "pause"])}", '
                    f'"at": "{start + dt.timedelta(days=i)}"}}\n')


QUERIES = [
    ("Trips and revenue per zone (join CSV with partitioned Parquet)",
     """SELECT z.zone_name, count(*) AS trips, round(sum(t.fare), 2) AS revenue,
               round(avg(t.distance_km), 2) AS avg_km
        FROM trips t JOIN zones z ON t.zone_id = z.zone_id
        GROUP BY z.zone_name ORDER BY revenue DESC"""),
    ("Partition pruning: only month=2 is read",
     "SELECT month, count(*) AS trips, max(fare) AS max_fare FROM trips WHERE month = 2 GROUP BY month"),
    ("Window function: top day per month",
     """SELECT month, pickup_date, trips FROM (
          SELECT month, pickup_date, count(*) AS trips,
                 rank() OVER (PARTITION BY month ORDER BY count(*) DESC, pickup_date) AS r
          FROM trips GROUP BY month, pickup_date) WHERE r = 1 ORDER BY month"""),
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", help="where to write the lake (default: a temporary directory)")
    ap.add_argument("--rows", type=int, default=30_000)
    args = ap.parse_args(argv)

    import shoal

    root = args.dir or tempfile.mkdtemp(prefix="shoal-demo-")
    os.makedirs(root, exist_ok=True)
    build_lake(root, args.rows)
    print(f"sample lake written to {root}\n")

    ctx = shoal.SessionContext()
    ctx.register_parquet("trips", os.path.join(root, "trips"))
    ctx.register_csv("zones", os.path.join(root, "zones.csv"))
    ctx.register_json("events", os.path.join(root, "events.json"))
    for title, sql in QUERIES:
        print(f"-- {title}")
        ctx.sql(sql).show()
        print()

    print("-- The same lake from the shoal shell (EXPLAIN ANALYZE counts the files and row groups pruned)")
    script = (
        f"CREATE EXTERNAL TABLE trips STORED AS PARQUET LOCATION '{os.path.join(root, 'trips')}';\n"
        "SELECT month, count(*) AS trips FROM trips WHERE month >= 2 GROUP BY month ORDER BY month;\n"
        "EXPLAIN ANALYZE SELECT count(*) FROM trips WHERE month = 3;\n"
    )
    shell = shutil.which("shoal") or os.path.join(os.path.dirname(sys.executable), "shoal")
    subprocess.run([shell, "-c", script], check=True)
    if not args.dir:
        shutil.rmtree(root, ignore_errors=True)
    print("\ndemo finished: answer computed by Shoal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
