"""Delta tables on object stores: storage options (delta-rs names) mapped to Arrow's
S3 file system, tested against a local moto S3 server when moto is installed."""
import os
import socket

import pyarrow as pa
import pytest

import shoal

try:
    import boto3
    from moto.server import ThreadedMotoServer
    HAVE_MOTO = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_MOTO = False

needs_moto = pytest.mark.skipif(not HAVE_MOTO, reason="moto[server] is not installed: "
                                "pip install 'moto[server]' to test S3 storage options")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _upload_table(endpoint, bucket, prefix, local_dir):
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                      aws_secret_access_key="testing", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    for root, _, files in os.walk(local_dir):
        for f in files:
            full = os.path.join(root, f)
            key = prefix + "/" + os.path.relpath(full, local_dir).replace(os.sep, "/")
            s3.upload_file(full, bucket, key)


def _options(endpoint):
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint, "AWS_ALLOW_HTTP": "true"}


@needs_moto
def test_read_from_s3_with_storage_options(tmp_path, s3_server):
    local = str(tmp_path / "t")
    shoal.write_delta(pa.table({"id": list(range(10)), "part": ["a", "b"] * 5}), local,
                      partition_by=["part"])
    shoal.write_delta(pa.table({"id": [10, 11], "part": ["a", "a"]}), local, mode="append")
    _upload_table(s3_server, "bucket1", "tables/t", local)

    ctx = shoal.SessionContext()
    ctx.register_delta("t", "s3://bucket1/tables/t", storage_options=_options(s3_server))
    got = ctx.sql("SELECT count(*) AS n, sum(id) AS s FROM t WHERE part = 'a'").to_arrow_table()
    assert got.to_pylist() == [{"n": 7, "s": 0 + 2 + 4 + 6 + 8 + 10 + 11}]

    # SQL OPTIONS, lower-case names, and time travel through the same storage.
    opts = ", ".join(f"'{k.lower()}' '{v}'" for k, v in _options(s3_server).items())
    ctx.sql(f"CREATE EXTERNAL TABLE t0 STORED AS DELTATABLE LOCATION 's3://bucket1/tables/t' "
            f"OPTIONS ({opts}, 'version' '0')").collect()
    assert ctx.sql("SELECT count(*) AS n FROM t0").to_arrow_table().to_pylist() == [{"n": 10}]


@needs_moto
def test_s3_write_refused_without_conditional_put(tmp_path, s3_server):
    local = str(tmp_path / "t")
    shoal.write_delta(pa.table({"id": [1]}), local)
    _upload_table(s3_server, "bucket2", "t", local)
    ctx = shoal.SessionContext()
    ctx.register_delta("t", "s3://bucket2/t", storage_options=_options(s3_server))
    with pytest.raises(Exception, match="put-if-absent"):
        ctx.sql("INSERT INTO t VALUES (2)").collect()


def test_unknown_storage_option_lists_known_ones():
    ctx = shoal.SessionContext()
    with pytest.raises(Exception) as e:
        ctx.register_delta("t", "s3://bucket/t", storage_options={"aws_no_such_key": "1"})
    assert "unknown storage option 'aws_no_such_key'" in str(e.value)
    assert "aws_access_key_id" in str(e.value) and "aws_endpoint_url" in str(e.value)


def test_storage_options_rejected_for_local_tables(tmp_path):
    local = str(tmp_path / "t")
    shoal.write_delta(pa.table({"id": [1]}), local)
    ctx = shoal.SessionContext()
    with pytest.raises(Exception, match="unknown option 'aws_region'"):
        ctx.register_delta("t", local, storage_options={"aws_region": "us-east-1"})


@needs_moto
def test_s3_session_token_is_accepted(tmp_path, s3_server):
    # Temporary credentials (key, secret and session token) reach Arrow's S3
    # client as factory options; moto accepts any token.
    local = str(tmp_path / "t")
    shoal.write_delta(pa.table({"id": [1, 2, 3]}), local)
    _upload_table(s3_server, "bucket3", "t", local)
    ctx = shoal.SessionContext()
    opts = dict(_options(s3_server), aws_session_token="FwoGZXIvYXdzEXAMPLE/token+=")
    ctx.register_delta("t", "s3://bucket3/t", storage_options=opts)
    assert ctx.sql("SELECT sum(id) AS s FROM t").to_arrow_table().to_pylist() == [{"s": 6}]
    with pytest.raises(Exception, match="aws_session_token needs aws_access_key_id"):
        ctx.register_delta("u", "s3://bucket3/t",
                           storage_options={"aws_session_token": "x", "aws_region": "us-east-1"})
