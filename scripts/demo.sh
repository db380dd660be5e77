#!/usr/bin/env bash
# Set up Shoal on a fresh machine, build and install it into .venv, generate a
# small sample lake and run a showcase of queries over it with the `shoal` shell
# and the Python API.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Relative paths in the compiler cache key: clones in other folders reuse the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
echo "== building and installing shoal into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check --no-build-isolation \
  -C build-dir=build/release .
echo "== running the showcase"
exec .venv/bin/python -m shoal.demo "$@"
