import pytest

import shoal


@pytest.fixture
def ctx():
    return shoal.SessionContext({"shoal.execution.threads": 2})
