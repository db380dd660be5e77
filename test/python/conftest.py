import os
import shutil
import subprocess
import sys

import pytest

import shoal


@pytest.fixture
def ctx():
    return shoal.SessionContext({"shoal.execution.threads": 2})


@pytest.fixture(scope="session")
def tpch_dir(tmp_path_factory):
    """TPC-H Parquet data from tpchgen-cli at SHOAL_TPCH_SF (default 0.01), generated once
    per test session; skips with a reason when tpchgen-cli is not installed."""
    exe = shutil.which("tpchgen-cli") or os.path.join(os.path.dirname(sys.executable), "tpchgen-cli")
    if not os.path.exists(exe):
        pytest.skip("tpchgen-cli is not installed (pip install tpchgen-cli)")
    out = tmp_path_factory.mktemp("tpch")
    sf = os.environ.get("SHOAL_TPCH_SF", "0.01")
    subprocess.run([exe, "parquet", "-s", sf, "--output-dir", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    return str(out)
