"""Shoal's native Delta Lake reader against the deltalake (delta-rs) oracle.

Tables come from ../shared/testdata/delta (skipped when absent) and from tables
written here with deltalake.write_deltalake; every compared version must read
identically (same columns, types up to string/timestamp flavours, same rows).
"""

import datetime as dt
import decimal
import json
import math
import os
import pathlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import shoal

deltalake = pytest.importorskip("deltalake")

TESTDATA = pathlib.Path(__file__).resolve().parents[3] / "shared" / "testdata" / "delta"
if "SHOAL_TESTDATA" in os.environ:
    TESTDATA = pathlib.Path(os.environ["SHOAL_TESTDATA"]) / "delta"


# ----------------------------------------------------------------- helpers
def norm_type(t):
    if pa.types.is_dictionary(t):
        return norm_type(t.value_type)
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", t.tz)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t):
        return pa.list_(norm_type(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, norm_type(f.type)) for f in t])
    if pa.types.is_map(t):
        return pa.map_(norm_type(t.key_type), norm_type(t.item_type))
    return t


def norm_columns(table):
    out = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        want = norm_type(col.type)
        if want != col.type:
            col = col.cast(want)
        out[name] = col
    return out


def norm_value(v):
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    if isinstance(v, list) and v and isinstance(v[0], tuple):  # map entries
        return sorted(v, key=repr)
    return v


def sorted_rows(cols):
    names = sorted(cols)
    data = [cols[n].to_pylist() for n in names]
    n = len(data[0]) if data else 0
    return sorted((tuple(norm_value(d[i]) for d in data) for i in range(n)), key=repr)


def assert_same(expected: pa.Table, got: pa.Table, what: str):
    e, g = norm_columns(expected), norm_columns(got)
    assert sorted(e) == sorted(g), f"{what}: columns {sorted(e)} != {sorted(g)}"
    for k in e:
        assert e[k].type == g[k].type, f"{what}: column {k}: {e[k].type} != {g[k].type}"
    assert got.num_rows == expected.num_rows, f"{what}: {got.num_rows} rows, expected {expected.num_rows}"
    assert sorted_rows(g) == sorted_rows(e), f"{what}: rows differ"


def oracle(path, version=None):
    """Read with delta-rs's kernel-based engine (handles column mapping and DVs)."""
    table = deltalake.DeltaTable(str(path), version=version)
    reader = deltalake.QueryBuilder().register("t", table).execute("select * from t")
    return pa.table(reader.read_all())


def shoal_read(path, version=None, threads=2):
    ctx = shoal.SessionContext({"shoal.execution.threads": threads})
    arg = f"'{path}'" + ("" if version is None else f", {version}")
    return ctx.sql(f"SELECT * FROM delta_scan({arg})").to_arrow_table()


def commit_versions(path):
    log = pathlib.Path(path) / "_delta_log"
    return sorted(int(p.name[:20]) for p in log.glob("*.json") if p.name[:20].isdigit())


# ------------------------------------------------ shared conformance tables
def conformance_tables():
    if not TESTDATA.is_dir():
        return []
    return sorted(str(p.parent.relative_to(TESTDATA)) for p in TESTDATA.rglob("_delta_log"))


# Tables delta-rs refuses (or misreads) but Shoal reads, each with the reason and
# an independent check below.
ORACLE_GAPS = {
    "golden/type-widening": "delta-rs refuses typeWidening-preview",
    "golden/type-widening-nested": "delta-rs refuses typeWidening-preview",
    "golden/basic-with-vacuum-protocol-check-feature": "delta-rs refuses vacuumProtocolCheck",
    "delta-rs/table_with_edge_timestamps": "delta-rs overflows INT96 timestamps before 1677",
}


@pytest.mark.skipif(not TESTDATA.is_dir(), reason=f"no conformance data at {TESTDATA}")
@pytest.mark.parametrize("name", conformance_tables())
def test_conformance_table(name):
    path = TESTDATA / name
    if name in ORACLE_GAPS:
        pytest.skip(f"{ORACLE_GAPS[name]}: checked by test_oracle_gaps")
    try:
        expected = oracle(path)
    except Exception as e:  # delta-rs refuses: Shoal must refuse too
        with pytest.raises(Exception):
            shoal_read(path)
        return
    assert_same(expected, shoal_read(path), name)
    # Time travel: every version still in the log (small logs), else a sample.
    versions = commit_versions(path)
    if len(versions) > 25:
        versions = versions[:: max(1, len(versions) // 10)]
    for v in versions:
        try:
            exp = oracle(path, v)
        except Exception:
            with pytest.raises(Exception):
                shoal_read(path, v)
            continue
        assert_same(exp, shoal_read(path, v, threads=1), f"{name}@{v}")


def log_adds(path):
    """Return the live add actions by plain JSON replay (no checkpoints)."""
    live = {}
    for v in commit_versions(path):
        text = (pathlib.Path(path) / "_delta_log" / f"{v:020d}.json").read_text()
        for line in text.splitlines():
            if not line.strip():
                continue
            action = json.loads(line)
            if "add" in action:
                live[action["add"]["path"]] = action["add"]
            elif "remove" in action:
                live.pop(action["remove"]["path"], None)
    return list(live.values())


@pytest.mark.skipif(not TESTDATA.is_dir(), reason=f"no conformance data at {TESTDATA}")
def test_oracle_gaps():
    # Type widening: the files hold narrower types; values must equal the raw
    # Parquet values widened to the table schema.
    for name in ["golden/type-widening", "golden/basic-with-vacuum-protocol-check-feature"]:
        path = TESTDATA / name
        got = shoal_read(path)
        raw = [pq.read_table(path / a["path"]) for a in log_adds(path)]
        assert got.num_rows == sum(t.num_rows for t in raw), name
        for col in got.column_names:
            if col not in raw[0].column_names:
                continue
            typ = got.column(col).type
            want = sorted((v for t in raw for v in t.column(col).cast(typ).to_pylist()), key=repr)
            have = sorted(got.column(col).to_pylist(), key=repr)
            assert have == want, f"{name}: column {col}"
    nested = shoal_read(TESTDATA / "golden/type-widening-nested")
    assert nested.num_rows > 0
    # Edge timestamps: INT96 read as microseconds (no nanosecond overflow).
    path = TESTDATA / "delta-rs/table_with_edge_timestamps"
    got = shoal_read(path)
    raw = pa.concat_tables([
        pq.read_table(path / a["path"], coerce_int96_timestamp_unit="us") for a in log_adds(path)])
    for col in raw.column_names:
        if pa.types.is_timestamp(raw.column(col).type):
            want = sorted(v.replace(tzinfo=None) if v else v for v in raw.column(col).to_pylist())
            have = sorted(v.replace(tzinfo=None) if v else v for v in got.column(col).to_pylist())
            assert have == want, col


@pytest.mark.skipif(not TESTDATA.is_dir(), reason=f"no conformance data at {TESTDATA}")
def test_refused_tables_give_clear_errors():
    cases = {
        "golden/versions-not-contiguous": "missing version 1",
        "golden/deltalog-invalid-protocol-version": "reader version 99",
        "golden/no-delta-log-folder": "not a Delta table",
        "delta-rs/spark-shredded-variant-preview-delta": "'variantShredding-preview'",
        "golden/deltalog-state-reconstruction-without-metadata": "no metaData action",
    }
    for name, message in cases.items():
        with pytest.raises(Exception, match=message):
            shoal_read(TESTDATA / name)


@pytest.mark.skipif(not TESTDATA.is_dir(), reason=f"no conformance data at {TESTDATA}")
def test_deletion_vectors_match_log_cardinality():
    # Rows read = rows in the files minus the rows the deletion vectors remove.
    for name in ["golden/dv-partitioned-with-checkpoint", "delta-rs/table-with-dv-small",
                 "golden/dv-with-columnmapping"]:
        path = TESTDATA / name
        ctx = shoal.SessionContext()
        files = ctx.sql(f"SELECT num_records, deletion_vector FROM delta_files('{path}')").to_pylist()
        assert any(f["deletion_vector"] for f in files), name
        total = sum(f["num_records"] for f in files)
        got = shoal_read(path)
        assert got.num_rows < total, name
        assert_same(oracle(path), got, name)


# ------------------------------------------------------ generated tables
def every_version_matches(path):
    versions = commit_versions(path)
    assert versions, "no commits written"
    for v in versions:
        assert_same(deltalake.DeltaTable(str(path), version=v).to_pyarrow_table(),
                    shoal_read(path, v), f"version {v}")
    assert_same(deltalake.DeltaTable(str(path)).to_pyarrow_table(), shoal_read(path), "latest")


def typed_batch(start, n):
    rows = range(start, start + n)
    return pa.table({
        "id": pa.array(list(rows), pa.int64()),
        "i32": pa.array([None if i % 7 == 0 else i * 3 for i in rows], pa.int32()),
        "f": pa.array([i / 4 for i in rows], pa.float64()),
        "s": pa.array([f"v{i}" if i % 5 else None for i in rows], pa.string()),
        "d": pa.array([dt.date(2024, 1, 1) + dt.timedelta(days=i % 40) for i in rows]),
        "ts": pa.array([dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=i * 3601)
                        for i in rows], pa.timestamp("us", "UTC")),
        "dec": pa.array([decimal.Decimal(i) / 100 for i in rows], pa.decimal128(10, 2)),
        "pint": pa.array([i % 3 for i in rows], pa.int32()),
        "pstr": pa.array([["a b", "x/y=z", "ü%", None][i % 4] for i in rows], pa.string()),
        "pdate": pa.array([dt.date(2020, 1, 1 + i % 2) for i in rows]),
        "pbool": pa.array([i % 2 == 0 for i in rows]),
    })


def test_generated_partitioned_many_commits(tmp_path):
    path = tmp_path / "t"
    write = deltalake.write_deltalake
    parts = ["pint", "pstr", "pdate", "pbool"]
    write(str(path), typed_batch(0, 40), partition_by=parts)
    for k in range(1, 14):
        write(str(path), typed_batch(k * 40, 15), partition_by=parts, mode="append")
        if k % 5 == 0:
            deltalake.DeltaTable(str(path)).create_checkpoint()
    table = deltalake.DeltaTable(str(path))
    table.delete("id % 3 = 0")
    table = deltalake.DeltaTable(str(path))
    table.update(updates={"s": "'updated'"}, predicate="id > 300")
    deltalake.DeltaTable(str(path)).create_checkpoint()
    write(str(path), typed_batch(1000, 10), partition_by=parts, mode="append")
    every_version_matches(path)


def test_generated_overwrite_merge_and_schema_evolution(tmp_path):
    path = tmp_path / "t"
    write = deltalake.write_deltalake
    write(str(path), pa.table({"k": [1, 2, 3], "v": ["a", "b", "c"]}))
    write(str(path), pa.table({"k": [4, 5], "v": ["d", "e"]}), mode="overwrite")
    source = pa.table({"k": [5, 6], "v": ["E", "F"]})
    (deltalake.DeltaTable(str(path)).merge(source, "t.k = s.k", source_alias="s", target_alias="t")
     .when_matched_update_all().when_not_matched_insert_all().execute())
    write(str(path), pa.table({"k": [7], "v": ["g"], "extra": [1.5]}), mode="append",
          schema_mode="merge")
    every_version_matches(path)
    got = shoal_read(path, 1).to_pydict()
    assert sorted(got["k"]) == [4, 5]
    latest = shoal_read(path)
    assert "extra" in latest.column_names  # old files read the new column as nulls
    assert sorted(latest.column("extra").to_pylist(), key=repr) == [1.5, None, None, None]


def test_checkpoint_without_old_commits(tmp_path):
    path = tmp_path / "t"
    for k in range(6):
        deltalake.write_deltalake(str(path), pa.table({"x": [k]}), mode="append")
    deltalake.DeltaTable(str(path)).create_checkpoint()
    deltalake.write_deltalake(str(path), pa.table({"x": [99]}), mode="append")
    # Drop the commits the checkpoint covers: only the checkpoint and later commits remain.
    for v in range(0, 5):
        (path / "_delta_log" / f"{v:020d}.json").unlink()
    assert sorted(shoal_read(path).column("x").to_pylist()) == [0, 1, 2, 3, 4, 5, 99]
    with pytest.raises(Exception, match="version 2"):
        shoal_read(path, 2)
    # A stale _last_checkpoint is recovered by listing.
    (path / "_delta_log" / "_last_checkpoint").write_text('{"version": 3, "size": 1}')
    assert sorted(shoal_read(path).column("x").to_pylist()) == [0, 1, 2, 3, 4, 5, 99]
    (path / "_delta_log" / "_last_checkpoint").write_text("garbage")
    assert shoal_read(path).num_rows == 7


def test_corrupt_commit_names_table_version_and_file(tmp_path):
    path = tmp_path / "t"
    deltalake.write_deltalake(str(path), pa.table({"x": [1]}))
    deltalake.write_deltalake(str(path), pa.table({"x": [2]}), mode="append")
    log = path / "_delta_log" / f"{1:020d}.json"
    log.write_text(log.read_text()[:-20])
    with pytest.raises(Exception) as err:
        shoal_read(path)
    msg = str(err.value)
    assert "version 1" in msg and f"{1:020d}.json" in msg and str(path) in msg
    assert shoal_read(path, 0).num_rows == 1


# ------------------------------------------------------------- SQL faces
@pytest.fixture
def events(tmp_path):
    path = tmp_path / "events"
    deltalake.write_deltalake(str(path), pa.table({"id": [1, 2], "day": ["mon", "mon"]}),
                              partition_by=["day"])
    deltalake.write_deltalake(str(path), pa.table({"id": [3, 4], "day": ["tue", "wed"]}),
                              partition_by=["day"], mode="append")
    deltalake.write_deltalake(str(path), pa.table({"id": [5], "day": ["wed"]}),
                              partition_by=["day"], mode="append")
    return path


def test_sql_create_external_table_and_time_travel(events):
    ctx = shoal.SessionContext()
    ctx.sql(f"CREATE EXTERNAL TABLE ev STORED AS DELTATABLE LOCATION '{events}'")
    assert ctx.sql("SELECT count(*) AS n FROM ev").to_pydict() == {"n": [5]}
    assert ctx.sql("SELECT count(*) AS n FROM ev VERSION AS OF 0").to_pydict() == {"n": [2]}
    assert ctx.sql("SELECT sum(id) AS s FROM ev VERSION AS OF 1 WHERE day = 'wed'").to_pydict() == {"s": [4]}
    ctx.sql(f"CREATE EXTERNAL TABLE ev1 STORED AS DELTA LOCATION '{events}' OPTIONS ('version' '1')")
    assert ctx.sql("SELECT count(*) AS n FROM ev1").to_pydict() == {"n": [4]}
    with pytest.raises(Exception, match="latest version is 2"):
        ctx.sql("SELECT * FROM ev VERSION AS OF 7")
    with pytest.raises(Exception, match="integer version"):
        ctx.sql("SELECT * FROM ev VERSION AS OF 'x'")
    # Timestamp time travel uses commit times.
    history = deltalake.DeltaTable(str(events)).history()
    ts0 = min(h["timestamp"] for h in history)
    when = dt.datetime.fromtimestamp(ts0 / 1000, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    n = ctx.sql(f"SELECT count(*) AS n FROM ev TIMESTAMP AS OF '{when}'").to_pydict()["n"][0]
    assert n in (2, 4, 5)
    with pytest.raises(Exception, match="no version at or before"):
        ctx.sql("SELECT * FROM ev TIMESTAMP AS OF '2000-01-01 00:00:00'")


def test_sql_file_skipping_and_file_column(events):
    ctx = shoal.SessionContext()
    ctx.sql(f"CREATE EXTERNAL TABLE ev STORED AS DELTATABLE LOCATION '{events}' "
            "OPTIONS ('file_column_name' '_file')")
    rows = ctx.sql("SELECT id, _file FROM ev WHERE day = 'tue'").to_pylist()
    assert [r["id"] for r in rows] == [3]
    assert rows[0]["_file"].startswith("day=tue/")
    plan = ctx.sql("EXPLAIN ANALYZE SELECT id FROM ev WHERE day = 'tue'").to_pydict()
    text = "\n".join(str(v) for col in plan.values() for v in col)
    assert "files_pruned=3" in text, text
    plan = ctx.sql("EXPLAIN ANALYZE SELECT id FROM ev WHERE id > 4").to_pydict()
    text = "\n".join(str(v) for col in plan.values() for v in col)
    assert "files_pruned=3" in text, text  # min/max statistics


# ---------------------------------------------------------- Python faces
def test_register_delta_and_deltalake_objects(events):
    ctx = shoal.SessionContext()
    ctx.register_delta("a", events)
    ctx.register_delta("b", str(events), version=0)
    ctx.register_table("c", deltalake.DeltaTable(str(events), version=1))
    assert ctx.sql("SELECT count(*) AS n FROM a").to_pydict() == {"n": [5]}
    assert ctx.sql("SELECT count(*) AS n FROM b").to_pydict() == {"n": [2]}
    assert ctx.sql("SELECT count(*) AS n FROM c").to_pydict() == {"n": [4]}
    with pytest.raises(ValueError):
        ctx.register_delta("d", events, version=1, timestamp="2020-01-01")


def test_delta_table_api_matches_deltalake(events):
    ours = shoal.DeltaTable(events)
    theirs = deltalake.DeltaTable(str(events))
    assert ours.version() == theirs.version() == 2
    def uris(filters=None):
        return sorted(u.replace("file://", "") for u in theirs.file_uris(filters))

    assert sorted(ours.file_uris()) == uris()
    assert len(ours.files()) == len(uris())
    assert sorted(ours.file_uris([("day", "=", "wed")])) == uris([("day", "=", "wed")])
    assert sorted(ours.file_uris([[("day", "=", "mon")], [("day", "in", ["tue"])]])) == sorted(
        uris([("day", "=", "mon")]) + uris([("day", "=", "tue")]))
    assert ours.metadata()["partition_columns"] == theirs.metadata().partition_columns
    assert ours.metadata()["id"] == theirs.metadata().id
    assert ours.protocol()["min_reader_version"] == theirs.protocol().min_reader_version
    assert [h["version"] for h in ours.history()] == [2, 1, 0]
    assert [h["operation"] for h in ours.history()] == [h["operation"] for h in theirs.history()]
    assert ours.schema().names == ["id", "day"]
    assert all(u.startswith(str(events)) for u in ours.file_uris())
    old = shoal.DeltaTable(events, version=0)
    assert old.version() == 0 and len(old.files()) == 1
    assert old.to_pyarrow_table().num_rows == 2


SKIPPING_TABLES = [
    "golden/data-skipping-basic-stats-all-types",
    "golden/data-skipping-basic-stats-all-types-checkpoint",
    "golden/data-skipping-basic-stats-all-types-columnmapping-name",
    "golden/data-skipping-basic-stats-all-types-columnmapping-id",
    "golden/data-skipping-partition-and-data-column",
    "golden/data-skipping-change-stats-collected-across-versions",
    "delta-rs/delta-2.2.0-partitioned-types",
    "delta-rs/delta-0.8.0-partitioned",
    "golden/kernel-timestamp-TIMESTAMP_MILLIS",
    "delta-rs/table-with-dv-small",
]


@pytest.mark.skipif(not TESTDATA.is_dir(), reason=f"no conformance data at {TESTDATA}")
@pytest.mark.parametrize("name", SKIPPING_TABLES)
def test_file_skipping_never_changes_results(name):
    """Filters on every primitive column at every value present: the counts with
    file skipping must equal the counts computed from the oracle's rows."""
    import pyarrow.compute as pc

    path = TESTDATA / name
    data = oracle(path)
    ctx = shoal.SessionContext({"shoal.execution.threads": 2})
    ctx.sql(f"CREATE EXTERNAL TABLE t STORED AS DELTATABLE LOCATION '{path}'")
    checked = 0
    for field in data.schema:
        t = norm_type(field.type)
        if not (pa.types.is_integer(t) or pa.types.is_string(t) or pa.types.is_date(t)
                or pa.types.is_timestamp(t) or pa.types.is_floating(t)):
            continue
        col = data.column(field.name).cast(t)
        quoted = '"' + field.name.replace('"', '""') + '"'
        values = [v for v in pc.unique(col).to_pylist() if v is not None][:6]
        for v in values:
            if isinstance(v, str):
                lit = "'" + v.replace("'", "''") + "'"
            elif isinstance(v, dt.datetime):
                lit = f"TIMESTAMP '{v.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
            elif isinstance(v, dt.date):
                lit = f"DATE '{v.isoformat()}'"
            elif isinstance(v, float):
                if math.isnan(v) or math.isinf(v):
                    continue
                lit = repr(v)
            else:
                lit = str(v)
            scalar = pa.scalar(v, t)
            for op, fn in (("=", pc.equal), ("<", pc.less), (">=", pc.greater_equal)):
                expected = pc.sum(pc.cast(fn(col, scalar), pa.int64())).as_py() or 0
                got = ctx.sql(f"SELECT count(*) AS n FROM t WHERE {quoted} {op} {lit}").to_pydict()["n"][0]
                assert got == expected, f"{name}: {field.name} {op} {lit}"
                checked += 1
        expected_nulls = col.null_count
        got = ctx.sql(f"SELECT count(*) AS n FROM t WHERE {quoted} IS NULL").to_pydict()["n"][0]
        assert got == expected_nulls, f"{name}: {field.name} IS NULL"
    assert checked > 0
