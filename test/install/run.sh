#!/usr/bin/env bash
# The packaging test: installs a libpkvm build into a fresh prefix, then
# builds and runs test/install (an out-of-tree project using nothing but
# find_package(pkvm)) against it, without LD_LIBRARY_PATH.
#   test/install/run.sh [BUILD_DIR [WORK_DIR]]   (default build/release, build/install-test)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build/release}
WORK=${2:-$ROOT/build/install-test}
rm -rf "$WORK"
mkdir -p "$WORK"
cmake --install "$BUILD" --prefix "$WORK/prefix" >/dev/null
# A consumer's environment: no LD_LIBRARY_PATH, no CMAKE_CXX_STANDARD.
unset LD_LIBRARY_PATH
cmake -S "$ROOT/test/install" -B "$WORK/build" -G Ninja -DCMAKE_PREFIX_PATH="$WORK/prefix" \
  -DPKVM_EXAMPLES_DIR="$ROOT/examples" -DPKVM_DOCS_DIR="$ROOT/docs" >/dev/null
cmake --build "$WORK/build" -j "${JOBS:-2}"
# The installed C library finds libpkvm through its own RUNPATH.
libc=$(find "$WORK/prefix" -name 'libpkvm_c.so' | head -1)
if ! readelf -d "$libc" | grep -q 'RUNPATH.*\$ORIGIN'; then
  echo "install test: libpkvm_c.so has no RUNPATH \$ORIGIN" >&2
  exit 1
fi
ctest --test-dir "$WORK/build" --output-on-failure
# README.md's "Test your own module" project; README's `pkvm run` line runs
# in $WORK/my_module (test/docs/run_doc_commands.py).
cmake -S "$ROOT/test/install/my_module" -B "$WORK/my_module/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$WORK/prefix" >/dev/null
cmake --build "$WORK/my_module/build" -j "${JOBS:-2}"
ctest --test-dir "$WORK/my_module/build" --output-on-failure
# A C-only project: the C API needs no C++ settings from its consumer.
cmake -S "$ROOT/test/install/c_only" -B "$WORK/c_only" -G Ninja -DCMAKE_PREFIX_PATH="$WORK/prefix" \
  -DPKVM_DOCS_DIR="$ROOT/docs" -DPKVM_DRIVER_SO="$WORK/build/pkvm_driver.so" >/dev/null
cmake --build "$WORK/c_only" -j "${JOBS:-2}"
ctest --test-dir "$WORK/c_only" --output-on-failure
