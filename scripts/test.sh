#!/usr/bin/env bash
# Set up, build everything (library, shell, Python package, tests, examples) and run
# the whole test suite: C++ unit tests, sqllogictest files (threads off and on, tiny
# batches), the example program and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Relative paths in the compiler cache key: clones in other folders reuse the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
# One CMake tree (build/dev) serves the Python package and the tests.
.venv/bin/python -m pip install -q --disable-pip-version-check --no-build-isolation \
  -C build-dir=build/dev -C cmake.define.SHOAL_BUILD_TESTS=ON .
echo "== C++ tests, sqllogictest, example"
ctest --test-dir build/dev --output-on-failure -j "$(nproc)"
echo "== Python tests"
.venv/bin/python -m pytest -q test/python "$@"
