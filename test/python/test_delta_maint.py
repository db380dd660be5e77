"""Delta maintenance and constraints (DESCRIBE HISTORY, replaceWhere, ALTER TABLE,
CHECK constraints / invariants / generated columns, RESTORE, OPTIMIZE, VACUUM,
FSCK) against deltalake (delta-rs).

Every operation's result is read back by deltalake, which must see the same rows
as Shoal, and deltalake's history must show the operation.
"""

import json
import os
import time

import datetime

import pyarrow as pa
import pytest

import shoal

deltalake = pytest.importorskip("deltalake")


def rows(table, key="id"):
    return sorted(table.to_pylist(), key=lambda r: r[key])


def dl_rows(path, key="id"):
    return rows(deltalake.DeltaTable(path).to_pyarrow_table(), key)


def shoal_rows(ctx, path, key="id"):
    return rows(ctx.sql(f"SELECT * FROM delta_scan('{path}')").to_arrow_table(), key)


def dl_files(path, prefix=""):
    """Return the table's data files (relative paths) as deltalake sees them."""
    uris = deltalake.DeltaTable(path).file_uris()
    rel = [os.path.relpath(u.replace("file://", ""), path) for u in uris]
    return [f for f in rel if f.startswith(prefix)]


def log_versions(path):
    return sorted(int(f[:20]) for f in os.listdir(os.path.join(path, "_delta_log"))
                  if f.endswith(".json"))


@pytest.fixture
def ctx():
    return shoal.SessionContext()


@pytest.fixture
def table(ctx, tmp_path):
    """A partitioned table with three commits: create, two appends."""
    path = str(tmp_path / "t")
    ctx.sql(f"CREATE TABLE t (id BIGINT, p VARCHAR, v DOUBLE) USING DELTA "
            f"PARTITIONED BY (p) LOCATION '{path}'")
    ctx.sql("INSERT INTO t VALUES (1, 'a', 1.0), (2, 'a', 2.0), (3, 'b', 3.0)")
    ctx.sql("INSERT INTO t VALUES (4, 'b', 4.0), (5, 'c', 5.0)")
    return path


def test_describe_history(ctx, table):
    h = ctx.sql("DESCRIBE HISTORY t").to_pylist()
    assert [r["version"] for r in h] == [2, 1, 0]
    assert [r["operation"] for r in h] == ["WRITE", "WRITE", "CREATE TABLE"]
    assert h[0]["readVersion"] == 1 and h[0]["isBlindAppend"] is True
    assert json.loads(h[0]["operationParameters"])["mode"] == "Append"
    assert json.loads(h[0]["operationMetrics"])["numOutputRows"] == "2"
    assert h[0]["engineInfo"].startswith("shoal/")
    assert [r["version"] for r in ctx.sql("DESCRIBE HISTORY t LIMIT 1").to_pylist()] == [2]
    dl = deltalake.DeltaTable(table).history()
    assert [r["version"] for r in dl] == [2, 1, 0]


def test_describe_history_errors(ctx, table):
    ctx.sql("CREATE TABLE m AS SELECT 1 AS x")
    with pytest.raises(Exception, match="needs a Delta table"):
        ctx.sql("DESCRIBE HISTORY m")


# ---------------------------------------------------------------------------
# replaceWhere
# ---------------------------------------------------------------------------

def test_replace_where_partition(ctx, table):
    ctx.sql("INSERT INTO t REPLACE WHERE p = 'a' SELECT 10, 'a', 10.0")
    expected = [{"id": 3, "p": "b", "v": 3.0}, {"id": 4, "p": "b", "v": 4.0},
                {"id": 5, "p": "c", "v": 5.0}, {"id": 10, "p": "a", "v": 10.0}]
    assert shoal_rows(ctx, table) == expected
    assert dl_rows(table) == expected
    last = deltalake.DeltaTable(table).history(1)[0]
    assert last["operationParameters"]["predicate"] == "(p = 'a')" or \
        "p" in last["operationParameters"]["predicate"]


def test_replace_where_data_rows_rewritten(ctx, table):
    # id >= 4 matches one row in each of partitions b and c: file of b rewritten.
    ctx.sql("INSERT INTO t REPLACE WHERE id >= 4 SELECT 7, 'b', 7.0")
    expected = [{"id": 1, "p": "a", "v": 1.0}, {"id": 2, "p": "a", "v": 2.0},
                {"id": 3, "p": "b", "v": 3.0}, {"id": 7, "p": "b", "v": 7.0}]
    assert shoal_rows(ctx, table) == expected
    assert dl_rows(table) == expected


def test_replace_where_violation(ctx, table):
    before = log_versions(table)
    with pytest.raises(Exception, match=r"does not match the predicate.*id = 1"):
        ctx.sql("INSERT INTO t REPLACE WHERE id >= 4 SELECT 1, 'b', 1.0")
    assert log_versions(table) == before


def test_write_delta_predicate_matches_deltalake(tmp_path):
    data = pa.table({"id": [1, 2, 3, 4], "p": ["a", "a", "b", "b"]})
    ours, theirs = str(tmp_path / "ours"), str(tmp_path / "theirs")
    shoal.write_delta(data, ours, partition_by=["p"])
    deltalake.write_deltalake(theirs, data, partition_by=["p"])
    for new, pred in ((pa.table({"id": [0], "p": ["b"]}), "id <= 2"),
                      (pa.table({"id": [20], "p": ["a"]}), "p = 'a'")):
        shoal.write_delta(new, ours, mode="overwrite", predicate=pred)
        deltalake.write_deltalake(theirs, new, mode="overwrite", predicate=pred)
        assert dl_rows(ours) == dl_rows(theirs)
    with pytest.raises(Exception, match="does not match the predicate"):
        shoal.write_delta(pa.table({"id": [9], "p": ["a"]}), ours, mode="overwrite",
                          predicate="id <= 2")


# ---------------------------------------------------------------------------
# ALTER TABLE and constraints
# ---------------------------------------------------------------------------

def test_add_constraint_and_violation(ctx, table):
    ctx.sql("ALTER TABLE t ADD CONSTRAINT pos CHECK (v > 0)")
    dt = deltalake.DeltaTable(table)
    assert dt.metadata().configuration["delta.constraints.pos"].strip("()") == "v > 0"
    assert dt.protocol().min_writer_version >= 3
    assert dt.history(1)[0]["operation"] == "ADD CONSTRAINT"
    before = log_versions(table)
    with pytest.raises(Exception, match=r"CHECK constraint 'pos' \(\(?v > 0\)?\).*id = 6"):
        ctx.sql("INSERT INTO t VALUES (6, 'c', -1.0)")
    assert log_versions(table) == before
    # deltalake enforces our constraint too.
    with pytest.raises(Exception):
        deltalake.write_deltalake(table, pa.table({"id": [7], "p": ["c"], "v": [-2.0]}),
                                  mode="append")
    ctx.sql("INSERT INTO t VALUES (6, 'c', 6.0)")
    assert len(dl_rows(table)) == 6


def test_add_constraint_checks_existing_rows(ctx, table):
    before = log_versions(table)
    with pytest.raises(Exception, match=r"existing row violates.*'big'.*id = [123]"):
        ctx.sql("ALTER TABLE t ADD CONSTRAINT big CHECK (v > 3)")
    assert log_versions(table) == before


def test_drop_constraint(ctx, table):
    ctx.sql("ALTER TABLE t ADD CONSTRAINT pos CHECK (v > 0)")
    ctx.sql("ALTER TABLE t DROP CONSTRAINT pos")
    assert "delta.constraints.pos" not in deltalake.DeltaTable(table).metadata().configuration
    ctx.sql("INSERT INTO t VALUES (6, 'c', -1.0)")
    with pytest.raises(Exception, match="does not exist"):
        ctx.sql("ALTER TABLE t DROP CONSTRAINT pos")
    ctx.sql("ALTER TABLE t DROP CONSTRAINT IF EXISTS pos")


def test_constraint_written_by_deltalake_enforced(tmp_path):
    path = str(tmp_path / "c")
    deltalake.write_deltalake(path, pa.table({"id": [1, 2]}))
    deltalake.DeltaTable(path).alter.add_constraint({"id_pos": "id > 0"})
    with pytest.raises(Exception, match=r"id_pos.*id = -5"):
        shoal.write_delta(pa.table({"id": [3, -5]}), path, mode="append")
    shoal.write_delta(pa.table({"id": [3]}), path, mode="append")
    assert [r["id"] for r in dl_rows(path)] == [1, 2, 3]


def test_invariant_enforced(tmp_path):
    path = str(tmp_path / "inv")
    inv = json.dumps({"expression": {"expression": "x < 10"}})
    schema = pa.schema([pa.field("x", pa.int64(), metadata={"delta.invariants": inv})])
    deltalake.write_deltalake(path, pa.table({"x": [1]}, schema=schema))
    meta = deltalake.DeltaTable(path).schema().to_json()
    if "delta.invariants" not in meta:
        pytest.skip("deltalake did not keep the invariant")
    with pytest.raises(Exception, match=r"invariant.*'x'.*x = 12"):
        shoal.write_delta(pa.table({"x": [2, 12]}), path, mode="append")
    shoal.write_delta(pa.table({"x": [3]}), path, mode="append")
    assert sorted(r["x"] for r in dl_rows(path, "x")) == [1, 3]


def test_generated_column(tmp_path):
    path = str(tmp_path / "gen")
    schema = pa.schema([pa.field("a", pa.int64()),
                        pa.field("b", pa.int64(),
                                 metadata={"delta.generationExpression": "a * 2"})])
    try:
        deltalake.DeltaTable.create(path, schema=deltalake.Schema.from_arrow(schema))
    except Exception as e:  # pragma: no cover - depends on deltalake version
        pytest.skip(f"deltalake cannot create generated columns: {e}")
    if "generationExpression" not in deltalake.DeltaTable(path).schema().to_json():
        pytest.skip("deltalake did not keep the generation expression")
    shoal.write_delta(pa.table({"a": [1, 2]}), path, mode="append")  # computed
    shoal.write_delta(pa.table({"a": [3], "b": [6]}), path, mode="append")  # verified
    with pytest.raises(Exception, match=r"generated column 'b'.*a = 4"):
        shoal.write_delta(pa.table({"a": [4], "b": [7]}), path, mode="append")
    assert dl_rows(path, "a") == [{"a": 1, "b": 2}, {"a": 2, "b": 4}, {"a": 3, "b": 6}]


def test_create_table_with_generated_column(ctx, tmp_path):
    path = str(tmp_path / "g")
    ctx.sql(f"CREATE TABLE g (a BIGINT, d DATE, b BIGINT GENERATED ALWAYS AS (a * 2), "
            f"y INT GENERATED ALWAYS AS (year(d))) USING DELTA LOCATION '{path}'")
    dt = deltalake.DeltaTable(path)
    fields = {f.name: f for f in dt.schema().fields}
    assert fields["b"].metadata["delta.generationExpression"] == "a * 2"
    assert "year" in fields["y"].metadata["delta.generationExpression"]
    assert dt.protocol().min_writer_version == 4
    # Computed when absent (column list), verified when given.
    ctx.sql("INSERT INTO g (a, d) VALUES (1, DATE '2024-05-01'), (2, NULL)")
    ctx.sql("INSERT INTO g VALUES (3, DATE '2025-01-02', 6, 2025)")
    with pytest.raises(Exception, match=r"generated column 'b'"):
        ctx.sql("INSERT INTO g VALUES (4, NULL, 9, NULL)")
    want = [{"a": 1, "d": datetime.date(2024, 5, 1), "b": 2, "y": 2024},
            {"a": 2, "d": None, "b": 4, "y": None},
            {"a": 3, "d": datetime.date(2025, 1, 2), "b": 6, "y": 2025}]
    assert dl_rows(path, "a") == want
    # UPDATE recomputes the generated column.
    ctx.sql("UPDATE g SET a = 10 WHERE a = 1")
    assert dl_rows(path, "a")[-1] == {"a": 10, "d": datetime.date(2024, 5, 1), "b": 20, "y": 2024}


def test_generated_column_created_by_shoal_is_computed_by_deltalake(ctx, tmp_path):
    path = str(tmp_path / "h")
    ctx.sql(f"CREATE TABLE h (a BIGINT, b BIGINT GENERATED ALWAYS AS (a * 2)) USING DELTA "
            f"LOCATION '{path}'")
    try:
        deltalake.write_deltalake(path, pa.table({"a": [7]}), mode="append", schema_mode="merge")
    except Exception as e:  # pragma: no cover - depends on deltalake version
        pytest.skip(f"this deltalake cannot append to generated columns: {e}")
    ctx.sql("INSERT INTO h (a) VALUES (8)")
    want = [{"a": 7, "b": 14}, {"a": 8, "b": 16}]
    assert dl_rows(path, "a") == want
    assert ctx.sql("SELECT a, b FROM h ORDER BY a").to_arrow_table().to_pylist() == want


def test_create_table_default_value_refused(ctx, tmp_path):
    with pytest.raises(Exception, match="DEFAULT values are not supported"):
        ctx.sql(f"CREATE TABLE dflt (a INT DEFAULT 1) USING DELTA LOCATION '{tmp_path}/d'")


def test_not_null_column(ctx, tmp_path):
    path = str(tmp_path / "nn")
    ctx.sql(f"CREATE TABLE nn (id BIGINT NOT NULL, v INT) USING DELTA LOCATION '{path}'")
    with pytest.raises(Exception, match="'id'.*NOT NULL|NOT NULL.*'id'"):
        ctx.sql("INSERT INTO nn VALUES (NULL, 1)")
    assert log_versions(path) == [0]


def test_add_columns_and_properties(ctx, table):
    ctx.sql("ALTER TABLE t ADD COLUMNS (w INT, z VARCHAR)")
    dt = deltalake.DeltaTable(table)
    assert dt.schema().to_arrow().names == ["id", "p", "v", "w", "z"]
    ctx.sql("INSERT INTO t VALUES (6, 'c', 6.0, 1, 'x')")
    got = dl_rows(table)
    assert got[0] == {"id": 1, "p": "a", "v": 1.0, "w": None, "z": None}
    assert got[-1] == {"id": 6, "p": "c", "v": 6.0, "w": 1, "z": "x"}
    ctx.sql("ALTER TABLE t SET TBLPROPERTIES ('foo.bar' = 'baz', 'delta.logRetentionDuration' = "
            "'interval 60 days')")
    conf = deltalake.DeltaTable(table).metadata().configuration
    assert conf["foo.bar"] == "baz"
    ctx.sql("ALTER TABLE t UNSET TBLPROPERTIES ('foo.bar')")
    assert "foo.bar" not in deltalake.DeltaTable(table).metadata().configuration
    with pytest.raises(Exception, match="not set"):
        ctx.sql("ALTER TABLE t UNSET TBLPROPERTIES ('foo.bar')")
    ctx.sql("ALTER TABLE t UNSET TBLPROPERTIES IF EXISTS ('foo.bar')")
    ops = [h["operation"] for h in deltalake.DeltaTable(table).history()]
    assert ops[:4] == ["UNSET TBLPROPERTIES", "SET TBLPROPERTIES", "WRITE", "ADD COLUMNS"]
    with pytest.raises(Exception, match="already exists|a column of that name exists"):
        ctx.sql("ALTER TABLE t ADD COLUMNS (w INT)")


# ---------------------------------------------------------------------------
# RESTORE, OPTIMIZE, VACUUM, FSCK
# ---------------------------------------------------------------------------

def test_restore_matches_deltalake(ctx, tmp_path):
    ours, theirs = str(tmp_path / "ours"), str(tmp_path / "theirs")
    for path in (ours, theirs):
        deltalake.write_deltalake(path, pa.table({"id": [1, 2]}))
        deltalake.write_deltalake(path, pa.table({"id": [3]}), mode="append")
        deltalake.write_deltalake(path, pa.table({"id": [4]}), mode="overwrite")
    ctx.sql(f"RESTORE TABLE '{ours}' TO VERSION AS OF 1")
    deltalake.DeltaTable(theirs).restore(1)
    assert dl_rows(ours) == dl_rows(theirs) == [{"id": 1}, {"id": 2}, {"id": 3}]
    h = deltalake.DeltaTable(ours).history(1)[0]
    assert h["operation"] == "RESTORE"
    assert h["operationMetrics"]["numRestoredFiles"] == "2"
    with pytest.raises(Exception, match="versions are up to"):
        ctx.sql(f"RESTORE TABLE '{ours}' TO VERSION AS OF 99")


def test_restore_missing_file_errors(ctx, table):
    first = deltalake.DeltaTable(table, version=1).file_uris()[0]
    ctx.sql("INSERT OVERWRITE t SELECT 9, 'z', 9.0")
    os.remove(first.replace("file://", ""))
    before = log_versions(table)
    with pytest.raises(Exception, match="no longer exists"):
        ctx.sql("RESTORE TABLE t TO VERSION AS OF 1")
    assert log_versions(table) == before


def test_optimize_compacts(ctx, table):
    ctx.sql("INSERT INTO t VALUES (6, 'a', 6.0)")
    before = dl_rows(table)
    files_before = len(dl_files(table))
    out = ctx.sql("OPTIMIZE t").to_pylist()[0]
    m = json.loads(out["metrics"])
    assert m["numFilesRemoved"] >= 2 and m["numFilesAdded"] >= 1
    dt = deltalake.DeltaTable(table)
    assert len(dl_files(table)) == files_before - m["numFilesRemoved"] + m["numFilesAdded"]
    assert dl_rows(table) == before == shoal_rows(ctx, table)
    h = dt.history(1)[0]
    assert h["operation"] == "OPTIMIZE"
    # dataChange = false: the change feed and blind appends are unaffected.
    log = open(os.path.join(table, "_delta_log", "%020d.json" % dt.version())).read()
    assert '"dataChange":true' not in log
    # Nothing left to compact: no commit.
    assert ctx.sql("OPTIMIZE t").to_pylist()[0]["version"] is None


def test_optimize_where_and_zorder(ctx, table):
    ctx.sql("INSERT INTO t VALUES (6, 'a', 6.0), (7, 'b', 0.5)")
    before = dl_rows(table)
    m = json.loads(ctx.sql("OPTIMIZE t WHERE p = 'a'").to_pylist()[0]["metrics"])
    assert m["partitionsOptimized"] == 1
    assert len(dl_files(table, "p=b/")) == 3
    with pytest.raises(Exception, match="partition columns"):
        ctx.sql("OPTIMIZE t WHERE v > 1")
    ctx.sql("OPTIMIZE t ZORDER BY (id, v)")
    assert dl_rows(table) == before
    assert deltalake.DeltaTable(table).history(1)[0]["operationParameters"]["zOrderBy"] == \
        '["id","v"]'


def test_vacuum(ctx, table):
    ctx.sql("INSERT OVERWRITE t SELECT 9, 'z', 9.0")
    with pytest.raises(Exception, match="shorter than delta.deletedFileRetentionDuration"):
        ctx.sql("VACUUM t RETAIN 0 HOURS")
    assert ctx.sql("VACUUM t DRY RUN").to_pylist() == []  # files are recent
    ctx.sql("SET shoal.delta.vacuum_retention_check = false")
    dry = [r["path"] for r in ctx.sql("VACUUM t RETAIN 0 HOURS DRY RUN").to_pylist()]
    expected = deltalake.DeltaTable(table).vacuum(retention_hours=0, dry_run=True,
                                                  enforce_retention_duration=False)
    assert sorted(dry) == sorted(expected) and len(dry) == 4
    live = dl_files(table)
    done = [r["path"] for r in ctx.sql("VACUUM t RETAIN 0 HOURS").to_pylist()]
    assert sorted(done) == sorted(dry)
    for f in done:
        assert not os.path.exists(os.path.join(table, f))
    for f in live:
        assert os.path.exists(os.path.join(table, f))
    assert dl_rows(table) == [{"id": 9, "p": "z", "v": 9.0}]
    ops = [h["operation"] for h in deltalake.DeltaTable(table).history(2)]
    assert ops == ["VACUUM END", "VACUUM START"]


def test_vacuum_keeps_recent_tombstones(ctx, table):
    ctx.sql("INSERT OVERWRITE t SELECT 9, 'z', 9.0")
    # Make every file old: only the tombstones' deletion time protects them.
    old = time.time() - 30 * 86400
    for root, _, files in os.walk(table):
        for f in files:
            os.utime(os.path.join(root, f), (old, old))
    assert ctx.sql("VACUUM t DRY RUN").to_pylist() == []
    unreferenced = os.path.join(table, "p=a", "stray.parquet")
    open(unreferenced, "wb").close()
    os.utime(unreferenced, (old, old))
    assert [r["path"] for r in ctx.sql("VACUUM t DRY RUN").to_pylist()] == ["p=a/stray.parquet"]


def test_fsck(ctx, table):
    victim = dl_files(table)[0]
    os.remove(os.path.join(table, victim))
    assert [r["path"] for r in ctx.sql("FSCK REPAIR TABLE t DRY RUN").to_pylist()] == [victim]
    assert [r["path"] for r in ctx.sql("FSCK REPAIR TABLE t").to_pylist()] == [victim]
    dt = deltalake.DeltaTable(table)
    assert victim not in dl_files(table)
    assert dt.history(1)[0]["operation"] == "FSCK"
    dt.to_pyarrow_table()  # readable again
    assert ctx.sql("FSCK REPAIR TABLE t").to_pylist() == []


# ---------------------------------------------------------------------------
# Python API (shoal.DeltaTable, shaped like delta-rs)
# ---------------------------------------------------------------------------

def test_python_api(tmp_path):
    path = str(tmp_path / "py")
    shoal.write_delta(pa.table({"id": [1, 2], "p": ["a", "b"]}), path, partition_by=["p"])
    shoal.write_delta(pa.table({"id": [3], "p": ["a"]}), path, mode="append")
    shoal.write_delta(pa.table({"id": [4], "p": ["a"]}), path, mode="append")
    dt = shoal.DeltaTable(path)
    m = dt.optimize.compact(partition_filters=[("p", "=", "a")])
    assert m["numFilesRemoved"] == 3 and m["numFilesAdded"] == 1
    assert dt.version() == 3
    dt.optimize.z_order(["id"])
    assert dt.history(1)[0]["operation"] == "OPTIMIZE"
    m = dt.restore(1)
    assert m["numRestoredFiles"] >= 1 and m["numRestoredFile"] == m["numRestoredFiles"]
    assert [r["id"] for r in dl_rows(path)] == [1, 2, 3]
    files = dt.vacuum(retention_hours=0, dry_run=True, enforce_retention_duration=False)
    assert len(files) == 4
    assert sorted(files) == sorted(deltalake.DeltaTable(path).vacuum(
        retention_hours=0, dry_run=True, enforce_retention_duration=False))
    with pytest.raises(Exception, match="shorter than"):
        dt.vacuum(retention_hours=0)
    dt.alter.add_columns([pa.field("w", pa.int32())])
    dt.alter.add_constraint({"id_pos": "id > 0"})
    with pytest.raises(Exception, match="id_pos"):
        shoal.write_delta(pa.table({"id": [-1], "p": ["a"], "w": pa.array([1], pa.int32())}), path,
                          mode="append")
    dt.alter.drop_constraint("id_pos")
    dt.alter.drop_constraint("id_pos", raise_if_not_exists=False)
    dt.alter.set_table_properties({"delta.appendOnly": False, "x.y": "z"})
    assert deltalake.DeltaTable(path).metadata().configuration["x.y"] == "z"
    dt.alter.unset_table_properties("x.y")
    assert dt.repair(dry_run=True) == {"dry_run": True, "files_removed": []}
    assert dl_rows(path)[0] == {"id": 1, "p": "a", "w": None}


def test_expired_log_cleanup_after_checkpoint(tmp_path):
    path = str(tmp_path / "logs")
    conf = {"delta.checkpointInterval": "2", "delta.logRetentionDuration": "interval 0 days"}
    shoal.write_delta(pa.table({"id": [0]}), path, configuration=conf)
    time.sleep(0.05)
    shoal.write_delta(pa.table({"id": [1]}), path, mode="append")
    assert log_versions(path) == [0, 1]  # cleanup runs only after a checkpoint
    time.sleep(0.05)
    shoal.write_delta(pa.table({"id": [2]}), path, mode="append")
    # The checkpoint at 2 makes commits 0 and 1 removable.
    assert log_versions(path) == [2]
    assert os.path.exists(os.path.join(path, "_delta_log", "%020d.checkpoint.parquet" % 2))
    assert [r["id"] for r in dl_rows(path)] == [0, 1, 2]
    # Kept by default (30 days).
    other = str(tmp_path / "kept")
    shoal.write_delta(pa.table({"id": [0]}), other, configuration={"delta.checkpointInterval": "1"})
    shoal.write_delta(pa.table({"id": [1]}), other, mode="append")
    assert log_versions(other) == [0, 1]
